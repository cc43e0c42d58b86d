import RecurKernel

/// A Keras model read from a file: its layers mapped onto the kernel and its weights, checked
/// against the shapes the layers expect, as one flat float32 vector in the kernel's order.
public struct KerasModel: Sendable {
    /// The file it came from, as given.
    public let path: String
    /// The Keras version that wrote it (`keras_version`), when recorded.
    public internal(set) var kerasVersion: String?
    /// The backend it was saved from (`backend`), when recorded.
    public let backend: String?
    public internal(set) var config: KerasModelConfig
    /// Every layer but the input, in order.
    public let layers: [ModelLayer]
    /// All weights, layer after layer, each layer's in Keras's `weight_names` order.
    public var weights: [Float]
    /// The most memory a network of this model may take; planning refuses more before anything
    /// is allocated (`--max-memory`; by default half of the machine's memory).
    public var memoryLimit: Int = defaultMemoryLimit

    /// The number of parameters the model's layers need for its input.
    public func parameterCount() throws(RecurError) -> Int {
        guard let input = nominalInput else { throw .data("\(path) declares no usable input shape") }
        return try plannedLayers(input: input).reduce(0) { $0 + $1.parameterCount }
    }

    /// The kernel's layer table (unplanned).
    public var kernelLayers: [Layer] { layers.compactMap(\.kernel) }

    /// The input's per-sample dimensions as the file declares them (nil: any length).
    public var inputDims: [Int?] { config.inputDims ?? [] }

    /// Whether any layer carries its state from one call to the next (Keras's `stateful`).
    public var isStateful: Bool { kernelLayers.contains { $0.stateful } }

    /// The batch size a stateful model was built for (Keras fixes it in the input shape).
    public var statefulBatch: Int? { isStateful ? (config.batchSize ?? 1) : nil }

    /// The window length fixed by the file's input shape, if it fixes one.
    public var fixedWindow: Int? {
        inputDims.first ?? nil
    }

    /// The major version of the Keras that wrote the file.
    public var kerasMajor: Int { Self.kerasMajor(version: kerasVersion, config: config) }

    /// The input shape for windows of `window` steps (or the file's own fixed length).
    public func inputShape(window: Int?) throws(RecurError) -> TensorShape {
        let dims = inputDims
        let steps: Int
        switch (dims.first ?? nil, window) {
        case (let fixed?, let asked?) where fixed != asked:
            throw .usage("\(path) takes windows of \(fixed) steps, not \(asked)")
        case (let fixed?, _): steps = fixed
        case (nil, let asked?): steps = asked
        case (nil, nil):
            throw .usage("\(path) takes windows of any length; say how long with --window")
        }
        guard steps > 0 else { throw .usage("a window must hold at least one step") }
        // As every size in a layer's configuration: far from overflow in any product of three.
        let largest = 1 << 20
        guard steps <= largest, dims.dropFirst().allSatisfy({ ($0 ?? 1) <= largest }) else {
            throw .data("\(path) declares an input of shape \(Self.describe(dims)); recur takes at most \(largest) steps and features")
        }
        switch dims.count {
        case 1: return .vector(steps)
        case 2:
            guard let features = dims[1], features > 0 else {
                throw .data("\(path) declares an input with an unknown number of features")
            }
            return .sequence(steps, features)
        default:
            throw .data("\(path) declares an input of shape \(Self.describe(dims)); recur takes [steps] or [steps, features]")
        }
    }

    /// Plans the layer table for `input`, batch 1; the shapes and parameter counts this gives
    /// do not depend on the batch.
    public func plannedLayers(input: TensorShape) throws(RecurError) -> [Layer] {
        var table = kernelLayers
        do {
            _ = try table.withUnsafeMutableBufferPointer { buffer throws(PlanError) in
                try NetworkPlan(layers: buffer, input: input, batch: 1)
            }
        } catch {
            let name = kernelLayerNames[safe: error.layer] ?? "?"
            throw .data("\(path): layer '\(name)' cannot run: \(error.reason.text)")
        }
        return table
    }

    /// Names of the layers in the kernel table, parallel to ``kernelLayers``.
    public var kernelLayerNames: [String] { layers.filter { $0.kernel != nil }.map(\.name) }

    /// A shape for planning when the file leaves the window open: no layer that runs on a
    /// variable-length input has parameters that depend on its length.
    var nominalInput: TensorShape? {
        try? inputShape(window: fixedWindow ?? 16)
    }

    static func kerasMajor(version: String?, config: KerasModelConfig) -> Int {
        if let version, let major = Int(version.prefix { $0 != "." }) { return major }
        return 3
    }

    static func describe(_ dims: [Int?]) -> String {
        "[" + dims.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + "]"
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

extension KerasModel {
    /// A model that exists only in memory: built from an `--arch` specification, or trained
    /// here. `weights` must hold every parameter (zeros when they will be initialised).
    public init(path: String, name: String = "sequential", inputDims: [Int?], layers: [ModelLayer], weights: [Float]) {
        self.path = path
        self.kerasVersion = nil
        self.backend = nil
        self.config = KerasModelConfig(name: name, inputDims: inputDims, layerNames: layers.map(\.name))
        self.layers = layers
        self.weights = weights
    }
}

extension KerasModel {
    /// Why this model cannot be trained as Keras would train it, if it cannot: a layer whose
    /// training behaviour recur does not reproduce (a noise layer, a regulariser, a constraint). Inference is
    /// unaffected by these.
    public func trainingRefusal() -> String? {
        for layer in layers {
            if layer.kernel == nil {
                return "layer '\(layer.name)' is \(withArticle(layer.className)), whose training behaviour recur does not implement"
            }
            let config = layer.config["layer"]?["config"] ?? layer.config
            for key in ["kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
                        "kernel_constraint", "recurrent_constraint", "bias_constraint"] {
                if let value = config[key], !value.isEmptyOption {
                    return "layer '\(layer.name)' has a \(key), which recur does not apply when training"
                }
            }
        }
        return nil
    }
}
