import CHDF5

extension KerasModel {
    /// Whether an HDF5 file without a model configuration holds weights: Keras 2's layout at the
    /// root (`model.save_weights("w.h5")`) or Keras 3's (`model.save_weights("w.weights.h5")`).
    static func hasWeightsOnly(_ reader: HDF5Reader) -> Bool {
        let root = reader.file.id
        return reader.hasAttribute("layer_names", on: root) || reader.hasAttribute("layer_names0", on: root)
            || KerasV3Layout.layerRoots.contains { reader.exists($0) }
    }

    /// Reads `model`'s weights from an HDF5 file in whichever layout Keras wrote them: Keras 2's
    /// weights-only file (`layer_names` at the root), a full model's `/model_weights` (which
    /// Keras's `load_weights` also reads), or Keras 3's `layers/…/vars` layout.
    static func readWeights(_ reader: HDF5Reader, model: KerasModel) throws(RecurError) -> [Float] {
        let root = reader.file
        if reader.hasAttribute("layer_names", on: root.id) || reader.hasAttribute("layer_names0", on: root.id) {
            return try readLegacyWeights(reader, group: root, model: model)
        }
        if let group = try legacyWeightsGroup(reader, path: model.path) {
            return try readLegacyWeights(reader, group: group, model: model)
        }
        if let layers = KerasV3Layout.layerRoots.first(where: { reader.exists($0) }) {
            return try readV3Weights(reader, root: layers, model: model)
        }
        throw .data("\(model.path) holds no Keras weights: it has neither layer_names (Keras 2's layout) nor a layers group (Keras 3's)")
    }

    /// Reads weights stored in Keras 3's layout under `root` (`KerasV3Layout`): each layer with
    /// weights at the groups Keras derives from its class and position, every group holding as
    /// many datasets as the layer has weights there, each of the shape the layer expects.
    /// Datasets under `root` that no layer reads mean the weights belong to another architecture,
    /// and are refused.
    static func readV3Weights(_ reader: HDF5Reader, root: String, model: KerasModel) throws(RecurError) -> [Float] {
        let path = model.path
        // Keys follow `model.layers` order, which is the configuration's layer list.
        var byName: [String: ModelLayer] = [:]
        for layer in model.layers where byName[layer.name] == nil { byName[layer.name] = layer }
        var ordered = model.config.weightOrder.compactMap { byName[$0] }
        if ordered.count != model.layers.count { ordered = model.layers }
        var keyOf: [String: String] = [:]
        for (layer, key) in zip(ordered, KerasV3Layout.keys(classNames: ordered.map(\.className))) where keyOf[layer.name] == nil {
            keyOf[layer.name] = key
        }

        let expected = try model.expectedWeights()
        try reserveWeights(expected, of: path)
        var read: Set<String> = []
        var byLayer: [String: [Float]] = [:]
        for want in expected {
            let layer = byName[want.name]!
            let groups = KerasV3Layout.objects(of: layer.className).variables
            let share = want.weights.count / groups.count
            var values: [Float] = []
            for (index, group) in groups.enumerated() {
                let layerPath = "\(root)/\(keyOf[want.name]!)"
                let groupPath = "\(layerPath)/\(group)"
                guard reader.exists(groupPath) else {
                    let hint = reader.exists(layerPath) ? "" : describeKeys(reader, root: root)
                    throw .data("\(path): layer '\(want.name)' (\(layer.className)) keeps its weights in \(groupPath), which the file does not have\(hint)")
                }
                let names: [String]
                do throws(HDF5Failure) {
                    let group = try reader.openGroup(groupPath)
                    names = try withExtendedLifetime(group) { () throws(HDF5Failure) in try reader.memberNames(of: group.id) }
                } catch {
                    throw .data("\(path): \(groupPath) is unreadable: \(error.description)")
                }
                guard names.count == share else {
                    throw .data("\(path): layer '\(want.name)' has \(share) weights in \(groupPath), but the file holds \(names.count) there")
                }
                for position in 0..<share {
                    let spec = want.weights[index * share + position]
                    let dataset = "\(groupPath)/\(position)"
                    values += try readWeight(reader, in: reader.file, name: dataset, layer: want.name, label: spec.label, shape: spec.shape, path: path)
                    read.insert(dataset)
                }
            }
            byLayer[want.name] = values
        }
        let stored: [String]
        do throws(HDF5Failure) { stored = try reader.datasetPaths(under: root) } catch {
            throw .data("\(path): \(error.description)")
        }
        if let unused = stored.first(where: { !read.contains($0) }) {
            throw .data("\(path) holds weights at \(unused) that no layer of its architecture has; the weights are for another model")
        }
        return expected.flatMap { byLayer[$0.name]! }
    }

    /// The groups under `root`, for a message about a group that is missing.
    private static func describeKeys(_ reader: HDF5Reader, root: String) -> String {
        guard let group = try? reader.openGroup(root), let names = withExtendedLifetime(group, { try? reader.memberNames(of: group.id) }) else { return "" }
        let shown = names.prefix(12).map { "\(root)/\($0)" }.joined(separator: ", ")
        return " (Keras names these groups after each layer's class and position, not its name; the file has \(names.isEmpty ? "none" : shown + (names.count > 12 ? ", …" : "")))"
    }
}

extension HDF5Reader {
    /// Whether a dataset declares far more values than it stores: a "shape bomb" (chunked,
    /// compressed, nothing but its fill value) that would make the reader allocate without
    /// bound. Keras refuses the same (`saving_lib.safe_get_h5_dataset`): above a floor, the
    /// values may take at most 1000 times the bytes stored. Keras's own weights are stored
    /// uncompressed, so theirs take exactly what is stored.
    func isShapeBomb(_ dataset: H5Object, count: Int) -> Bool {
        let declared = count.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        guard !declared.overflow else { return true }
        guard declared.partialValue > 64 << 20 else { return false }
        let stored = H5Dget_storage_size(dataset.id)
        return UInt64(declared.partialValue) / 1000 > stored
    }

    /// The paths of every dataset under the group at `path`, depth first. The walk is bounded:
    /// a file with more objects or deeper nesting than any Keras model has is refused.
    func datasetPaths(under path: String) throws(HDF5Failure) -> [String] {
        var found: [String] = []
        var visited = 0
        func walk(_ groupPath: String, depth: Int) throws(HDF5Failure) {
            guard depth <= 32 else { throw HDF5Failure("\(groupPath) is nested deeper than any Keras model's weights") }
            let group = try openGroup(groupPath)
            let names = try withExtendedLifetime(group) { () throws(HDF5Failure) in try memberNames(of: group.id) }
            for name in names {
                visited += 1
                guard visited <= 100_000 else { throw HDF5Failure("\(path) holds more objects than any Keras model's weights") }
                let child = groupPath + "/" + name
                let object = try H5Object(H5Oopen(file.id, child, chdf5_p_default()), .object, "HDF5 could not open '\(child)'")
                let kind = withExtendedLifetime(object) { H5Iget_type(object.id) }
                switch kind {
                case H5I_GROUP: try walk(child, depth: depth + 1)
                case H5I_DATASET: found.append(child)
                default: break
                }
            }
        }
        try walk(path, depth: 0)
        return found
    }
}

/// One layer as Keras 3's layout stores it: the class that names its group and the shapes of
/// its weights in Keras's order.
struct KerasV3Entry {
    let className: String
    let name: String
    let shapes: [[Int]]
}

/// Writes the weights of a model's layers in Keras 3's layout (`docs/keras-hdf5-format.md` §6):
/// the model's `/vars`, then for each layer its group under `layers/`, the `vars` groups of the
/// objects Keras (3 or 2) visits in it, and its weights as float32 datasets `0`, `1`, … in the
/// groups that own them. As Keras 3 does, the model's and each layer's `vars` carry the object's
/// name (a UTF-8 `name` attribute); no Keras reads it back. `weights` holds every layer's
/// weights in order.
func writeKerasV3Weights(_ layers: [KerasV3Entry], modelName: String, weights: UnsafeBufferPointer<Float>, with writer: HDF5Writer) throws(HDF5Failure) {
    try writer.createGroup("vars")
    try writer.setAttribute("name", string: modelName, encoding: .utf8, on: "vars")
    try writer.createGroup("layers")
    var offset = 0
    for (layer, key) in zip(layers, KerasV3Layout.keys(classNames: layers.map(\.className))) {
        let base = "layers/" + key
        let objects = KerasV3Layout.objects(of: layer.className)
        for group in objects.empty + objects.variables {
            try writer.createGroup(base + "/" + group)
            if group == "vars" { try writer.setAttribute("name", string: layer.name, encoding: .utf8, on: base + "/vars") }
        }
        guard !layer.shapes.isEmpty else { continue }
        precondition(layer.shapes.count % objects.variables.count == 0, "a layer's weights do not divide among its objects")
        let share = layer.shapes.count / objects.variables.count
        for (index, shape) in layer.shapes.enumerated() {
            let count = shape.reduce(1, *)
            let dataset = "\(base)/\(objects.variables[index / share])/\(index % share)"
            try writer.writeDataset(dataset, shape: shape, values: UnsafeBufferPointer(rebasing: weights[offset..<offset + count]))
            offset += count
        }
    }
    precondition(offset == weights.count, "the weights do not fill the layers")
}
