/// The Keras files recur writes. Keras picks the reader for a file by the end of its name, not
/// by its contents (`saving_api.py`), so the name decides the format.
public enum KerasFileFormat: Sendable, CaseIterable {
    /// `.h5` or `.hdf5` (but not `.weights.h5`): a legacy full model, `model.save("m.h5")`.
    case legacyH5
    /// `.keras`: a Keras 3 archive, `model.save("m.keras")`.
    case archive
    /// `.weights.h5`: weights only in Keras 3's layout, `model.save_weights("m.weights.h5")`.
    case weightsH5

    /// The format a file named `path` must have, or nil for a name Keras does not load.
    public init?(path: String) {
        let name = path.lowercased()
        if name.hasSuffix(".weights.h5") {
            self = .weightsH5
        } else if name.hasSuffix(".keras") {
            self = .archive
        } else if name.hasSuffix(".h5") || name.hasSuffix(".hdf5") {
            self = .legacyH5
        } else {
            return nil
        }
    }

    /// The endings, for messages.
    public static let endings = ".h5 or .hdf5 (a full model), .keras (an archive) or .weights.h5 (weights only)"
}

/// Writes `model` to `path` in the format its name asks for (``KerasFileFormat``): a legacy
/// `.h5` (``writeLegacyH5(_:to:for:)``), a `.keras` archive (``writeKerasArchive(_:to:for:)``)
/// or a `.weights.h5` (``writeWeightsH5(_:to:)``, which holds no activations, so `target` does
/// not apply to it).
///
/// - Throws: ``RecurError`` naming `path`: `.usage` for a name Keras would not load, otherwise
///   as the writer of the format.
public func writeKerasFile(_ model: ExportableModel, to path: String, for target: KerasTarget = .both) throws(RecurError) {
    switch KerasFileFormat(path: path) {
    case .legacyH5?: try writeLegacyH5(model, to: path, for: target)
    case .archive?: try writeKerasArchive(model, to: path, for: target)
    case .weightsH5?: try writeWeightsH5(model, to: path)
    case nil: throw .usage("cannot export to \(path): the name must end in \(KerasFileFormat.endings), as Keras picks its reader by the ending")
    }
}
