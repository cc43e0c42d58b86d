import ArgumentParser
import RecurKeras

/// `recur export MODEL --output FILE`: writes a model as a Keras file, in the format the
/// output's name asks for.
struct Export: RecurCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model as a Keras file (.h5, .keras or .weights.h5) that Keras loads.",
        discussion: """
            Reads any model recur reads and writes it in the format the output's name asks for, \
            as Keras picks its reader by the name. A .h5 or .hdf5 file is the one \
            model.save("model.h5") makes, which keras.models.load_model and \
            tf_keras.models.load_model both load. A .keras file is the archive \
            model.save("model.keras") makes, which keras.models.load_model loads (and tf_keras, \
            unless --keras 3). A .weights.h5 file holds the weights \
            model.save_weights("model.weights.h5") makes, which model.load_weights of Keras 3 \
            and of tf_keras reads into the model's architecture (the one recur writes to .h5 or \
            .keras); recur reads it back with --config.

            Full models load as they are (no custom objects, no safe_mode=False) and compute \
            recur's numbers. Lambda layers are written as the built-in layers that compute the \
            same: expand_dims as Reshape, arithmetic by a constant as Rescaling.

            Keras 2 and Keras 3 differ on a few activations: hard_sigmoid is a different function \
            in each, and tf_keras lacks Keras 3's newer ones (hard_silu, log_sigmoid, …). A model \
            that uses them is refused, unless --keras names the one Keras the file is for.

            The file is written beside the output and renamed over it once complete; on any \
            failure the output is left as it was.

            Examples:
              recur export models/e3_bilstm2.h5 --output e3_for_keras.h5
              recur export models/e3_bilstm2.h5 --output e3.keras
              recur export trained.h5 --output trained.weights.h5
            """)

    @Argument(help: ArgumentHelp("The model file to read.", valueName: "model"), completion: .file())
    var model: String

    @Option(
        name: .shortAndLong, parsing: .unconditional, help: ArgumentHelp("The file to write: .h5, .hdf5, .keras or .weights.h5.", valueName: "file"),
        completion: .file(extensions: ["h5", "hdf5", "keras"]))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("The Keras that must compute recur's numbers: both, 2 (tf_keras) or 3.", valueName: "both|2|3"))
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
        // Keras picks its reader by the suffix: a .weights.h5 name is read as a Keras 3 weights
        // file, whatever it holds.
        guard KerasFileFormat(path: output) != nil else {
            throw ValidationError("--output \(output): the name must end in \(KerasFileFormat.endings), as Keras picks its reader by the ending")
        }
    }

    func execute() throws(RecurError) {
        let model = try modelOptions.load(self.model)
        try writeKerasFile(ExportableModel(model), to: output, for: keras.target)
    }
}
