/// One Keras layer as its configuration describes it.
public struct KerasLayerConfig: Sendable {
    public let className: String
    public let name: String
    public let config: JSON
}

/// The parts of a Keras `model_config` that recur uses: the model's name and class, the declared
/// input shape, and its layers in the order data flows through them.
public struct KerasModelConfig: Sendable {
    public let modelClass: String
    public let name: String
    /// Per-sample input dimensions (without the batch axis); nil for a `None` dimension. Nil
    /// when the file does not declare the input shape.
    public internal(set) var inputDims: [Int?]?
    /// The batch size the input declares, when it fixes one (stateful models do).
    public internal(set) var batchSize: Int?
    /// Every layer but the input layer, input first.
    public let layers: [KerasLayerConfig]
    /// The layers in `model.layers` order (the order of the weights in the file).
    public let weightOrder: [String]

    /// A configuration for a model built in recur (a Sequential model of these layers).
    public init(name: String, inputDims: [Int?], layerNames: [String]) {
        self.modelClass = "Sequential"
        self.name = name
        self.inputDims = inputDims
        self.batchSize = nil
        self.layers = []
        self.weightOrder = layerNames
    }

    /// Reads a `model_config` (or a `.keras` archive's `config.json`) object.
    public init(_ json: JSON) throws(RecurError) {
        guard let className = json["class_name"]?.string, let config = json["config"] else {
            throw .data("its model configuration has no 'class_name' and 'config'")
        }
        modelClass = className
        name = config["name"]?.string ?? className.lowercased()
        switch className {
        case "Sequential":
            (inputDims, batchSize, layers) = try Self.sequential(config)
        case "Functional", "Model":
            (inputDims, batchSize, layers) = try Self.functionalChain(config)
        default:
            throw .data("its model is a '\(className)', and recur reads Sequential and Functional models")
        }
        // Keras 3's serialisation (`config.json`, `to_json()`) records the shape a model was
        // built for beside its configuration, which a Sequential without an InputLayer needs.
        if inputDims == nil {
            inputDims = Self.sampleDims(json["build_config"]?["input_shape"])
        }
        weightOrder = (config["layers"]?.array ?? []).compactMap { layer in
            guard layer["class_name"]?.string != "InputLayer" else { return nil }
            return layer["config"]?["name"]?.string ?? layer["name"]?.string
        }
    }

    static func layerConfig(_ json: JSON) throws(RecurError) -> KerasLayerConfig {
        guard let className = json["class_name"]?.string, let config = json["config"] else {
            throw .data("a layer in its configuration has no 'class_name' and 'config'")
        }
        let name = config["name"]?.string ?? json["name"]?.string ?? className.lowercased()
        return KerasLayerConfig(className: className, name: name, config: config)
    }

    /// A shape list such as `[null, null, 1]` (batch first) as per-sample dimensions.
    static func sampleDims(_ json: JSON?) -> [Int?]? {
        guard let list = json?.array, !list.isEmpty else { return nil }
        return list.dropFirst().map { $0.integer }
    }

    /// The batch dimension of such a list, when it is fixed.
    static func batchDim(_ json: JSON?) -> Int? {
        json?.array?.first?.integer
    }

    static func sequential(_ config: JSON) throws(RecurError) -> ([Int?]?, Int?, [KerasLayerConfig]) {
        guard let list = config["layers"]?.array else {
            throw .data("its Sequential configuration has no layer list")
        }
        var inputDims: [Int?]? = nil
        var batch: Int? = nil
        var layers: [KerasLayerConfig] = []
        for entry in list {
            let layer = try layerConfig(entry)
            if layer.className == "InputLayer" {
                let shape = layer.config["batch_shape"] ?? layer.config["batch_input_shape"]
                inputDims = sampleDims(shape)
                batch = batchDim(shape)
                continue
            }
            // Keras 2 records the input shape on the first layer when the model was built
            // with `input_shape=`.
            if inputDims == nil, layers.isEmpty {
                let shape = layer.config["batch_input_shape"] ?? layer.config["batch_shape"]
                inputDims = sampleDims(shape)
                batch = batchDim(shape)
            }
            layers.append(layer)
        }
        if inputDims == nil {
            inputDims = sampleDims(config["build_input_shape"])
            batch = batchDim(config["build_input_shape"])
        }
        return (inputDims, batch, layers)
    }

    /// The layers of a Functional model, which recur accepts when they form one chain from
    /// the input to the output.
    static func functionalChain(_ config: JSON) throws(RecurError) -> ([Int?]?, Int?, [KerasLayerConfig]) {
        guard let list = config["layers"]?.array else {
            throw .data("its Functional configuration has no layer list")
        }
        var byName: [String: (layer: KerasLayerConfig, inbound: [String])] = [:]
        var inputName: String?
        var inputDims: [Int?]?
        var batch: Int?
        for entry in list {
            let layer = try layerConfig(entry)
            let name = entry["name"]?.string ?? layer.name
            let inbound = inboundLayerNames(entry["inbound_nodes"])
            if layer.className == "InputLayer" {
                guard inputName == nil else { throw .data("its model has more than one input; recur runs single-input chains") }
                inputName = name
                inputDims = sampleDims(layer.config["batch_shape"] ?? layer.config["batch_input_shape"])
                batch = batchDim(layer.config["batch_shape"] ?? layer.config["batch_input_shape"])
            }
            byName[name] = (layer, inbound)
        }
        guard let inputName else { throw .data("its Functional model declares no input layer") }
        let outputs = config["output_layers"]?.array ?? []
        // `[["dense", 0, 0]]` (list of lists) or `["dense", 0, 0]` (a single output).
        let outputName: String?
        if let first = outputs.first?.array { outputName = outputs.count == 1 ? first.first?.string : nil }
        else { outputName = outputs.first?.string }
        guard let outputName else { throw .data("its model has more than one output; recur runs single-output chains") }

        var chain: [KerasLayerConfig] = []
        var current = outputName
        var seen: Set<String> = []
        while current != inputName {
            guard let node = byName[current], seen.insert(current).inserted else {
                throw .data("its model's layers do not form a chain from the input to the output")
            }
            guard node.inbound.count == 1 else {
                throw .data("layer '\(current)' has \(node.inbound.count) inputs; recur runs models whose layers form a single chain")
            }
            chain.append(node.layer)
            current = node.inbound[0]
        }
        guard chain.count == byName.count - 1 else {
            throw .data("its model has layers off the chain from input to output; recur runs single-chain models")
        }
        return (inputDims, batch, chain.reversed())
    }

    /// The names of the layers feeding a layer, from Keras 3's `{"args": [keras tensors]}` or
    /// Keras 2's `[[["name", 0, 0, {}]]]` inbound-node lists.
    static func inboundLayerNames(_ nodes: JSON?) -> [String] {
        guard let nodes = nodes?.array else { return [] }
        var names: [String] = []
        for node in nodes {
            if let args = node["args"]?.array {
                for argument in args { collectHistory(argument, into: &names) }
            } else if let tensors = node.array {
                for tensor in tensors {
                    if let name = tensor.array?.first?.string { names.append(name) }
                }
            }
        }
        return names
    }

    static func collectHistory(_ value: JSON, into names: inout [String]) {
        if let history = value["config"]?["keras_history"]?.array, let name = history.first?.string {
            names.append(name)
        } else if let list = value.array {
            for element in list { collectHistory(element, into: &names) }
        }
    }
}
