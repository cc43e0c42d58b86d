import RecurKernel

/// A model as recur writes it out: what each layer computes, the input it takes and its
/// weights. A model read from a Keras file gives one (``init(_:)``), and so does a model built
/// in recur from a layer list (``init(name:inputDims:layers:weights:trainingConfig:)``).
public struct ExportableModel: Sendable {
    /// The model's name (Keras requires one).
    public var name: String
    /// Per-sample input dimensions, without the batch axis; nil for a dimension of any length
    /// (`[nil]` is the course's `[batch, window]`, `[nil, 1]` a sequence of one feature).
    public var inputDims: [Int?]
    /// Every layer but the input, in order.
    public var layers: [ExportableLayer]
    /// All weights, layer after layer, each layer's in Keras's `weight_names` order (the
    /// kernel's parameter order).
    public var weights: [Float]
    /// Keras's `training_config` (loss, metrics, `optimizer_config`), written as it is when
    /// present; Keras compiles the loaded model with it. Nil writes none, and Keras loads the
    /// model uncompiled. Both Kerases compile `{"loss": {"class_name": "Huber", "config":
    /// {"delta": 1.0}}, "metrics": null, "loss_weights": null, "optimizer_config":
    /// {"class_name": "SGD", "config": {"learning_rate": 5e-05, "momentum": 0.9}}}` (and
    /// `MeanSquaredError` the same way); Keras 3 refuses a loss given as the string `"mse"`.
    public var trainingConfig: JSON?

    public init(name: String, inputDims: [Int?], layers: [ExportableLayer], weights: [Float], trainingConfig: JSON? = nil) {
        self.name = name
        self.inputDims = inputDims
        self.layers = layers
        self.weights = weights
        self.trainingConfig = trainingConfig
    }

    /// The model read from a Keras file, as recur runs it.
    public init(_ model: KerasModel) {
        self.init(name: model.config.name, inputDims: model.inputDims, layers: model.layers.map(ExportableLayer.init), weights: model.weights)
    }
}

/// One layer of an ``ExportableModel``.
public struct ExportableLayer: Sendable {
    public var name: String
    /// What the layer computes; nil for a layer that is the identity at inference (`Dropout`
    /// and the other noise layers), which is written as ``className``.
    public var kernel: Layer?
    /// The Keras class the layer came from. A layer with a ``kernel`` is written as the Keras
    /// built-in layer that computes the same (a `Lambda(expand_dims)` becomes a `Reshape`), so
    /// this only matters for identity layers.
    public var className: String
    /// The layer's options as Keras wrote them, when it came from a file; the exporter reads
    /// only what the kernel does not hold (a `Dropout`'s `rate`, whether the layer is
    /// `trainable`, a `Bidirectional`'s inner layer name).
    public var config: JSON?

    public init(name: String, className: String, kernel: Layer?, config: JSON? = nil) {
        self.name = name
        self.className = className
        self.kernel = kernel
        self.config = config
    }

    /// A layer of a model read from a file or built from a layer list.
    public init(_ layer: ModelLayer) {
        self.init(name: layer.name, className: layer.className, kernel: layer.kernel, config: layer.config)
    }

    /// A layer that computes `kernel`.
    public init(name: String, kernel: Layer) {
        self.init(name: name, className: "", kernel: kernel)
    }

    /// A layer that is the identity at inference: `Dropout`, `SpatialDropout1D`,
    /// `GaussianDropout`, `AlphaDropout` (option `rate`) or `GaussianNoise` (option `stddev`).
    public static func identity(name: String, className: String, options: JSON = .object([])) -> ExportableLayer {
        ExportableLayer(name: name, className: className, kernel: nil, config: options)
    }
}

/// Which Keras a file is written for. Keras 2 (tf_keras) and Keras 3 read the same legacy
/// `.h5`, but a few activations exist in only one of them, and `hard_sigmoid` names a different
/// function in each.
public enum KerasTarget: Sendable, CaseIterable {
    /// Both load the file and compute recur's numbers: only what they compute alike is written.
    case both
    /// Keras 2 (tf_keras, TensorFlow 2.x) alone: allows Keras 2's `hard_sigmoid`.
    case keras2
    /// Keras 3 alone: allows Keras 3's `hard_sigmoid` and the activations Keras 2 lacks.
    case keras3

    /// The major versions that must compute the file's numbers.
    var majors: Set<Int> {
        switch self {
        case .both: return [2, 3]
        case .keras2: return [2]
        case .keras3: return [3]
        }
    }

    /// The `keras_version` written to the file. Neither Keras reads it to load a model (only
    /// tf_keras checks that it is not "1", the Keras 1 layout); recur reads its major version to
    /// tell the two `hard_sigmoid`s apart, so it must name the Keras the file was written for.
    /// A file for both holds no `hard_sigmoid` and is written in Keras 2's configuration
    /// dialect, so it says 2.
    var kerasVersion: String { self == .keras3 ? "3.15.1" : "2.21.0" }
}
