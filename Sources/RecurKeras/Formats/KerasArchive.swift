import Glibc

/// A `.keras` archive (`docs/keras-hdf5-format.md` §6), read into memory: a zip holding
/// `config.json` (the model, in Keras 3's serialisation), `metadata.json` (the Keras version)
/// and `model.weights.h5` (the weights, in Keras 3's layout).
///
/// What recur reads from an archive is bounded: the file, and each member by the size it
/// declares, so a damaged or hostile archive is refused with one sentence before anything large
/// is allocated; the archive and each member it inflates count against the ``MemoryBudget``
/// while they are held.
final class KerasArchive {
    /// The largest archive recur opens, and the largest weights member it inflates.
    static let fileLimit = 1 << 30
    /// The largest `config.json` (a configuration is kilobytes, even for large models).
    static let configLimit = 64 << 20
    static let metadataLimit = 1 << 20

    let path: String
    private let zip: ZipArchive

    private let reserved: Int

    init(path: String) throws(RecurError) {
        var status = stat()
        let size = stat(path, &status) == 0 ? Int(status.st_size) : 0
        guard size <= Self.fileLimit else { throw .data("\(path) is larger than \(Self.fileLimit) bytes") }
        try MemoryBudget.reserve(size, for: "the archive \(path)")
        reserved = size
        let bytes: [UInt8]
        do throws(RecurError) { bytes = try FileBytes.read(path, limit: Self.fileLimit) } catch {
            MemoryBudget.release(size)
            throw error
        }
        do throws(ZipArchive.Failure) { zip = try ZipArchive(bytes: bytes) } catch {
            MemoryBudget.release(size)
            throw .data("\(path) is not a readable .keras archive: \(error.description)")
        }
        self.path = path
    }

    deinit { MemoryBudget.release(reserved) }

    /// Runs `body` on the bytes of member `name` (nil when there is none), which may not declare
    /// more than `limit` bytes; they, and `copies` more of their size (what `body` makes of them),
    /// count against the ``MemoryBudget`` from before they are inflated until `body` returns.
    private func withContents<R>(of name: String, limit: Int, copies: Int, _ body: ([UInt8]?) throws(RecurError) -> R) throws(RecurError) -> R {
        guard let member = zip.member(name) else { return try body(nil) }
        let bytes = member.size <= limit ? MemoryBudget.bytes(member.size, of: 1 + copies) : 0
        return try MemoryBudget.holding(bytes, for: "the member '\(name)' of \(path)") { () throws(RecurError) -> R in
            let contents: [UInt8]
            do throws(ZipArchive.Failure) { contents = try zip.contents(of: member, limit: limit) } catch {
                throw .data("\(path) is not a readable .keras archive: \(error.description)")
            }
            return try body(contents)
        }
    }

    /// The model that `config.json` describes, without weights, as the Keras version in
    /// `metadata.json` reads it. Keras itself never reads `metadata.json`; recur reads the version
    /// because `hard_sigmoid` differs between Keras 2 and 3, and goes without it when the member
    /// is missing or unreadable.
    func architecture(lambdaOverrides: [String: LambdaOperation]) throws(RecurError) -> KerasModel {
        // The text is a second copy of the bytes; parseConfig counts the parsed value.
        let (config, text) = try withContents(of: "config.json", limit: Self.configLimit, copies: 1) { (bytes) throws(RecurError) in
            guard let bytes else { throw .data("\(path) is a zip archive but not a Keras model: it has no config.json") }
            let text = String(decoding: bytes, as: UTF8.self)
            return (try KerasModel.parseConfig(text, path: path, what: "a config.json").config, text)
        }
        let version = try withContents(of: "metadata.json", limit: Self.metadataLimit, copies: 1) { metadata in
            metadata.flatMap { try? JSON.parse(String(decoding: $0, as: UTF8.self)) }?["keras_version"]?.string
        }
        return try KerasModel.assemble(config, configText: text, version: version, backend: nil, path: path, lambdaOverrides: lambdaOverrides)
    }

    /// Reads `model`'s weights from the archive's `model.weights.h5`.
    func readWeights(_ model: KerasModel) throws(RecurError) -> [Float] {
        // libhdf5's in-memory driver keeps a copy of the image.
        try withContents(of: "model.weights.h5", limit: Self.fileLimit, copies: 1) { (image) throws(RecurError) in
            guard let image else {
                if zip.member("model.weights.npz") != nil {
                    throw .data("\(path) keeps its weights in model.weights.npz (saved with weights_format=\"npz\"); recur reads model.weights.h5, Keras's default")
                }
                throw .data("\(path) is a zip archive but not a Keras model: it has no model.weights.h5")
            }
            return try withHDF5 { () throws(RecurError) -> [Float] in
                let reader: HDF5Reader
                do throws(HDF5Failure) { reader = try HDF5Reader(image: image) } catch {
                    throw .data(error.sentence(about: "\(path): its model.weights.h5"))
                }
                return try KerasModel.readWeights(reader, model: model)
            }
        }
    }
}

extension KerasModel {
    /// A `.keras` archive: the model from `config.json`, its weights from `model.weights.h5`.
    static func loadArchive(path: String, lambdaOverrides: [String: LambdaOperation]) throws(RecurError) -> KerasModel {
        let archive = try KerasArchive(path: path)
        var model = try archive.architecture(lambdaOverrides: lambdaOverrides)
        model.weights = try archive.readWeights(model)
        return model
    }
}

/// Writes `model` as a `.keras` archive, the file `model.save("model.keras")` makes, which
/// `keras.models.load_model` (Keras 3) loads as it is (no custom objects, default `safe_mode`),
/// computing recur's numbers. tf_keras loads it too, when it is written for both Kerases.
///
/// The layers are those of the legacy `.h5` export (``writeLegacyH5(_:to:for:)``: Lambdas as
/// the built-in layers that compute the same, the options that change the numbers), in Keras 3's
/// serialisation (each object with its `module`), with `batch_input_shape`, which both Kerases
/// read. The archive holds what Keras's own does, in its order: `metadata.json` (the
/// `keras_version` of `target`, as the legacy export records it) and `config.json`, dated
/// 1980-01-01, and `model.weights.h5` in Keras 3's layout, dated now; all stored, with their
/// CRC-32s. There is no `compile_config`: Keras loads the model uncompiled.
///
/// - Throws: ``RecurError`` naming `path`, as ``writeLegacyH5(_:to:for:)`` does.
public func writeKerasArchive(_ model: ExportableModel, to path: String, for target: KerasTarget = .both) throws(RecurError) {
    let description: LegacyModelConfig
    do throws(RecurError) { description = try LegacyModelConfig(model, target: target) } catch {
        throw RecurError(error.category, "cannot export to \(path): \(error.message)")
    }
    let entries = zip(model.layers, description.layers).map { layer, entry in
        KerasV3Entry(className: LegacyModelConfig.kerasClassName(layer), name: layer.name, shapes: entry.weights.map(\.shape))
    }
    let weights = try kerasV3Image(entries, modelName: model.name, weights: model.weights, path: path)
    let metadata = JSON.object([("keras_version", .string(target.kerasVersion)), ("date_saved", .string(dateSaved()))])
    var archive = ZipWriter()
    archive.addStored("metadata.json", Array(metadata.serialized().utf8), date: .epoch)
    archive.addStored("config.json", Array(keras3Serialization(description.modelConfig).serialized().utf8), date: .epoch)
    archive.addStored("model.weights.h5", weights, date: .now())
    try AtomicFile.write(archive.bytes(), to: path)
}

/// Writes `model`'s weights as a Keras 3 `.weights.h5`, the file
/// `model.save_weights("model.weights.h5")` makes, which `model.load_weights` of Keras 3 and of
/// tf_keras reads into the model's architecture: the one recur exports to `.h5` or `.keras`,
/// whose layer classes name the groups (§6). Only weights are written, so every Keras computes
/// the file's numbers with the architecture's own activations.
///
/// - Throws: ``RecurError`` naming `path`: `.data` when the weights do not fit the layers,
///   `.cannotCreate` when the file cannot be written, `.failure` if HDF5 fails to make it.
public func writeWeightsH5(_ model: ExportableModel, to path: String) throws(RecurError) {
    var entries: [KerasV3Entry] = []
    do throws(RecurError) {
        let planned = try LegacyModelConfig.plan(model)
        var kernelIndex = 0
        for layer in model.layers {
            var shapes: [[Int]] = []
            if layer.kernel != nil {
                shapes = KerasModel.weightShapes(of: planned[kernelIndex]).map(\.shape)
                kernelIndex += 1
            }
            entries.append(KerasV3Entry(className: LegacyModelConfig.kerasClassName(layer), name: layer.name, shapes: shapes))
        }
        try LegacyModelConfig.checkWeights(model, needed: entries.reduce(0) { $0 + $1.shapes.reduce(0) { $0 + $1.reduce(1, *) } })
    } catch {
        throw RecurError(error.category, "cannot export to \(path): \(error.message)")
    }
    try AtomicFile.write(try kerasV3Image(entries, modelName: model.name, weights: model.weights, path: path), to: path)
}

/// The HDF5 file of `entries`' weights in Keras 3's layout, made in memory.
private func kerasV3Image(_ entries: [KerasV3Entry], modelName: String, weights: [Float], path: String) throws(RecurError) -> [UInt8] {
    do throws(HDF5Failure) {
        return try withHDF5 { () throws(HDF5Failure) -> [UInt8] in
            let writer = try HDF5Writer()
            try weights.withUnsafeBufferPointer { (all: UnsafeBufferPointer<Float>) throws(HDF5Failure) in
                try writeKerasV3Weights(entries, modelName: modelName.isEmpty ? "sequential" : modelName, weights: all, with: writer)
            }
            return try writer.fileImage()
        }
    } catch {
        throw RecurError(.failure, "\(path) was not written: \(error.description)")
    }
}

/// A configuration in the legacy dialect (`{"class_name", "config"}` objects), in the form of
/// Keras 3's serialisation: the model and each layer `{"module", "class_name", "config",
/// "registered_name"}`. Keras 3's `.keras` loader finds a built-in class by its module and
/// refuses one without ("Could not locate class 'Sequential'").
func keras3Serialization(_ modelConfig: JSON) -> JSON {
    func serialized(_ object: JSON, module: String, config: JSON) -> JSON {
        .object([("module", .string(module)), ("class_name", object["class_name"] ?? .null), ("config", config), ("registered_name", .null)])
    }
    guard case .object(let members)? = modelConfig["config"] else { return modelConfig }
    let config = JSON.object(members.map { member in
        guard member.key == "layers", let layers = member.value.array else { return member }
        return (member.key, .array(layers.map { serialized($0, module: "keras.layers", config: $0["config"] ?? .null) }))
    })
    return serialized(modelConfig, module: "keras", config: config)
}

/// The time as Keras's `metadata.json` records it (`%Y-%m-%d@%H:%M:%S`, local time).
private func dateSaved() -> String {
    var seconds = Glibc.time(nil)
    var parts = tm()
    localtime_r(&seconds, &parts)
    var buffer = [CChar](repeating: 0, count: 32)
    let length = strftime(&buffer, buffer.count, "%Y-%m-%d@%H:%M:%S", &parts)
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
