import RecurKernel

/// A model described in the dialect of Keras 2's legacy `.h5`, which Keras 3 also reads: the
/// `model_config` JSON, and for each layer the names and shapes of its weights.
///
/// The configuration is made afresh from what the kernel computes rather than copied from the
/// file the model came from, because neither Keras reads the other's: tf_keras refuses a Keras 3
/// configuration (its `batch_shape` first), and Keras 3 refuses Keras 2's `time_major`. Each layer is written with the options that change its numbers and
/// takes Keras's defaults for the rest (initialisers, regularisers, constraints), which only
/// matter for training from scratch. Lambda layers are written as the built-in layers that
/// compute the same, so that the file loads without `safe_mode=False` or custom objects.
struct LegacyModelConfig {
    struct LayerEntry {
        let name: String
        /// The layer's `{"class_name": …, "config": …}`.
        let json: JSON
        /// Keras 2 weight names (`lstm/lstm_cell/kernel:0`) with their shapes, in Keras's order.
        let weights: [(name: String, shape: [Int])]
    }

    let modelConfig: JSON
    let layers: [LayerEntry]

    /// A shape to plan with when the file leaves the window open; no layer's weights depend on
    /// the window.
    static let nominalWindow = 16

    /// Describes `model` for `target`, or refuses it with a sentence naming the layer and why.
    init(_ model: ExportableModel, target: KerasTarget) throws(RecurError) {
        try Self.checkNames(model)
        let planned = try Self.plan(model)
        var entries: [LayerEntry] = []
        var kernelIndex = 0
        for layer in model.layers {
            if layer.kernel != nil {
                entries.append(try Self.entry(layer, planned: planned[kernelIndex], target: target))
                kernelIndex += 1
            } else {
                entries.append(try Self.identityEntry(layer))
            }
        }
        try Self.checkWeights(model, needed: entries.reduce(0) { $0 + $1.weights.reduce(0) { $0 + $1.shape.reduce(1, *) } })
        layers = entries
        let input = JSON.object([
            ("class_name", .string("InputLayer")),
            ("config", .object([
                // tf_keras refuses Keras 3's `batch_shape`; both read `batch_input_shape`.
                ("batch_input_shape", .array([.null] + model.inputDims.map { $0.map { .number(Double($0)) } ?? .null })),
                ("dtype", .string("float32")),
                ("name", .string(Self.unusedName("input_layer", among: model.layers.map(\.name)))),
            ])),
        ])
        // Both Kerases require the Sequential's name.
        modelConfig = .object([
            ("class_name", .string("Sequential")),
            ("config", .object([
                ("name", .string(model.name.isEmpty ? "sequential" : model.name)),
                ("layers", .array([input] + entries.map(\.json))),
            ])),
        ])
    }

    // MARK: - Checks and planning

    /// Layer names become HDF5 group names and must tell layers apart.
    static func checkNames(_ model: ExportableModel) throws(RecurError) {
        var seen: Set<String> = []
        for layer in model.layers {
            guard !layer.name.isEmpty, !layer.name.contains("/"), layer.name != ".", layer.name != ".." else {
                throw .data("a layer named '\(layer.name)' cannot be written: Keras layer names are not empty and hold no '/'")
            }
            // Keras keeps the model's own weights in a group of this name beside the layers'.
            guard layer.name != "top_level_model_weights" else {
                throw .data("a layer named 'top_level_model_weights' cannot be written: Keras uses that name itself")
            }
            guard seen.insert(layer.name).inserted else {
                throw .data("two layers are named '\(layer.name)'; Keras needs each layer's name to be unique")
            }
        }
    }

    /// Checks that the model holds the `needed` weights, all finite.
    static func checkWeights(_ model: ExportableModel, needed: Int) throws(RecurError) {
        guard needed == model.weights.count else {
            throw .data("the model needs \(needed) weights but \(model.weights.count) were given")
        }
        if let bad = model.weights.firstIndex(where: { !$0.isFinite }) {
            throw .data("weight \(bad) of the model is \(model.weights[bad]), which Keras would load but recur cannot read back")
        }
    }

    /// The kernel layers planned for a nominal input, which gives every weight's shape.
    static func plan(_ model: ExportableModel) throws(RecurError) -> [Layer] {
        let dims = model.inputDims
        guard dims.count == 1 || dims.count == 2, dims.allSatisfy({ ($0 ?? 1) > 0 }), dims.count == 1 || dims[1] != nil else {
            throw .data("the model's input shape \(KerasModel.describe(dims)) is not [steps] or [steps, features]")
        }
        let steps = dims[0] ?? nominalWindow
        let input: TensorShape = dims.count == 1 ? .vector(steps) : .sequence(steps, dims[1]!)
        var table = model.layers.compactMap(\.kernel)
        let names = model.layers.filter { $0.kernel != nil }.map(\.name)
        do {
            _ = try table.withUnsafeMutableBufferPointer { buffer throws(PlanError) in
                try NetworkPlan(layers: buffer, input: input, batch: 1)
            }
        } catch {
            throw .data("layer '\(names[safe: error.layer] ?? "?")' cannot run: \(error.reason.text)")
        }
        return table
    }

    /// `base`, or `base_1`, `base_2`, … whichever no layer is called.
    static func unusedName(_ base: String, among names: [String]) -> String {
        var candidate = base
        var suffix = 0
        while names.contains(candidate) {
            suffix += 1
            candidate = "\(base)_\(suffix)"
        }
        return candidate
    }

    // MARK: - Layers

    /// The Keras class a layer is written as: the built-in layer that computes what its kernel
    /// computes (a Lambda becomes a Reshape or a Rescaling), a TimeDistributed(Dense) as the
    /// TimeDistributed it came as (Keras 3 keys its weights by that class, §6), an identity layer
    /// as its own class.
    static func kerasClassName(_ layer: ExportableLayer) -> String {
        guard let kernel = layer.kernel else { return layer.className }
        switch kernel.kind {
        case .dense: return layer.className == "TimeDistributed" ? "TimeDistributed" : "Dense"
        case .recurrent: return kernel.directions == .bidirectional ? "Bidirectional" : recurrentClassName(kernel.cell)
        case .elementwise: return "Rescaling"
        case .activation: return "Activation"
        case .expandDims, .reshape: return "Reshape"
        case .flatten: return "Flatten"
        case .conv1D: return "Conv1D"
        case .pool1D: return kernel.average ? "AveragePooling1D" : "MaxPooling1D"
        case .globalPool1D: return kernel.average ? "GlobalAveragePooling1D" : "GlobalMaxPooling1D"
        case .dropout: return kernel.spatial ? "SpatialDropout1D" : "Dropout"
        }
    }

    static func entry(_ layer: ExportableLayer, planned: Layer, target: KerasTarget) throws(RecurError) -> LayerEntry {
        let kernel = layer.kernel!
        let name = layer.name
        let className = kerasClassName(layer)
        var options: [(key: String, value: JSON)] = []
        var weights: [(name: String, shape: [Int])] = []
        let shapes = KerasModel.weightShapes(of: planned)
        switch kernel.kind {
        case .dense:
            options = [
                ("units", .number(Double(kernel.units))),
                ("activation", .string(try activationName(kernel.activation, layer: name, target: target))),
                ("use_bias", .bool(kernel.useBias)),
            ]
            if className == "TimeDistributed" {
                let inner = layer.config?["layer"]?["config"]?["name"]?.string ?? "dense"
                options = [("layer", .object([
                    ("module", .string("keras.layers")),
                    ("class_name", .string("Dense")),
                    ("config", .object([("name", .string(inner)), ("trainable", .bool(true)), ("dtype", .string("float32"))] + options)),
                ]))]
            }
            weights = shapes.map { ("\(name)/\($0.label):0", $0.shape) }
        case .recurrent:
            let cellName = recurrentCellName(kernel.cell)
            if kernel.directions == .bidirectional {
                let inner = innerLayerName(layer)
                options = [
                    // Keras 3 looks up a wrapped layer's class by its module, and refuses one
                    // without ("Could not locate class 'LSTM'"); tf_keras reads the module too.
                    ("layer", .object([
                        ("module", .string("keras.layers")),
                        ("class_name", .string(recurrentClassName(kernel.cell))),
                        ("config", .object(try recurrentOptions(kernel, name: inner, layer: name, target: target))),
                    ])),
                    ("merge_mode", .string(mergeModeName(kernel.merge))),
                ]
                // Keras 2 names the two copies of the inner layer forward_NAME and backward_NAME.
                weights = shapes.map { shape in
                    let parts = shape.label.split(separator: " ", maxSplits: 1)
                    return ("\(name)/\(parts[0])_\(inner)/\(cellName)/\(parts[1]):0", shape.shape)
                }
            } else {
                options = try recurrentOptions(kernel, name: nil, layer: name, target: target)
                weights = shapes.map { ("\(name)/\(cellName)/\($0.label):0", $0.shape) }
            }
        case .elementwise:
            let (scale, offset) = rescaling(kernel)
            guard scale.isFinite, offset.isFinite else {
                throw .data("layer '\(name)' computes \(describe(kernel)), which no Rescaling layer can hold")
            }
            options = [("scale", .number(scale)), ("offset", .number(offset))]
        case .activation:
            options = [("activation", .string(try activationName(kernel.activation, layer: name, target: target)))]
        case .expandDims:
            // expand_dims on [batch, n]: a Reshape with the unknown length left to Keras (-1),
            // which both Kerases accept for a window of any length.
            let target: [Double] = kernel.axis == 1 ? [1, -1] : [-1, 1]
            options = [("target_shape", .array(target.map { .number($0) }))]
        case .flatten:
            options = [("data_format", .string("channels_last"))]
        case .reshape:
            let dims = kernel.target.steps == 0 ? [kernel.target.features] : [kernel.target.steps, kernel.target.features]
            options = [("target_shape", .array(dims.map { .number(Double($0)) }))]
        case .conv1D:
            options = [
                ("filters", .number(Double(kernel.units))),
                ("kernel_size", .array([.number(Double(kernel.window.size))])),
                ("strides", .array([.number(Double(kernel.window.stride))])),
                ("padding", .string(paddingName(kernel.window.padding))),
                ("data_format", .string("channels_last")),
                ("dilation_rate", .array([.number(Double(kernel.window.dilation))])),
                ("groups", .number(1)),
                ("activation", .string(try activationName(kernel.activation, layer: name, target: target))),
                ("use_bias", .bool(kernel.useBias)),
            ]
            weights = shapes.map { ("\(name)/\($0.label):0", $0.shape) }
        case .pool1D:
            options = [
                ("pool_size", .array([.number(Double(kernel.window.size))])),
                ("strides", .array([.number(Double(kernel.window.stride))])),
                ("padding", .string(paddingName(kernel.window.padding))),
                ("data_format", .string("channels_last")),
            ]
        case .globalPool1D:
            options = [("data_format", .string("channels_last")), ("keepdims", .bool(false))]
        case .dropout:
            options = [("rate", .number(Double(kernel.rate)))]
        }
        return LayerEntry(name: name, json: layerJSON(className, layer, options, hasWeights: !weights.isEmpty), weights: weights)
    }

    static func paddingName(_ padding: Padding) -> String {
        switch padding {
        case .valid: return "valid"
        case .same: return "same"
        case .causal: return "causal"
        }
    }

    /// Dropout and the noise layers: the identity at inference, written as they were.
    static func identityEntry(_ layer: ExportableLayer) throws(RecurError) -> LayerEntry {
        let option: String
        switch layer.className {
        case "Dropout", "SpatialDropout1D", "GaussianDropout", "AlphaDropout": option = "rate"
        case "GaussianNoise": option = "stddev"
        default:
            throw .data("layer '\(layer.name)' is \(withArticle(layer.className)) without a computation recur knows, so it cannot be written")
        }
        // The rate only matters when training; a layer built without one is the identity.
        let value = layer.config?[option]?.number ?? 0
        return LayerEntry(name: layer.name, json: layerJSON(layer.className, layer, [(option, .number(value))], hasWeights: false), weights: [])
    }

    /// `{"class_name": C, "config": {"name", "trainable", "dtype", options…}}`. `trainable` (a
    /// frozen layer stays frozen) is written only for a layer with weights: Keras 3's
    /// `SpatialDropout1D` takes no `trainable` and refuses to load with one.
    static func layerJSON(_ className: String, _ layer: ExportableLayer, _ options: [(key: String, value: JSON)], hasWeights: Bool) -> JSON {
        let trainable: [(key: String, value: JSON)] = hasWeights ? [("trainable", .bool(layer.config?["trainable"]?.bool ?? true))] : []
        // Keras 3 writes a DTypePolicy object as the dtype, which tf_keras refuses; both read
        // the plain string.
        return .object([
            ("class_name", .string(className)),
            ("config", .object([("name", .string(layer.name))] + trainable + [("dtype", .string("float32"))] + options)),
        ])
    }

    static func recurrentOptions(_ kernel: Layer, name: String?, layer: String, target: KerasTarget) throws(RecurError) -> [(key: String, value: JSON)] {
        var options: [(key: String, value: JSON)] = []
        if let name {
            options += [("name", .string(name)), ("trainable", .bool(true)), ("dtype", .string("float32"))]
        }
        options += [
            ("return_sequences", .bool(kernel.returnSequences)),
            ("return_state", .bool(false)),
            ("go_backwards", .bool(kernel.directions == .backward)),
            ("stateful", .bool(false)),
            ("unroll", .bool(false)),
            ("units", .number(Double(kernel.units))),
            ("activation", .string(try activationName(kernel.activation, layer: layer, target: target))),
        ]
        if kernel.cell != .simple {
            options.append(("recurrent_activation", .string(try activationName(kernel.recurrentActivation, layer: layer, target: target))))
        }
        options.append(("use_bias", .bool(kernel.useBias)))
        if kernel.cell == .gruResetAfter || kernel.cell == .gruResetBefore {
            options.append(("reset_after", .bool(kernel.cell == .gruResetAfter)))
        }
        return options
    }

    /// The name of a Bidirectional's inner layer: the one its configuration gives (Keras 3
    /// prefixes it with `forward_`, Keras 2 does not), or the class's default name.
    static func innerLayerName(_ layer: ExportableLayer) -> String {
        let given = layer.config?["layer"]?["config"]?["name"]?.string ?? ""
        let name = given.hasPrefix("forward_") ? String(given.dropFirst("forward_".count)) : given
        if name.isEmpty || name.contains("/") {
            switch layer.kernel!.cell {
            case .simple: return "simple_rnn"
            case .lstm: return "lstm"
            case .gruResetAfter, .gruResetBefore: return "gru"
            }
        }
        return name
    }

    static func recurrentClassName(_ cell: Cell) -> String {
        switch cell {
        case .simple: return "SimpleRNN"
        case .lstm: return "LSTM"
        case .gruResetAfter, .gruResetBefore: return "GRU"
        }
    }

    static func recurrentCellName(_ cell: Cell) -> String {
        switch cell {
        case .simple: return "simple_rnn_cell"
        case .lstm: return "lstm_cell"
        case .gruResetAfter, .gruResetBefore: return "gru_cell"
        }
    }

    static func mergeModeName(_ merge: MergeMode) -> String {
        switch merge {
        case .concat: return "concat"
        case .sum: return "sum"
        case .average: return "ave"
        case .multiply: return "mul"
        }
    }

    /// The `(scale, offset)` of the `Rescaling` layer (`x * scale + offset`) that computes an
    /// element-wise layer. Keras casts both to float32, as recur reads them back. Only `x / c`
    /// changes: it becomes `x * (1/c)`, which can differ from the division in the last bit.
    static func rescaling(_ kernel: Layer) -> (scale: Double, offset: Double) {
        let c = Double(kernel.constant)
        switch kernel.operation {
        case .multiply: return (c, 0)
        case .divide: return (1 / c, 0)
        case .add: return (1, c)
        case .subtract: return (1, -c)
        case .subtractFrom: return (-1, c)
        case .scaleAndOffset: return (c, Double(kernel.offset))
        }
    }

    static func describe(_ kernel: Layer) -> String {
        let c = kernel.constant
        switch kernel.operation {
        case .multiply: return "x * \(c)"
        case .divide: return "x / \(c)"
        case .add: return "x + \(c)"
        case .subtract: return "x - \(c)"
        case .subtractFrom: return "\(c) - x"
        case .scaleAndOffset: return "x * \(c) + \(kernel.offset)"
        }
    }

    /// The activation's Keras name, if every Keras the file is for computes it as recur does.
    static func activationName(_ activation: Activation, layer: String, target: KerasTarget) throws(RecurError) -> String {
        let name = activation.kerasName
        let missing = target.majors.subtracting(activation.kerasMajors)
        guard let major = missing.min() else { return name }
        let only = activation.kerasMajors.min()!
        let hint = "write it for Keras \(only) alone (recur export --keras \(only))"
        if let formula = activation.formula {
            let other: Activation = activation == .hardSigmoid ? .hardSigmoidKeras2 : .hardSigmoid
            throw .data("layer '\(layer)' uses Keras \(only)'s hard_sigmoid, \(formula), which Keras \(major) computes differently under the same name (\(other.formula!)); \(hint)")
        }
        throw .data("layer '\(layer)' uses activation '\(name)', which Keras \(major) does not have; \(hint)")
    }
}
