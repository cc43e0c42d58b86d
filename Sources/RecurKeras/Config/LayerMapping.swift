import RecurKernel

/// A Keras layer and what recur runs for it.
public struct ModelLayer: Sendable {
    public let name: String
    /// The Keras class, as `model.summary()` shows it.
    public let className: String
    /// The kernel layer; nil for a layer that is the identity at inference (`Dropout`).
    public let kernel: Layer?
    /// The layer's Keras configuration, kept for export (null for a layer built in recur).
    public let config: JSON

    public init(name: String, className: String, kernel: Layer?, config: JSON) {
        self.name = name
        self.className = className
        self.kernel = kernel
        self.config = config
    }
}

/// What mapping needs to know besides a layer's configuration.
struct MappingContext {
    /// The major version of the Keras that wrote the file (2 or 3): `hard_sigmoid` differs.
    var kerasMajor: Int
    /// Lambda layers the user mapped by hand (`--lambda NAME=scale:100`).
    var lambdaOverrides: [String: LambdaOperation] = [:]
}

/// Maps one Keras layer onto the kernel, or refuses it with a sentence naming the layer.
func mapLayer(_ layer: KerasLayerConfig, _ context: MappingContext) throws(RecurError) -> ModelLayer {
    var options = OptionReader(layer)
    try options.requireFloat32()
    let kernel: Layer?
    switch layer.className {
    case "Dense":
        kernel = try denseLayer(&options, context)
    case "SimpleRNN", "LSTM", "GRU":
        kernel = try recurrentLayer(&options, context, directions: .forward)
    case "Bidirectional":
        kernel = try bidirectionalLayer(&options, context)
    case "TimeDistributed":
        let inner = try KerasModelConfig.layerConfig(options.take("layer") ?? .null)
        guard inner.className == "Dense" else {
            throw .data("layer '\(layer.name)' wraps a \(inner.className) in TimeDistributed; recur maps TimeDistributed(Dense) only")
        }
        var innerOptions = OptionReader(inner)
        kernel = try denseLayer(&innerOptions, context)
        try innerOptions.finish()
    case "Lambda":
        kernel = try lambdaLayer(&options, context)
    case "Rescaling":
        let scale = try options.number("scale", default: 1)
        let offset = try options.number("offset", default: 0)
        kernel = .elementwise(.scaleAndOffset, Float(scale), offset: Float(offset))
    case "Activation":
        kernel = .activation(try options.activation("activation", default: "linear", context))
    case "Dropout", "SpatialDropout1D":
        let rate = try options.number("rate", default: 0)
        guard rate >= 0, rate < 1 else { throw .data("layer '\(layer.name)' has a dropout rate of \(rate); it must be in [0, 1)") }
        if let shape = options.take("noise_shape"), !shape.isEmptyOption {
            throw .data("layer '\(layer.name)' sets noise_shape, an option recur does not implement")
        }
        options.ignore("seed")
        kernel = .dropout(rate: Float(rate), spatial: layer.className == "SpatialDropout1D")
    case "GaussianNoise", "GaussianDropout", "AlphaDropout":
        // The identity at inference, which is all that runs here; training refuses them.
        options.ignore("rate", "noise_shape", "seed", "stddev")
        kernel = nil
    case "Conv1D":
        kernel = try convolutionLayer(&options, context)
    case "MaxPooling1D", "MaxPool1D", "AveragePooling1D", "AvgPool1D":
        let size = try options.integers("pool_size", default: 2)
        let stride = try options.integers("strides", default: size)
        try options.channelsLast()
        kernel = .pool1D(Window(size: size, stride: stride, padding: try options.padding(allowCausal: false)), average: layer.className.hasPrefix("Av"))
    case "GlobalMaxPooling1D", "GlobalMaxPool1D", "GlobalAveragePooling1D", "GlobalAvgPool1D":
        try options.channelsLast()
        try options.refuseIfSet("keepdims", because: "recur keeps [batch, features] after global pooling")
        kernel = .globalPool1D(average: layer.className.contains("Av"))
    case "Flatten":
        options.ignore("data_format")
        kernel = Layer(kind: .flatten)
    case "Reshape":
        guard let dims = options.take("target_shape")?.array?.map({ $0.integer }), dims.allSatisfy({ ($0 ?? 0) > 0 && $0! <= 1 << 20 || $0 == -1 }),
            dims.count == 1 || dims.count == 2
        else {
            throw .data("layer '\(layer.name)' reshapes to a shape recur cannot hold (it keeps [batch, features] or [batch, steps, features])")
        }
        var reshape = Layer(kind: .reshape)
        // -1 is resolved by the plan from the input size.
        reshape.target = dims.count == 1 ? .vector(dims[0]!) : .sequence(dims[0]!, dims[1]!)
        kernel = reshape
    default:
        throw .data("layer '\(layer.name)' is \(withArticle(layer.className)), which recur does not implement")
    }
    try options.finish()
    return ModelLayer(name: layer.name, className: layer.className, kernel: kernel, config: layer.config)
}

func denseLayer(_ options: inout OptionReader, _ context: MappingContext) throws(RecurError) -> Layer {
    let units = try options.positiveInteger("units")
    let activation = try options.activation("activation", default: "linear", context)
    let useBias = try options.flag("use_bias", default: true)
    options.ignoreTrainingOnly()
    options.ignore("kernel_initializer", "bias_initializer", "lora_alpha")
    return .dense(units: units, activation: activation, useBias: useBias)
}

func convolutionLayer(_ options: inout OptionReader, _ context: MappingContext) throws(RecurError) -> Layer {
    let filters = try options.positiveInteger("filters")
    let size = try options.integers("kernel_size", default: nil)
    let stride = try options.integers("strides", default: 1)
    let dilation = try options.integers("dilation_rate", default: 1)
    let padding = try options.padding(allowCausal: true)
    try options.channelsLast()
    if let groups = options.take("groups")?.integer, groups != 1 {
        throw .data("layer '\(options.layer.name)' uses \(groups) groups; recur implements ungrouped convolutions")
    }
    let activation = try options.activation("activation", default: "linear", context)
    let useBias = try options.flag("use_bias", default: true)
    options.ignoreTrainingOnly()
    options.ignore("kernel_initializer", "bias_initializer", "lora_alpha")
    return .conv1D(filters: filters, window: Window(size: size, stride: stride, dilation: dilation, padding: padding), activation: activation, useBias: useBias)
}

func recurrentLayer(_ options: inout OptionReader, _ context: MappingContext, directions: Directions) throws(RecurError) -> Layer {
    let className = options.layer.className
    let cell: Cell
    switch className {
    case "SimpleRNN": cell = .simple
    case "LSTM": cell = .lstm
    default: cell = try options.flag("reset_after", default: true) ? .gruResetAfter : .gruResetBefore
    }
    let units = try options.positiveInteger("units")
    let activation = try options.activation("activation", default: "tanh", context)
    let recurrentActivation = cell == .simple
        ? .sigmoid : try options.activation("recurrent_activation", default: "sigmoid", context)
    let useBias = try options.flag("use_bias", default: true)
    let returnSequences = try options.flag("return_sequences", default: false)
    let goBackwards = try options.flag("go_backwards", default: false)
    try options.refuseIfSet("return_state", because: "a layer that returns its states is not a chain")
    let stateful = try options.flag("stateful", default: false)
    let inputDropout = try options.number("dropout", default: 0)
    let recurrentDropout = try options.number("recurrent_dropout", default: 0)
    guard (0..<1).contains(inputDropout), (0..<1).contains(recurrentDropout) else {
        throw .data("layer '\(options.layer.name)' has a dropout rate outside [0, 1)")
    }
    try options.refuseIfSet("time_major", because: "time-major layout is not supported")
    // Dropout masks only apply when training; `unroll`, `implementation` and cuDNN selection
    // change how Keras computes, not what.
    options.ignore("seed", "unroll", "implementation", "use_cudnn",
                   "zero_output_for_mask", "unit_forget_bias", "kernel_initializer",
                   "recurrent_initializer", "bias_initializer")
    options.ignoreTrainingOnly()
    options.ignore("recurrent_regularizer", "recurrent_constraint")
    var resolvedDirections = directions
    if goBackwards {
        guard directions == .forward else {
            throw .data("layer '\(options.layer.name)' sets go_backwards inside Bidirectional, which recur does not implement")
        }
        resolvedDirections = .backward
    }
    var layer = Layer.recurrent(
        cell, units: units, activation: activation, recurrentActivation: recurrentActivation,
        useBias: useBias, returnSequences: returnSequences, directions: resolvedDirections)
    layer.stateful = stateful
    layer.inputDropout = Float(inputDropout)
    layer.recurrentDropout = Float(recurrentDropout)
    return layer
}

func bidirectionalLayer(_ options: inout OptionReader, _ context: MappingContext) throws(RecurError) -> Layer {
    let name = options.layer.name
    let forward = try KerasModelConfig.layerConfig(options.take("layer") ?? .null)
    guard ["SimpleRNN", "LSTM", "GRU"].contains(forward.className) else {
        throw .data("layer '\(name)' wraps a \(forward.className); recur runs Bidirectional SimpleRNN, LSTM and GRU")
    }
    var forwardOptions = OptionReader(forward)
    var layer = try recurrentLayer(&forwardOptions, context, directions: .forward)
    try forwardOptions.finish()
    if let backwardJSON = options.take("backward_layer"), backwardJSON != .null {
        // Keras 3 always writes the backward layer: the same layer with go_backwards set.
        let backward = try KerasModelConfig.layerConfig(backwardJSON)
        var backwardOptions = OptionReader(backward)
        _ = backwardOptions.take("go_backwards")
        let mirrored = try recurrentLayer(&backwardOptions, context, directions: .forward)
        try backwardOptions.finish()
        guard backward.className == forward.className, mirrored.units == layer.units,
            mirrored.activation == layer.activation, mirrored.recurrentActivation == layer.recurrentActivation,
            mirrored.useBias == layer.useBias, mirrored.returnSequences == layer.returnSequences,
            mirrored.cell == layer.cell, mirrored.stateful == layer.stateful,
            mirrored.inputDropout == layer.inputDropout, mirrored.recurrentDropout == layer.recurrentDropout
        else {
            throw .data("layer '\(name)' has a backward layer that differs from its forward layer, which recur does not implement")
        }
    }
    layer.directions = .bidirectional
    let mergeMode = options.take("merge_mode")
    switch mergeMode == nil ? "concat" : mergeMode?.string ?? "None" {
    case "concat": layer.merge = .concat
    case "sum": layer.merge = .sum
    case "ave": layer.merge = .average
    case "mul": layer.merge = .multiply
    case let other:
        throw .data("layer '\(name)' merges its directions with '\(other)'; recur implements concat, sum, ave and mul")
    }
    return layer
}

func lambdaLayer(_ options: inout OptionReader, _ context: MappingContext) throws(RecurError) -> Layer {
    let name = options.layer.name
    options.ignore("function_type", "module", "output_shape", "output_shape_type", "output_shape_module", "mask", "mask_type")
    if let arguments = options.take("arguments"), !arguments.isEmptyOption {
        throw .data("Lambda layer '\(name)' passes extra arguments to its function, which recur does not map")
    }
    let function = options.take("function")
    let operation: LambdaOperation
    if let mapped = context.lambdaOverrides[name] {
        operation = mapped
    } else {
        // Keras 3: {"class_name": "__lambda__", "config": {"code": …}}; Keras 2: [code, defaults, closure].
        let code = function?["config"]?["code"]?.string ?? function?.array?.first?.string ?? function?.string
        // Default argument values and closure cells live beside the code, not in it.
        let extras = function?.array.map { Array($0.dropFirst()) } ?? [function?["config"]?["defaults"] ?? .null, function?["config"]?["closure"] ?? .null]
        if extras.contains(where: { !$0.isEmptyOption }) {
            throw .data("Lambda layer '\(name)' has default arguments or a closure, which recur does not map; map it by hand with --lambda \(name)=scale:100 (or expand-dims, add:C, divide:C)")
        }
        guard let code else {
            throw .data("Lambda layer '\(name)' holds no function code; map it by hand with --lambda \(name)=scale:100 (or expand-dims, add:C, divide:C)")
        }
        do {
            operation = try LambdaRecognizer.recognize(base64: code)
        } catch {
            throw .data("Lambda layer '\(name)' is not one recur recognises (\(error.reason)); map it by hand with --lambda \(name)=scale:100 (or expand-dims, add:C, divide:C)")
        }
    }
    if let refusal = operation.refusal {
        throw .data("Lambda layer '\(name)' cannot run: \(refusal)")
    }
    switch operation {
    case .expandDims(let axis):
        var layer = Layer(kind: .expandDims)
        layer.axis = axis
        return layer
    case .arithmetic(let op, let constant):
        let kernelOperation: ElementwiseOperation
        switch op {
        case .multiply: kernelOperation = .multiply
        case .divide: kernelOperation = .divide
        case .add: kernelOperation = .add
        case .subtract: kernelOperation = .subtract
        case .subtractFrom: kernelOperation = .subtractFrom
        }
        return .elementwise(kernelOperation, Float(constant))
    }
}

/// Reads a layer's options, remembering which ones were looked at, so that an option recur
/// does not implement is refused by name rather than silently ignored.
struct OptionReader {
    let layer: KerasLayerConfig
    private var used: Set<String> = ["name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape", "input_dtype"]

    init(_ layer: KerasLayerConfig) { self.layer = layer }

    mutating func take(_ key: String) -> JSON? {
        used.insert(key)
        return layer.config[key]
    }

    mutating func ignore(_ keys: String...) {
        for key in keys { used.insert(key) }
    }

    /// Options that only shape training (initialisation, regularisation, constraints).
    mutating func ignoreTrainingOnly() {
        ignore("kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint")
    }

    mutating func flag(_ key: String, default value: Bool) throws(RecurError) -> Bool {
        guard let json = take(key), json != .null else { return value }
        guard let flag = json.bool else { throw .data("layer '\(layer.name)' has a '\(key)' that is not true or false") }
        return flag
    }

    mutating func positiveInteger(_ key: String) throws(RecurError) -> Int {
        guard let n = take(key)?.integer, n > 0, n <= 1 << 20 else {
            throw .data("layer '\(layer.name)' has no valid '\(key)' (a whole number from 1 to 1048576)")
        }
        return n
    }

    mutating func number(_ key: String, default value: Double) throws(RecurError) -> Double {
        guard let json = take(key), json != .null else { return value }
        guard let n = json.number, n.isFinite else {
            throw .data("layer '\(layer.name)' has a '\(key)' that is not a single finite number")
        }
        return n
    }

    /// A positive whole number written as `5` or `[5]` (Keras stores 1-D sizes as lists).
    mutating func integers(_ key: String, default value: Int?) throws(RecurError) -> Int {
        let json = take(key)
        if json == nil || json == .null, let value { return value }
        let number = json?.integer ?? (json?.array?.count == 1 ? json?.array?[0].integer : nil)
        guard let number, number >= 1, number <= 1 << 20 else {
            throw .data("layer '\(layer.name)' has no valid '\(key)' (a whole number from 1 to 1048576)")
        }
        return number
    }

    mutating func padding(allowCausal: Bool) throws(RecurError) -> Padding {
        switch take("padding")?.string ?? "valid" {
        case "valid": return .valid
        case "same": return .same
        case "causal" where allowCausal: return .causal
        case let other: throw .data("layer '\(layer.name)' has padding '\(other)', which recur does not implement")
        }
    }

    /// Refuses `channels_first`: recur's sequences are `[batch, steps, features]`.
    mutating func channelsLast() throws(RecurError) {
        if let format = take("data_format")?.string, format != "channels_last" {
            throw .data("layer '\(layer.name)' uses data_format '\(format)'; recur implements channels_last")
        }
    }

    mutating func refuseIfSet(_ key: String, because reason: String) throws(RecurError) {
        if try flag(key, default: false) {
            throw .data("layer '\(layer.name)' sets \(key)=True: \(reason)")
        }
    }

    mutating func activation(_ key: String, default name: String, _ context: MappingContext) throws(RecurError) -> Activation {
        let json = take(key)
        // A string, or Keras 3's serialised form {"class_name": "function", "config": "relu"}.
        let activationName = json?.string ?? json?["config"]?.string ?? (json == nil || json == .null ? name : nil)
        guard let activationName, let activation = Activation(kerasName: activationName, kerasMajor: context.kerasMajor) else {
            let shown = json?.string ?? json?["config"]?.string ?? "a custom function"
            throw .data("layer '\(layer.name)' uses activation '\(shown)', which recur does not implement")
        }
        return activation
    }

    /// Refuses a layer computing in anything but float32 (a mixed-precision policy, say).
    mutating func requireFloat32() throws(RecurError) {
        let dtype = layer.config["dtype"]
        let name = dtype?.string ?? dtype?["config"]?["name"]?.string
        if let name, name != "float32" {
            throw .data("layer '\(layer.name)' computes in \(name); recur computes in float32 only")
        }
    }

    /// Refuses any option that was not read and holds something other than null, false, zero
    /// or an empty value: a setting recur would otherwise silently ignore.
    func finish() throws(RecurError) {
        for key in layer.config.keys where !used.contains(key) {
            if !layer.config[key]!.isEmptyOption {
                throw .data("layer '\(layer.name)' sets '\(key)', an option recur does not implement")
            }
        }
    }
}

extension JSON {
    /// Null, false, zero or empty: the value of an option that is not in use.
    var isEmptyOption: Bool {
        switch self {
        case .null: return true
        case .bool(let b): return !b
        case .number(let n): return n == 0
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        }
    }
}

extension Activation {
    /// Keras's name for an activation; `hard_sigmoid` depends on the Keras major version.
    init?(kerasName name: String, kerasMajor: Int) {
        switch name {
        case "linear", "None": self = .linear
        case "tanh": self = .tanh
        case "sigmoid": self = .sigmoid
        case "relu": self = .relu
        case "hard_sigmoid": self = kerasMajor >= 3 ? .hardSigmoid : .hardSigmoidKeras2
        case "elu", "celu": self = .elu
        case "selu": self = .selu
        case "softsign": self = .softsign
        case "softplus": self = .softplus
        case "swish", "silu": self = .swish
        case "relu6": self = .relu6
        case "exponential": self = .exponential
        case "gelu": self = .gelu
        case "hard_silu", "hard_swish": self = .hardSwish
        case "mish": self = .mish
        case "leaky_relu": self = .leakyRelu
        case "log_sigmoid": self = .logSigmoid
        case "hard_tanh": self = .hardTanh
        case "tanh_shrink": self = .tanhShrink
        case "soft_shrink": self = .softShrink
        case "hard_shrink": self = .hardShrink
        case "sparse_plus": self = .sparsePlus
        case "squareplus": self = .squarePlus
        default: return nil
        }
    }
}

/// A Keras class name with its indefinite article, as a sentence reads it: "an Embedding",
/// "a LayerNormalization".
func withArticle(_ className: String) -> String {
    guard let first = className.first else { return "a layer" }
    return ("AEIOU".contains(first) ? "an " : "a ") + className
}
