import Glibc

/// Where the architecture of a weights file comes from, when the file holds weights only (a
/// Keras 3 `.weights.h5`, a Keras 2 `model.save_weights("w.h5")`).
public enum ArchitectureSource: Sendable, Equatable {
    /// A file that holds the model's configuration: a `.keras` archive, a full-model `.h5`, or
    /// the JSON text of `model.to_json()` (or of a `.keras` archive's `config.json`).
    case file(String)
    /// A layer list in ``ArchitectureSpec``'s syntax, for weights that recur wrote for a model
    /// it built (`recur train --arch`).
    case spec(String)

    /// The architecture named by a command-line value: the file at `value` when there is one,
    /// otherwise a layer list when the value is written as one (`LSTM(32), Dense(1)`),
    /// otherwise a file (which is then reported missing).
    public init(argument value: String) {
        var status = stat()
        if stat(value, &status) != 0, value.contains("(") {
            self = .spec(value)
        } else {
            self = .file(value)
        }
    }
}

extension KerasModel {
    /// Reads the weights file at `path` into the model that `architecture` describes. The weights
    /// may be in any layout Keras writes: Keras 3's (`.weights.h5`, or the weights of a
    /// `.keras` archive), Keras 2's weights-only `.h5`, or a full model's `/model_weights`;
    /// they load as Keras loads them (by position for Keras 2's layout, by the groups Keras
    /// derives from the layers' classes for Keras 3's) and are checked against every shape.
    ///
    /// - Throws: ``RecurError`` naming the file at fault: the architecture's for a configuration
    ///   recur cannot run, the weights' for weights that do not fit it.
    public static func load(
        weights path: String, architecture: ArchitectureSource, lambdaOverrides: [String: LambdaOperation] = [:]
    ) throws(RecurError) -> KerasModel {
        let shape = try model(of: architecture, lambdaOverrides: lambdaOverrides)
        var model = KerasModel(path: path, kerasVersion: shape.kerasVersion, backend: shape.backend, config: shape.config, layers: shape.layers, weights: [])
        switch try sniff(path: path) {
        case .hdf5:
            model.weights = try withHDF5 { () throws(RecurError) -> [Float] in
                let reader: HDF5Reader
                do throws(HDF5Failure) { reader = try HDF5Reader(path: path) } catch {
                    throw .data(error.sentence(about: path))
                }
                return try readWeights(reader, model: model)
            }
        case .zip:
            model.weights = try KerasArchive(path: path).readWeights(model)
        case .other:
            throw .data("\(path) is not a Keras weights file (neither HDF5 nor a .keras archive)")
        }
        return model
    }

    /// The model, without weights, that an architecture describes.
    static func model(of architecture: ArchitectureSource, lambdaOverrides: [String: LambdaOperation]) throws(RecurError) -> KerasModel {
        let path: String
        switch architecture {
        case .spec(let text):
            let spec: ArchitectureSpec
            do throws(RecurError) { spec = try ArchitectureSpec(text) } catch {
                let reason = error.message.hasPrefix("--arch: ") ? String(error.message.dropFirst("--arch: ".count)) : error.message
                throw RecurError(error.category, "--config \(text): \(reason)")
            }
            if let name = lambdaOverrides.keys.sorted().first {
                throw .usage("--config \(text) has no Lambda layer named '\(name)' to map")
            }
            // As `recur train --arch` builds it: a univariate window of any length.
            return KerasModel(path: text, inputDims: [nil], layers: spec.layers, weights: [])
        case .file(let file):
            path = file
        }
        switch try sniff(path: path) {
        case .zip:
            return try KerasArchive(path: path).architecture(lambdaOverrides: lambdaOverrides)
        case .hdf5:
            return try withHDF5 { () throws(RecurError) -> KerasModel in
                let reader: HDF5Reader
                do throws(HDF5Failure) { reader = try HDF5Reader(path: path) } catch {
                    throw .data(error.sentence(about: path))
                }
                // A weights-only file has no architecture to give.
                guard reader.hasAttribute("model_config", on: reader.file.id) else {
                    throw .data("\(path) holds no model configuration (no model_config attribute), so it cannot give the architecture; give the model's .keras, full .h5 or model.to_json() file")
                }
                return try legacyArchitecture(reader, path: path, lambdaOverrides: lambdaOverrides)
            }
        case .other:
            var status = stat()
            let size = stat(path, &status) == 0 ? Int(status.st_size) : 0
            let text = try MemoryBudget.holding(min(size, KerasArchive.configLimit), for: "the configuration \(path)") { () throws(RecurError) in
                var bytes = try FileBytes.read(path, limit: KerasArchive.configLimit)[...]
                // A byte-order mark, as an editor on Windows saves a UTF-8 file.
                if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
                guard bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") else {
                    throw .data("\(path) is neither a Keras model file nor a model configuration in JSON (model.to_json())")
                }
                return String(decoding: bytes, as: UTF8.self)
            }
            let (json, config) = try parseConfig(text, path: path, what: "a model configuration")
            // tf_keras's `to_json()` records the version beside the configuration; Keras 3's does not.
            return try assemble(
                config, configText: text, version: json["keras_version"]?.string, backend: json["backend"]?.string,
                path: path, lambdaOverrides: lambdaOverrides)
        }
    }
}
