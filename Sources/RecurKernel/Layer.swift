/// The shape of one sample of a tensor (the batch axis is implicit).
///
/// `steps == 0` means a 2-D tensor `[batch, features]`; otherwise the tensor is
/// `[batch, steps, features]`. A Keras input of shape `[None, 20]` (the course's windows before
/// `expand_dims`) is therefore `steps: 0, features: 20`.
public struct TensorShape: Equatable, BitwiseCopyable, Sendable {
    public var steps: Int
    public var features: Int

    public init(steps: Int, features: Int) {
        self.steps = steps
        self.features = features
    }

    /// A 2-D tensor `[batch, features]`.
    public static func vector(_ features: Int) -> TensorShape { TensorShape(steps: 0, features: features) }
    /// A 3-D tensor `[batch, steps, features]`.
    public static func sequence(_ steps: Int, _ features: Int) -> TensorShape {
        TensorShape(steps: steps, features: features)
    }

    public var hasTime: Bool { steps > 0 }
    /// Floats per sample.
    public var count: Int { Swift.max(steps, 1) * features }
    /// Rows of length `features` per sample.
    public var rows: Int { Swift.max(steps, 1) }
}

/// What a layer computes. Each kind has a forward and a backward function on raw buffers.
public enum LayerKind: UInt8, BitwiseCopyable, Sendable {
    /// `y = act(x W + b)` on the last axis (per time step on a sequence).
    case dense
    /// SimpleRNN, LSTM or GRU, in one or both directions (``Layer/cell``, ``Layer/directions``).
    case recurrent
    /// `y = x ∘ c` for a constant (the course's `Lambda(lambda x: x * 100.0)`, `Rescaling`).
    case elementwise
    /// `act(x)` element by element (Keras's `Activation` layer).
    case activation
    /// Inserts an axis of length 1 (`expand_dims`); memory is unchanged.
    case expandDims
    /// `[batch, steps, features]` to `[batch, steps · features]`; memory is unchanged.
    case flatten
    /// Any other change of shape that keeps the values per sample; memory is unchanged.
    case reshape
    /// `y = act(conv(x, W) + b)` along time: Keras's `Conv1D` (``Layer/convolution``).
    case conv1D
    /// Max or average over windows of time steps (`MaxPooling1D`, `AveragePooling1D`).
    case pool1D
    /// Max or average over all time steps (`GlobalMaxPooling1D`, `GlobalAveragePooling1D`).
    case globalPool1D
    /// Zeroes values at random while training and scales the rest by `1 / (1 − rate)`; the
    /// identity at inference (`Dropout`, `SpatialDropout1D`).
    case dropout

    /// Whether the layer only renames its input's memory.
    public var isView: Bool { self == .expandDims || self == .flatten || self == .reshape }
}

/// How a convolution or pooling window meets the ends of the sequence (Keras's `padding`).
public enum Padding: UInt8, BitwiseCopyable, Sendable {
    /// No padding: only windows that fit.
    case valid
    /// Zero padding split between both ends (the extra one at the end) so that
    /// `steps_out = ⌈steps / stride⌉`.
    case same
    /// `dilation · (kernel − 1)` zeros before the start: output `t` sees only inputs up to `t`.
    case causal
}

/// The window of a convolution or pooling layer.
public struct Window: BitwiseCopyable, Sendable, Equatable {
    public var size: Int
    public var stride: Int
    public var dilation: Int
    public var padding: Padding

    public init(size: Int, stride: Int = 1, dilation: Int = 1, padding: Padding = .valid) {
        self.size = size
        self.stride = stride
        self.dilation = dilation
        self.padding = padding
    }

    /// The steps out of `steps` in, and the zeros added before the first step.
    public func output(steps: Int) -> (steps: Int, padBefore: Int) {
        let span = dilation * (size - 1) + 1
        switch padding {
        case .valid:
            return (steps >= span ? (steps - span) / stride + 1 : 0, 0)
        case .causal:
            return ((steps - 1) / stride + 1, dilation * (size - 1))
        case .same:
            let out = (steps + stride - 1) / stride
            let total = Swift.max((out - 1) * stride + span - steps, 0)
            return (out, total / 2)
        }
    }
}

/// The recurrent cell.
public enum Cell: UInt8, BitwiseCopyable, Sendable {
    /// `h = act(x W + h U + b)`.
    case simple
    /// Gates i, f, c, o along the `4u` axis.
    case lstm
    /// Gates z, r, h; the reset gate multiplies `h U + b_r` (Keras's default, bias `[2, 3u]`).
    case gruResetAfter
    /// Gates z, r, h; the reset gate multiplies `h` before `U` (bias `[3u]`).
    case gruResetBefore

    /// Blocks of `units` along the gate axis.
    public var gateCount: Int {
        switch self {
        case .simple: return 1
        case .lstm: return 4
        case .gruResetAfter, .gruResetBefore: return 3
        }
    }
}

/// Which way, and how many ways, a recurrent layer reads its sequence.
public enum Directions: UInt8, BitwiseCopyable, Sendable {
    case forward
    /// `go_backwards=True`: reads from the last step; a sequence output is in reading order.
    case backward
    /// A `Bidirectional` wrapper: forward and backward layers, the backward one's sequence output
    /// flipped back to the input's time order, then merged.
    case bidirectional

    public var count: Int { self == .bidirectional ? 2 : 1 }
}

/// How `Bidirectional` combines its two outputs.
public enum MergeMode: UInt8, BitwiseCopyable, Sendable {
    /// `[forward ‖ backward]` on the last axis.
    case concat
    case sum
    /// `(forward + backward) / 2`.
    case average
    case multiply
}

/// The constant operation of an ``LayerKind/elementwise`` layer.
public enum ElementwiseOperation: UInt8, BitwiseCopyable, Sendable {
    /// `x * c`
    case multiply
    /// `x / c`
    case divide
    /// `x + c`
    case add
    /// `x - c`
    case subtract
    /// `c - x`
    case subtractFrom
    /// `x * c + d` (Keras's `Rescaling(scale=c, offset=d)`).
    case scaleAndOffset
}

/// One layer: what it computes (set by the importer) and where its buffers are (set by
/// ``NetworkPlan``). A plain value, so that a table of layers can live in the arena.
public struct Layer: BitwiseCopyable, Sendable {
    // What it computes.
    public var kind: LayerKind
    public var activation: Activation = .linear
    public var recurrentActivation: Activation = .sigmoid
    public var cell: Cell = .simple
    public var directions: Directions = .forward
    public var merge: MergeMode = .concat
    public var units: Int = 0
    public var useBias: Bool = true
    public var returnSequences: Bool = false
    /// Keras's `stateful=True`: each sample's final state becomes its initial state in the next
    /// call, until ``Network/resetStates()``.
    public var stateful = false
    /// Set by a stateful layer's forward pass: its caches hold the state the next call starts
    /// from.
    public var stateIsCarried = false
    /// Keras's `dropout` (on the inputs) and `recurrent_dropout` (on the previous state) of a
    /// recurrent layer: one mask per sequence, drawn for each training batch.
    public var inputDropout: Float = 0
    public var recurrentDropout: Float = 0
    /// Set by a training forward pass that drew dropout masks, for the backward pass.
    public var dropoutDrawn = false
    public var operation: ElementwiseOperation = .multiply
    public var constant: Float = 1
    public var offset: Float = 0
    /// For ``LayerKind/reshape``: the shape it produces (`-1` in one place: whatever fits).
    public var target = TensorShape(steps: 0, features: 0)
    /// For ``LayerKind/expandDims``: where the new axis goes, counting the batch axis as 0
    /// (`-1` is the end).
    public var axis = -1
    /// For ``LayerKind/conv1D`` and ``LayerKind/pool1D``: the window (kernel size, stride,
    /// dilation, padding); `units` is a convolution's filter count.
    public var window = Window(size: 1)
    /// For pooling layers: average instead of max.
    public var average = false
    /// For ``LayerKind/dropout``: the fraction dropped, and whether one mask covers every time
    /// step of a channel (`SpatialDropout1D`).
    public var rate: Float = 0
    public var spatial = false

    // Where it lives, in floats from the arena base; set by the plan.
    public var input = TensorShape(steps: 0, features: 0)
    public var output = TensorShape(steps: 0, features: 0)
    /// First parameter, in the order of Keras's `weight_names` (per direction: kernel,
    /// recurrent kernel, bias).
    public var parameters = 0
    public var parameterCount = 0
    /// The layer's output `[batch, output]`.
    public var outputBuffer = 0
    /// Per-direction working memory (see ``RecurrentBuffers``).
    public var forwardState = RecurrentBuffers()
    public var backwardState = RecurrentBuffers()
    /// Inference only: the pre-activations `[steps, units]` of one window for a SimpleRNN that
    /// runs beside the one before it (``Network/runsAsStack(_:batch:)``), or 0. The layers'
    /// shared buffer holds the first one's.
    public var stackedPreGates = 0
    /// Pre-activations of a dense layer when training, `[batch, rows, units]`.
    public var preActivation = 0
    /// A dense layer's kernel transposed, `[units, input]` (a convolution's, `[size][filters,
    /// input]`), refreshed before each backward pass (training only).
    public var transposedKernel = 0
    /// Training only: a dropout layer's mask, a max pooling layer's chosen steps.
    public var mask = 0
    /// The gradient of the loss with respect to this layer's output (training only). A layer
    /// that only renames memory shares its input's gradient buffer.
    public var outputGradient = 0
    /// Where the backward pass writes the gradient with respect to the layer's input, or -1
    /// when nothing before it has parameters (the model input needs no gradient).
    public var inputGradient = -1

    public init(kind: LayerKind) { self.kind = kind }

    public static func dense(units: Int, activation: Activation = .linear, useBias: Bool = true) -> Layer {
        var layer = Layer(kind: .dense)
        layer.units = units
        layer.activation = activation
        layer.useBias = useBias
        return layer
    }

    public static func recurrent(
        _ cell: Cell, units: Int, activation: Activation = .tanh,
        recurrentActivation: Activation = .sigmoid, useBias: Bool = true,
        returnSequences: Bool = false, directions: Directions = .forward, merge: MergeMode = .concat
    ) -> Layer {
        var layer = Layer(kind: .recurrent)
        layer.cell = cell
        layer.units = units
        layer.activation = activation
        layer.recurrentActivation = recurrentActivation
        layer.useBias = useBias
        layer.returnSequences = returnSequences
        layer.directions = directions
        layer.merge = merge
        return layer
    }

    public static func elementwise(_ operation: ElementwiseOperation, _ constant: Float, offset: Float = 0) -> Layer {
        var layer = Layer(kind: .elementwise)
        layer.operation = operation
        layer.constant = constant
        layer.offset = offset
        return layer
    }

    public static func activation(_ activation: Activation) -> Layer {
        var layer = Layer(kind: .activation)
        layer.activation = activation
        return layer
    }

    public static func expandDims(axis: Int = -1) -> Layer {
        var layer = Layer(kind: .expandDims)
        layer.axis = axis
        return layer
    }

    public static func conv1D(filters: Int, window: Window, activation: Activation = .linear, useBias: Bool = true) -> Layer {
        var layer = Layer(kind: .conv1D)
        layer.units = filters
        layer.window = window
        layer.activation = activation
        layer.useBias = useBias
        return layer
    }

    public static func pool1D(_ window: Window, average: Bool) -> Layer {
        var layer = Layer(kind: .pool1D)
        layer.window = window
        layer.average = average
        return layer
    }

    public static func globalPool1D(average: Bool) -> Layer {
        var layer = Layer(kind: .globalPool1D)
        layer.average = average
        return layer
    }

    public static func dropout(rate: Float, spatial: Bool = false) -> Layer {
        var layer = Layer(kind: .dropout)
        layer.rate = rate
        layer.spatial = spatial
        return layer
    }

    public static func reshape(to target: TensorShape) -> Layer {
        var layer = Layer(kind: .reshape)
        layer.target = target
        return layer
    }
}

/// Where one direction of a recurrent layer keeps its numbers, in floats from the arena base.
///
/// When training, every per-step buffer holds all `steps` (row stride `steps · width`, so that
/// the backward pass finds each step's values); for inference it holds one step and is reused.
public struct RecurrentBuffers: BitwiseCopyable, Sendable {
    /// Kernel `[input, G]`, recurrent kernel `[u, G]`, bias `[G]` or `[2, G]`; `G = gates · u`.
    public var kernel = 0
    public var recurrentKernel = 0
    public var bias = 0
    /// `x W + b` for every step, then `+ h U` step by step: the gates' pre-activations
    /// `[batch, steps, G]` (for GRU's candidate, the value inside its activation). An inference
    /// plan gives every layer's direction the same buffer: it is read only while the layer runs.
    public var preGates = 0
    /// Gate activations `[batch, cached steps, G]`.
    public var gates = 0
    /// Hidden state `[batch, cached steps, u]`, and the cell state of an LSTM.
    public var hidden = 0
    public var cellState = 0
    /// GRU: `h U_h + b_rh` (reset after) or `r · h` (reset before), `[batch, cached steps, u]`.
    public var reset = 0
    /// The state before the first step, `[batch, u]` (zeros unless the model is stateful).
    public var initialHidden = 0
    public var initialCell = 0
    /// The direction's own output when two directions are summed, averaged or multiplied,
    /// `[batch, steps or 1, u]` (concatenated, each writes its half of the layer's output rows).
    public var output = 0
    /// The kernels transposed, `[G, input]` and `[G, u]`, refreshed before each backward pass
    /// (training only), so that products with them are plain products.
    public var transposedKernel = 0
    public var transposedRecurrentKernel = 0
    /// Training with dropout: the masks `[batch, input]` and `[batch, u]` (values 0 or
    /// `1 / (1 − rate)`), the masked input `[batch, steps, input]` and a step's masked
    /// previous state `[batch, u]`.
    public var inputMask = 0
    public var recurrentMask = 0
    public var maskedInput = 0
    public var maskedHidden = 0

    public init() {}
}
