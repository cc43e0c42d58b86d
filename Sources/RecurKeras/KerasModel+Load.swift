import CHDF5
import Glibc
import RecurKernel

extension KerasModel {
    /// Reads a Keras model file: a legacy full-model `.h5` (Keras 2 or 3) or a `.keras` archive.
    ///
    /// - Parameters:
    ///   - lambdaOverrides: operations for Lambda layers, by layer name, that replace what the
    ///     recogniser would make of their code.
    /// - Throws: ``RecurError`` naming the file and, where there is one, the layer.
    public static func load(path: String, lambdaOverrides: [String: LambdaOperation] = [:]) throws(RecurError) -> KerasModel {
        switch try sniff(path: path) {
        case .hdf5:
            return try withHDF5 { () throws(RecurError) -> KerasModel in
                let reader: HDF5Reader
                do throws(HDF5Failure) { reader = try HDF5Reader(path: path) } catch {
                    throw .data(error.sentence(about: path))
                }
                return try loadLegacy(reader, path: path, lambdaOverrides: lambdaOverrides)
            }
        case .zip:
            return try loadArchive(path: path, lambdaOverrides: lambdaOverrides)
        case .other:
            throw .data("\(path) is not a Keras model file (neither HDF5 nor a .keras archive)")
        }
    }

    enum FileKind { case hdf5, zip, other }

    /// Checks that `path` is a readable file and tells HDF5 from zip (and from anything else, a
    /// JSON configuration for one) by their signatures.
    static func sniff(path: String) throws(RecurError) -> FileKind {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .noInput("\(path): \(String(cString: strerror(errno)))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .noInput("\(path) is not a regular file") }
        guard let file = fopen(path, "rb") else {
            throw .noInput("\(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        var head = [UInt8](repeating: 0, count: 8)
        let read = fread(&head, 1, 8, file)
        fclose(file)
        if read == 8 && head == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] { return .hdf5 }
        if read >= 4 && head.prefix(4) == [0x50, 0x4B, 0x03, 0x04] { return .zip }
        // HDF5 also allows its signature after a user block of 512, 1024, … bytes.
        if read == 8 && isHDF5(path: path) { return .hdf5 }
        if read == 0 { throw .data("\(path) is empty, not a Keras model") }
        return .other
    }

    /// A legacy full-model file: `model_config` at the root, weights under `/model_weights`.
    static func loadLegacy(_ reader: HDF5Reader, path: String, lambdaOverrides: [String: LambdaOperation]) throws(RecurError) -> KerasModel {
        var model = try legacyArchitecture(reader, path: path, lambdaOverrides: lambdaOverrides)
        guard let weightsGroup = try legacyWeightsGroup(reader, path: path) else {
            throw .data("\(path) has a model configuration but no model_weights group")
        }
        model.weights = try readLegacyWeights(reader, group: weightsGroup, model: model)
        return model
    }

    /// The model that a legacy full-model file describes (`model_config` and `keras_version` at
    /// the root, or `keras_version` under `/model_weights`), without its weights.
    static func legacyArchitecture(_ reader: HDF5Reader, path: String, lambdaOverrides: [String: LambdaOperation]) throws(RecurError) -> KerasModel {
        let root = reader.file.id
        let configText: String?
        do throws(HDF5Failure) { configText = try reader.stringAttribute("model_config", on: root) } catch {
            throw .data("\(path) has an unreadable model_config attribute: \(error.description)")
        }
        guard let configText else {
            if hasWeightsOnly(reader) {
                throw .data("\(path) holds weights only, without the model's architecture; give the architecture with --config (the model's .keras, .h5 or model.to_json() file, or a layer list such as \"LSTM(32), Dense(1)\"), or save the full model with model.save(\"model.keras\")")
            }
            throw .data("\(path) is an HDF5 file but not a Keras model: it has no model_config attribute")
        }
        let config = try parseConfig(configText, path: path, what: "a model_config").config

        let weightsGroup = try legacyWeightsGroup(reader, path: path)
        var version = (try? reader.stringAttribute("keras_version", on: root)) ?? nil
        if version == nil, let weightsGroup { version = (try? reader.stringAttribute("keras_version", on: weightsGroup.id)) ?? nil }
        let backend = (try? reader.stringAttribute("backend", on: root)) ?? nil
        var model = try assemble(config, configText: configText, version: version, backend: backend, path: path, lambdaOverrides: lambdaOverrides)
        if model.config.inputDims == nil, let weightsGroup {
            model.config.inputDims = inferInputDims(reader, group: weightsGroup, layers: model.layers)
        }
        return model
    }

    /// The `/model_weights` group of a legacy full-model file, if it has one.
    static func legacyWeightsGroup(_ reader: HDF5Reader, path: String) throws(RecurError) -> H5Object? {
        guard reader.exists("model_weights") else { return nil }
        do throws(HDF5Failure) { return try reader.openGroup("model_weights") } catch {
            throw .data("\(path): \(error.description)")
        }
    }

    /// Parses a model configuration: a `model_config` attribute, a `.keras` archive's
    /// `config.json` or a `model.to_json()` file (`what` names it in errors).
    static func parseConfig(_ text: String, path: String, what: String) throws(RecurError) -> (json: JSON, config: KerasModelConfig) {
        // Kept with the model (each layer keeps its part of it).
        try MemoryBudget.reserve(MemoryBudget.bytes(text.utf8.count, of: JSON.bytesPerTextByte), for: "the configuration in \(path)")
        let json: JSON
        do throws(JSONError) { json = try JSON.parse(text) } catch {
            throw .data("\(path) has \(what) that is not valid JSON (\(error.description))")
        }
        do throws(RecurError) { return (json, try KerasModelConfig(json)) } catch { throw .data("\(path): \(error.message)") }
    }

    /// The model that a configuration describes, its layers mapped onto the kernel, without
    /// weights. Without a recorded version, a configuration in Keras 3's dialect (`batch_shape`)
    /// is taken for Keras 3's, any other for Keras 2's: `hard_sigmoid` differs.
    static func assemble(
        _ config: KerasModelConfig, configText: String, version: String?, backend: String?, path: String,
        lambdaOverrides: [String: LambdaOperation]
    ) throws(RecurError) -> KerasModel {
        let major = version.flatMap { Int($0.prefix { $0 != "." }) } ?? (configText.contains("\"batch_shape\"") ? 3 : 2)
        let context = MappingContext(kerasMajor: major, lambdaOverrides: lambdaOverrides)
        var layers: [ModelLayer] = []
        for layer in config.layers {
            do throws(RecurError) { layers.append(try mapLayer(layer, context)) } catch { throw .data("\(path): \(error.message)") }
        }
        let unused = Set(lambdaOverrides.keys).subtracting(layers.filter { $0.className == "Lambda" }.map(\.name))
        if let name = unused.sorted().first {
            throw .usage("\(path) has no Lambda layer named '\(name)' to map")
        }
        return KerasModel(path: path, kerasVersion: version, backend: backend, config: config, layers: layers, weights: [])
    }

    /// The input shape of a model whose configuration leaves it out (standalone Keras built
    /// lazily, on its first call), from its first layer: a Lambda expand_dims takes a window of
    /// any length; a recurrent or convolutional layer a sequence of any length with as many
    /// features as its kernel has rows; a Dense layer as many values as its kernel has rows.
    static func inferInputDims(_ reader: HDF5Reader, group: H5Object, layers: [ModelLayer]) -> [Int?]? {
        guard let first = layers.first(where: { $0.kernel.map { !$0.kind.isView || $0.kind == .expandDims } ?? false }),
            let kernel = first.kernel
        else { return nil }
        if kernel.kind == .expandDims { return kernel.axis == 1 ? [nil] : [nil] }
        // The rows of the first weight of the layer's group.
        guard let layerGroup = try? reader.openGroup(first.name, in: group.id),
            let names = (try? reader.stringArrayAttribute("weight_names", on: layerGroup.id)) ?? nil, let name = names.first,
            let dataset = try? reader.openDataset(name, in: layerGroup.id),
            let shape = try? reader.datasetInfo(dataset).shape, shape.count >= 2
        else { return nil }
        let rows = shape[shape.count - 2]
        switch kernel.kind {
        case .recurrent, .conv1D: return [nil, rows]
        case .dense: return [rows]
        default: return nil
        }
    }

    /// The weights each layer with parameters expects, in Keras's order: `(layer name, [(weight
    /// label, shape)])`.
    func expectedWeights() throws(RecurError) -> [(name: String, weights: [(label: String, shape: [Int])])] {
        guard let input = nominalInput else {
            throw .data("\(path) declares no usable input shape")
        }
        let planned = try plannedLayers(input: input)
        var result: [(name: String, weights: [(label: String, shape: [Int])])] = []
        var kernelIndex = 0
        for layer in layers {
            guard layer.kernel != nil else { continue }
            let kernel = planned[kernelIndex]
            kernelIndex += 1
            let shapes = Self.weightShapes(of: kernel)
            if !shapes.isEmpty { result.append((layer.name, shapes)) }
        }
        return result
    }

    /// The weight shapes of a planned kernel layer, in Keras's order.
    static func weightShapes(of layer: Layer) -> [(label: String, shape: [Int])] {
        switch layer.kind {
        case .dense:
            var shapes = [("kernel", [layer.input.features, layer.units])]
            if layer.useBias { shapes.append(("bias", [layer.units])) }
            return shapes
        case .recurrent:
            let gates = layer.cell.gateCount * layer.units
            var one = [("kernel", [layer.input.features, gates]), ("recurrent_kernel", [layer.units, gates])]
            if layer.useBias { one.append(("bias", layer.cell == .gruResetAfter ? [2, gates] : [gates])) }
            if layer.directions != .bidirectional { return one }
            return one.map { ("forward " + $0.0, $0.1) } + one.map { ("backward " + $0.0, $0.1) }
        case .conv1D:
            var shapes = [("kernel", [layer.window.size, layer.input.features, layer.units])]
            if layer.useBias { shapes.append(("bias", [layer.units])) }
            return shapes
        default:
            return []
        }
    }

    /// Reads the weights of a legacy file by order: the groups listed in `layer_names` that hold
    /// weights, matched in turn to the model's layers that have parameters, each layer's
    /// datasets in its `weight_names` order — as Keras itself loads them.
    static func readLegacyWeights(_ reader: HDF5Reader, group: H5Object, model: KerasModel) throws(RecurError) -> [Float] {
        let path = model.path
        let names: [String]?
        do throws(HDF5Failure) { names = try reader.stringArrayAttribute("layer_names", on: group.id) } catch {
            throw .data("\(path) has unreadable layer_names: \(error.description)")
        }
        guard let layerNames = names else { throw .data("\(path) lists no layer_names for its weights") }
        var stored: [(name: String, group: H5Object, weightNames: [String])] = []
        for name in layerNames {
            guard reader.exists(name, in: group.id) else {
                throw .data("\(path) lists layer '\(name)' in layer_names but has no group for it")
            }
            do throws(HDF5Failure) {
                let layerGroup = try reader.openGroup(name, in: group.id)
                let weightNames = try reader.stringArrayAttribute("weight_names", on: layerGroup.id) ?? []
                if !weightNames.isEmpty { stored.append((name, layerGroup, weightNames)) }
            } catch {
                throw .data("\(path): the weights of layer '\(name)' are unreadable: \(error.description)")
            }
        }

        // Keras matches layers with weights in `model.layers` order.
        let expected = try model.expectedWeights()
        try reserveWeights(expected, of: path)
        let order = model.config.weightOrder
        let expectedInFileOrder = expected.sorted {
            (order.firstIndex(of: $0.name) ?? Int.max) < (order.firstIndex(of: $1.name) ?? Int.max)
        }
        guard stored.count == expected.count else {
            throw .data("\(path) holds weights for \(stored.count) layers, but its model has \(expected.count) layers with weights")
        }
        var byLayer: [String: [Float]] = [:]
        for (file, want) in zip(stored, expectedInFileOrder) {
            guard file.weightNames.count == want.weights.count else {
                throw .data("\(path): layer '\(want.name)' needs \(want.weights.count) weights, but the file holds \(file.weightNames.count) for it")
            }
            var values: [Float] = []
            for (weightName, spec) in zip(file.weightNames, want.weights) {
                values += try readWeight(reader, in: file.group, name: weightName, layer: want.name, label: spec.label, shape: spec.shape, path: path)
            }
            byLayer[want.name] = values
        }
        return expected.flatMap { byLayer[$0.name]! }
    }

    /// Counts the weights a file is about to be read into against the ``MemoryBudget``: the
    /// model's vector and the arrays it is gathered from. (Planning has bounded each shape's
    /// product to 2^40.)
    static func reserveWeights(_ expected: [(name: String, weights: [(label: String, shape: [Int])])], of path: String) throws(RecurError) {
        let count = expected.reduce(0) { $0 + $1.weights.reduce(0) { $0 + $1.shape.reduce(1, *) } }
        try MemoryBudget.reserve(MemoryBudget.bytes(count, of: 2 * MemoryLayout<Float>.size), for: "the \(count) weights of \(path)")
    }

    static func readWeight(
        _ reader: HDF5Reader, in group: H5Object, name: String, layer: String, label: String, shape: [Int], path: String
    ) throws(RecurError) -> [Float] {
        let dataset: H5Object
        do throws(HDF5Failure) { dataset = try reader.openDataset(name, in: group.id) } catch {
            throw .data("\(path): layer '\(layer)' names weight '\(name)', which the file does not hold")
        }
        let info: (shape: [Int], valueClass: H5ValueClass, size: Int)
        do throws(HDF5Failure) { info = try reader.datasetInfo(dataset) } catch {
            throw .data("\(path): weight '\(name)' of layer '\(layer)' is unreadable: \(error.description)")
        }
        guard info.valueClass == .float || info.valueClass == .integer else {
            throw .data("\(path): weight '\(name)' of layer '\(layer)' is not numeric")
        }
        guard info.shape == shape else {
            throw .data("\(path): layer '\(layer)' expects its \(label) to have shape \(shape), but '\(name)' has shape \(info.shape)")
        }
        let count = shape.reduce(1, *)
        guard !reader.isShapeBomb(dataset, count: count) else {
            throw .data("\(path): weight '\(name)' of layer '\(layer)' declares \(count) values but stores almost none (a damaged or hostile file)")
        }
        var values = [Float](repeating: 0, count: count)
        do throws(HDF5Failure) {
            try values.withUnsafeMutableBufferPointer { buffer throws(HDF5Failure) in
                try reader.readFloats(dataset, into: buffer.baseAddress!, count: count)
            }
        } catch {
            throw .data("\(path): weight '\(name)' of layer '\(layer)' is unreadable: \(error.description)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw .data("\(path): weight '\(name)' of layer '\(layer)' holds \(values[bad]) (not a finite float32) at index \(bad)")
        }
        return values
    }
}
