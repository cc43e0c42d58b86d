import ArgumentParser
import RecurKeras

/// `recur export MODEL --output FILE`: writes a model as a legacy Keras `.h5`.
struct Export: RecurCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model as a legacy Keras .h5 file that Keras 3 and Keras 2 (tf_keras) load.",
        discussion: """
            Reads any model recur reads and writes the file model.save("model.h5") makes, which \
            keras.models.load_model and tf_keras.models.load_model both load as it is (no custom \
            objects, no safe_mode=False) and which computes recur's numbers. Lambda layers are \
            written as the built-in layers that compute the same: expand_dims as Reshape, \
            arithmetic by a constant as Rescaling.

            Keras 2 and Keras 3 differ on a few activations: hard_sigmoid is a different function \
            in each, and tf_keras lacks Keras 3's newer ones (hard_silu, log_sigmoid, …). A model \
            that uses them is refused, unless --keras names the one Keras the file is for.

            The file is written beside the output and renamed over it once complete; on any \
            failure the output is left as it was. Only .h5 and .hdf5 outputs are supported \
            (.keras archives and .weights.h5 files are not, yet).

            Example:
              recur export models/e3_bilstm2.h5 --output e3_for_keras.h5
            """)

    @Argument(help: ArgumentHelp("The model file to read.", valueName: "model"), completion: .file())
    var model: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The .h5 file to write.", valueName: "file"), completion: .file(extensions: ["h5", "hdf5"]))
    var output: String

    @Option(help: ArgumentHelp("The Keras that must compute recur's numbers: both, 2 (tf_keras) or 3.", valueName: "both|2|3"))
    var keras: TargetChoice = .both

    @OptionGroup var modelOptions: ModelOptions

    enum TargetChoice: String, ExpressibleByArgument, CaseIterable {
        case both, keras2 = "2", keras3 = "3"

        var target: KerasTarget {
            switch self {
            case .both: return .both
            case .keras2: return .keras2
            case .keras3: return .keras3
            }
        }
    }

    func validate() throws {
        let name = output.lowercased()
        if name.hasSuffix(".weights.h5") || !(name.hasSuffix(".h5") || name.hasSuffix(".hdf5")) {
            // Keras picks its reader by the suffix: a .weights.h5 name would be read as a
            // Keras 3 weights file, whatever it holds.
            throw ValidationError("--output \(output): recur writes legacy full-model .h5 files, so the name must end in .h5 or .hdf5 (not .weights.h5); .keras archives and .weights.h5 files are not supported yet")
        }
    }

    func execute() throws(RecurError) {
        let model = try modelOptions.load(self.model)
        try writeLegacyH5(ExportableModel(model), to: output, for: keras.target)
    }
}
