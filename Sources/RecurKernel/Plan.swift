/// Why a layer table cannot be planned.
public enum PlanError: Error, Sendable {
    /// The layer at `layer` cannot take its input; `reason` says how.
    case shape(layer: Int, reason: StaticString)
    /// A size is zero, negative or so large that the arena would overflow.
    case size(layer: Int, reason: StaticString)

    public var layer: Int {
        switch self {
        case .shape(let layer, _), .size(let layer, _): return layer
        }
    }

    public var reason: StaticString {
        switch self {
        case .shape(_, let reason), .size(_, let reason): return reason
        }
    }
}

/// The byte sizes of the arena's regions.
public struct ArenaSizes: Equatable, BitwiseCopyable, Sendable {
    /// The layer table.
    public var table = 0
    public var parameters = 0
    public var gradients = 0
    /// Optimizer state (momentum, Adam's moments), one slot per parameter per state.
    public var optimizer = 0
    /// Layer inputs, outputs and the per-step values a backward pass needs.
    public var activations = 0
    /// Gradients of activations and other memory reused between layers.
    public var scratch = 0

    public var total: Int { table + parameters + gradients + optimizer + activations + scratch }
}

/// Where everything of a network lives in its arena, for a maximum batch.
///
/// Planning walks the layer table once: it infers each layer's input and output shape from the
/// model input, checks that every layer can take its input, and assigns each buffer an offset.
/// Offsets count floats from the arena base. Nothing is allocated here.
public struct NetworkPlan: BitwiseCopyable, Sendable {
    public let input: TensorShape
    public let output: TensorShape
    /// The largest batch any call may run.
    public let batchCapacity: Int
    /// Whether buffers for a backward pass exist.
    public let training: Bool
    public let layerCount: Int
    public let sizes: ArenaSizes
    /// Offsets, in floats.
    public let parameters: Int
    public let parameterCount: Int
    public let gradients: Int
    public let optimizerSlots: Int
    public let optimizerSlotCount: Int
    public let inputBuffer: Int
    public let outputBuffer: Int
    /// Training targets, `[batch, output.count]`.
    public let targetBuffer: Int
    /// Memory the backward pass shares between layers (see ``RecurrentScratch``).
    public let scratch: Int
    public let scratchCount: Int

    public var totalBytes: Int { sizes.total }

    /// Plans `layers` in place (shapes and offsets are written into each entry).
    ///
    /// - Parameters:
    ///   - layers: the layer table, as the importer built it.
    ///   - input: the shape of one input sample.
    ///   - batch: the largest batch that will be run.
    ///   - training: reserve gradients and keep every step's activations for a backward pass.
    ///   - optimizerSlots: optimizer values per parameter (0 for inference, 1 for SGD with
    ///     momentum, 2 for Adam).
    public init(
        layers: UnsafeMutableBufferPointer<Layer>, input: TensorShape, batch: Int,
        training: Bool = false, optimizerSlots: Int = 0
    ) throws(PlanError) {
        guard batch > 0 else { throw .size(layer: 0, reason: "the batch must hold at least one sample") }
        guard input.features > 0, input.steps >= 0 else {
            throw .size(layer: 0, reason: "the model input must have at least one feature")
        }
        let limit = 1 << 40  // floats; far beyond any memory, and far from overflow
        // With the batch, a sample's input and every layer's per-sample sizes within these
        // bounds (checked before they are multiplied together), no offset below can overflow.
        guard batch <= 1 << 20, Self.product(Swift.max(input.steps, 1), input.features) <= limit else {
            throw .size(layer: 0, reason: "the batch or the input is too large to plan")
        }
        let tableBytes = roundUp(layers.count * MemoryLayout<Layer>.stride, to: Arena.alignment)

        // Pass 1: shapes and parameter counts.
        var shape = input
        var parameterCount = 0
        for index in layers.indices {
            var layer = layers[index]
            layer.input = shape
            layer.output = try Self.outputShape(of: layer, input: shape, index: index)
            guard layer.output.count <= limit, Self.largestPerSample(of: layer) <= limit else {
                throw .size(layer: index, reason: "the layer is too large to plan")
            }
            layer.parameterCount = Self.parameterCount(of: layer)
            parameterCount += layer.parameterCount
            shape = layer.output
            layers[index] = layer
        }

        // Regions: table | parameters | gradients | optimizer | activations | scratch.
        var cursor = tableBytes / 4
        self.parameters = cursor
        self.parameterCount = parameterCount
        cursor += roundUp(parameterCount, to: 16)
        self.gradients = cursor
        if training { cursor += roundUp(parameterCount, to: 16) }
        self.optimizerSlots = cursor
        self.optimizerSlotCount = optimizerSlots
        cursor += optimizerSlots * roundUp(parameterCount, to: 16)
        let activationStart = cursor

        // Past the limit the cursor stops growing (the plan is refused below), so that the
        // offsets of a network far too large never overflow.
        func take(_ count: Int) -> Int {
            let offset = cursor
            if cursor <= limit { cursor += roundUp(count, to: 16) }
            return offset
        }

        self.inputBuffer = take(batch * input.count)
        // At inference a recurrent layer's input projections (`x W + b` for every step) are
        // needed only while that layer runs, so the layers share them: one buffer per
        // direction (the two directions of a Bidirectional layer may run at once), as large as
        // the largest layer's. Training keeps each layer's for the backward pass.
        var sharedPreGates = (forward: 0, backward: 0)
        if !training {
            var largest = 0
            var bidirectional = false
            for layer in layers where layer.kind == .recurrent {
                largest = Swift.max(largest, batch * layer.input.steps * layer.cell.gateCount * layer.units)
                bidirectional = bidirectional || layer.directions == .bidirectional
            }
            if largest > 0 {
                sharedPreGates.forward = take(largest)
                sharedPreGates.backward = bidirectional ? take(largest) : sharedPreGates.forward
            }
        }
        var previousOutput = inputBuffer
        var parameterCursor = parameters
        for index in layers.indices {
            var layer = layers[index]
            layer.parameters = parameterCursor
            parameterCursor += layer.parameterCount
            let rows = batch * layer.input.rows
            switch layer.kind {
            case .dense:
                layer.outputBuffer = take(batch * layer.output.count)
                if training {
                    layer.preActivation = take(rows * layer.units)
                    layer.transposedKernel = take(layer.input.features * layer.units)
                }
            case .recurrent:
                let steps = layer.input.steps
                let units = layer.units
                let gateWidth = layer.cell.gateCount * units
                let cachedSteps = training ? steps : 1
                var weightCursor = layer.parameters
                for direction in 0..<layer.directions.count {
                    var state = RecurrentBuffers()
                    state.kernel = weightCursor
                    state.recurrentKernel = state.kernel + layer.input.features * gateWidth
                    state.bias = state.recurrentKernel + units * gateWidth
                    weightCursor += Self.directionParameterCount(of: layer)
                    if training {
                        state.preGates = take(batch * steps * gateWidth)
                    } else {
                        state.preGates = direction == 0 ? sharedPreGates.forward : sharedPreGates.backward
                    }
                    state.gates = take(batch * cachedSteps * gateWidth)
                    state.hidden = take(batch * cachedSteps * units)
                    if layer.cell == .lstm { state.cellState = take(batch * cachedSteps * units) }
                    if layer.cell != .simple && layer.cell != .lstm { state.reset = take(batch * cachedSteps * units) }
                    state.initialHidden = take(batch * units)
                    if layer.cell == .lstm { state.initialCell = take(batch * units) }
                    if layer.directions == .bidirectional && layer.merge != .concat {
                        state.output = take(batch * (layer.returnSequences ? steps : 1) * units)
                    }
                    if training {
                        state.transposedKernel = take(layer.input.features * gateWidth)
                        state.transposedRecurrentKernel = take(units * gateWidth)
                        if layer.inputDropout > 0 {
                            state.inputMask = take(batch * layer.input.features)
                            state.maskedInput = take(batch * steps * layer.input.features)
                        }
                        if layer.recurrentDropout > 0 {
                            state.recurrentMask = take(batch * units)
                            state.maskedHidden = take(batch * units)
                        }
                    }
                    if direction == 0 { layer.forwardState = state } else { layer.backwardState = state }
                }
                if !training && index > 0 && Self.stackable(layers[index - 1], layer) {
                    layer.stackedPreGates = take(steps * gateWidth)
                }
                layer.outputBuffer = take(batch * layer.output.count)
            case .elementwise, .activation, .globalPool1D:
                layer.outputBuffer = take(batch * layer.output.count)
                if training && layer.kind == .globalPool1D && !layer.average { layer.mask = take(batch * layer.output.count) }
            case .conv1D:
                layer.outputBuffer = take(batch * layer.output.count)
                if training {
                    layer.preActivation = take(batch * layer.output.count)
                    layer.transposedKernel = take(layer.window.size * layer.input.features * layer.units)
                }
            case .pool1D:
                layer.outputBuffer = take(batch * layer.output.count)
                if training && !layer.average { layer.mask = take(batch * layer.output.count) }
            case .dropout:
                // The identity at inference: only a training plan gives it memory of its own.
                if training {
                    layer.outputBuffer = take(batch * layer.output.count)
                    layer.mask = take(batch * (layer.spatial ? layer.input.features : layer.input.count))
                } else {
                    layer.outputBuffer = previousOutput
                }
            case .expandDims, .flatten, .reshape:
                layer.outputBuffer = previousOutput
            }
            previousOutput = layer.outputBuffer
            layers[index] = layer
        }
        self.outputBuffer = previousOutput
        let activationEnd = cursor

        // Gradients of layer outputs, for the backward pass; a view shares its input's.
        var scratchCount = 0
        var targetBuffer = 0
        if training {
            targetBuffer = take(batch * shape.count)
            var previousGradient = 0
            var anyParameters = false
            for index in layers.indices {
                var layer = layers[index]
                layer.inputGradient = anyParameters ? previousGradient : -1
                layer.outputGradient = layer.kind.isView && index > 0 ? previousGradient : take(batch * layer.output.count)
                anyParameters = anyParameters || layer.parameterCount > 0
                previousGradient = layer.outputGradient
                if layer.kind == .recurrent {
                    scratchCount = Swift.max(scratchCount, RecurrentScratch.layerCount(for: layer, batch: batch))
                }
                layers[index] = layer
            }
        }
        self.targetBuffer = targetBuffer
        self.scratch = cursor
        self.scratchCount = scratchCount
        cursor += roundUp(scratchCount, to: 16)
        let scratchEnd = cursor

        guard scratchEnd <= limit else { throw .size(layer: layers.count - 1, reason: "the network is too large to plan") }

        self.input = input
        self.output = shape
        self.batchCapacity = batch
        self.training = training
        self.layerCount = layers.count
        let paddedParameters = roundUp(parameterCount, to: 16) * 4
        self.sizes = ArenaSizes(
            table: tableBytes,
            parameters: paddedParameters,
            gradients: training ? paddedParameters : 0,
            optimizer: optimizerSlots * paddedParameters,
            activations: (activationEnd - activationStart) * 4,
            scratch: (scratchEnd - activationEnd) * 4
        )
    }

    /// The output shape of `layer` on `input`, or why it cannot take that input.
    static func outputShape(of layer: Layer, input: TensorShape, index: Int) throws(PlanError) -> TensorShape {
        switch layer.kind {
        case .dense:
            guard layer.units > 0 else { throw .size(layer: index, reason: "a Dense layer needs at least one unit") }
            return TensorShape(steps: input.steps, features: layer.units)
        case .recurrent:
            guard layer.units > 0 else { throw .size(layer: index, reason: "a recurrent layer needs at least one unit") }
            guard input.hasTime else {
                throw .shape(layer: index, reason: "a recurrent layer needs a 3-D input [batch, steps, features]")
            }
            let width = layer.directions == .bidirectional && layer.merge == .concat ? 2 * layer.units : layer.units
            return layer.returnSequences ? .sequence(input.steps, width) : .vector(width)
        case .elementwise, .activation, .dropout:
            return input
        case .conv1D, .pool1D:
            guard input.hasTime else {
                throw .shape(layer: index, reason: "a 1-D convolution or pooling needs a 3-D input [batch, steps, features]")
            }
            let window = layer.window
            guard window.size >= 1, window.stride >= 1, window.dilation >= 1, layer.kind == .pool1D || layer.units >= 1 else {
                throw .size(layer: index, reason: "a window needs a size, stride and dilation of at least 1")
            }
            let steps = window.output(steps: input.steps).steps
            guard steps >= 1 else { throw .shape(layer: index, reason: "the window is longer than the sequence") }
            return .sequence(steps, layer.kind == .conv1D ? layer.units : input.features)
        case .globalPool1D:
            guard input.hasTime else {
                throw .shape(layer: index, reason: "global pooling needs a 3-D input [batch, steps, features]")
            }
            return .vector(input.features)
        case .expandDims:
            // [batch, n] gains an axis at 1 ([batch, 1, n]) or at the end ([batch, n, 1]);
            // a 3-D tensor would become 4-D, which no layer here takes.
            guard !input.hasTime else {
                throw .shape(layer: index, reason: "expand_dims on a 3-D tensor makes a 4-D one, which recur does not hold")
            }
            switch layer.axis {
            case 1: return .sequence(1, input.features)
            case 2, -1: return .sequence(input.features, 1)
            default: throw .shape(layer: index, reason: "expand_dims must add axis 1 or -1")
            }
        case .flatten:
            return .vector(input.count)
        case .reshape:
            var target = layer.target
            if target.features == -1, target.steps > 0, input.count % target.steps == 0 {
                target.features = input.count / target.steps
            } else if target.steps == -1, target.features > 0, input.count % target.features == 0 {
                target.steps = input.count / target.features
            }
            guard target.count == input.count, target.features > 0, target.steps >= 0 else {
                throw .shape(layer: index, reason: "a reshape must keep the number of values per sample")
            }
            return target
        }
    }

    /// Whether two consecutive layers can run side by side on one window at inference
    /// (``Network/stackedSimpleForward(_:_:input:)``): one-direction tanh SimpleRNNs with no
    /// state carried between calls, the first returning its whole sequence.
    static func stackable(_ first: Layer, _ second: Layer) -> Bool {
        func simple(_ layer: Layer) -> Bool {
            layer.kind == .recurrent && layer.cell == .simple && layer.activation == .tanh
                && layer.directions == .forward && !layer.stateful
        }
        return simple(first) && simple(second) && first.returnSequences
    }

    /// The largest count of floats per sample among a planned layer's input, output, weight
    /// matrices and per-step values, saturating instead of overflowing: the plan multiplies only
    /// values this bounds by the batch.
    static func largestPerSample(of layer: Layer) -> Int {
        let input = product(layer.input.steps, layer.input.features)
        let gateWidth = product(layer.cell.gateCount, layer.units)
        let steps = Swift.max(product(layer.input.steps, gateWidth, 2), product(layer.units, gateWidth, 2))
        let kernel = Swift.max(product(layer.input.features, gateWidth, 2), product(layer.window.size, layer.input.features, layer.units))
        return Swift.max(Swift.max(input, layer.output.count), Swift.max(steps, kernel))
    }

    /// The product of non-negative factors, or `Int.max` when it overflows.
    static func product(_ a: Int, _ b: Int, _ c: Int = 1) -> Int {
        let ab = Swift.max(a, 0).multipliedReportingOverflow(by: Swift.max(b, 0))
        guard !ab.overflow else { return Int.max }
        let abc = ab.partialValue.multipliedReportingOverflow(by: Swift.max(c, 0))
        return abc.overflow ? Int.max : abc.partialValue
    }

    /// Parameters of one direction of a recurrent layer.
    static func directionParameterCount(of layer: Layer) -> Int {
        let gateWidth = layer.cell.gateCount * layer.units
        let biasRows = layer.cell == .gruResetAfter ? 2 : 1
        return layer.input.features * gateWidth + layer.units * gateWidth + (layer.useBias ? biasRows * gateWidth : 0)
    }

    static func parameterCount(of layer: Layer) -> Int {
        switch layer.kind {
        case .dense:
            return layer.input.features * layer.units + (layer.useBias ? layer.units : 0)
        case .recurrent:
            return layer.directions.count * directionParameterCount(of: layer)
        case .conv1D:
            return layer.window.size * layer.input.features * layer.units + (layer.useBias ? layer.units : 0)
        case .elementwise, .activation, .expandDims, .flatten, .reshape, .pool1D, .globalPool1D, .dropout:
            return 0
        }
    }
}

@inlinable @inline(__always)
func roundUp(_ value: Int, to multiple: Int) -> Int {
    (value + multiple - 1) / multiple * multiple
}
