/// Writes `model` as a legacy full-model `.h5`, the file `model.save("model.h5")` makes, that
/// `keras.models.load_model` (Keras 3) and `tf_keras.models.load_model` (Keras 2) load as it
/// is: no custom objects, no `safe_mode=False`, and the numbers recur computes.
///
/// The layout is Keras's own (`docs/keras-hdf5-format.md` §2): root attributes `keras_version`
/// and `backend` (UTF-8) and `model_config` (ASCII); `/model_weights` with `layer_names`
/// listing every layer, `backend` and `keras_version` (which tf_keras needs, or it converts the
/// weights as Keras 1's); a group per layer with its `weight_names` (Keras 2 style,
/// `lstm/lstm_cell/kernel:0`; an empty float64 list for a layer without weights) and a float32
/// dataset at each of those paths. There is no optimizer state.
///
/// The file is made in memory, written beside `path`, flushed and renamed over `path`, so that a
/// failure at any point leaves whatever was at `path` as it was.
///
/// - Throws: ``RecurError`` naming `path`: `.data` when the model cannot be written for
///   `target` (an activation one of the Kerases lacks, a layer without a Keras equivalent),
///   `.cannotCreate` when the file cannot be written, `.failure` if HDF5 fails to make it.
public func writeLegacyH5(_ model: ExportableModel, to path: String, for target: KerasTarget = .both) throws(RecurError) {
    let description: LegacyModelConfig
    do throws(RecurError) { description = try LegacyModelConfig(model, target: target) } catch {
        throw RecurError(error.category, "cannot export to \(path): \(error.message)")
    }
    let image: [UInt8]
    do throws(HDF5Failure) {
        image = try withHDF5 { () throws(HDF5Failure) -> [UInt8] in
            let writer = try HDF5Writer()
            try writeLegacyLayout(description, model: model, target: target, with: writer)
            return try writer.fileImage()
        }
    } catch {
        throw RecurError(.failure, "\(path) was not written: \(error.description)")
    }
    try AtomicFile.write(image, to: path)
}

/// The objects of a legacy full-model file, in the order Keras writes them.
private func writeLegacyLayout(_ description: LegacyModelConfig, model: ExportableModel, target: KerasTarget, with writer: HDF5Writer) throws(HDF5Failure) {
    // Keras writes Python `str` values as UTF-8 and `bytes` values as ASCII; this mirrors it.
    try writer.setAttribute("keras_version", string: target.kerasVersion, encoding: .utf8)
    try writer.setAttribute("backend", string: "tensorflow", encoding: .utf8)
    try writer.setAttribute("model_config", string: description.modelConfig.serialized(), encoding: .ascii)
    if let training = model.trainingConfig {
        try writer.setAttribute("training_config", string: training.serialized(), encoding: .ascii)
    }

    let weightsGroup = "model_weights"
    try writer.createGroup(weightsGroup)
    try writer.setAttribute("layer_names", strings: description.layers.map(\.name), encoding: .ascii, on: weightsGroup)
    try writer.setAttribute("backend", string: "tensorflow", encoding: .ascii, on: weightsGroup)
    try writer.setAttribute("keras_version", string: target.kerasVersion, encoding: .ascii, on: weightsGroup)

    var offset = 0
    try model.weights.withUnsafeBufferPointer { (all: UnsafeBufferPointer<Float>) throws(HDF5Failure) in
        for layer in description.layers {
            let group = weightsGroup + "/" + layer.name
            try writer.createGroup(group)
            if layer.weights.isEmpty {
                try writer.setEmptyListAttribute("weight_names", on: group)
                continue
            }
            try writer.setAttribute("weight_names", strings: layer.weights.map(\.name), encoding: .ascii, on: group)
            // The dataset's path under the layer's group is the weight's name (§2.2).
            for weight in layer.weights {
                let count = weight.shape.reduce(1, *)
                try writer.writeDataset(group + "/" + weight.name, shape: weight.shape, values: UnsafeBufferPointer(rebasing: all[offset..<offset + count]))
                offset += count
            }
        }
    }
    // Keras writes this group for weights that belong to the model itself; there are none.
    let topLevel = weightsGroup + "/top_level_model_weights"
    try writer.createGroup(topLevel)
    try writer.setEmptyListAttribute("weight_names", on: topLevel)
}
