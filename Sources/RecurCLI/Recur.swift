import ArgumentParser
import RecurKeras

/// The `recur` command: runs and trains small recurrent networks saved by Keras.
public struct Recur: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Run, stream and train Keras recurrent forecasting models on a small Linux box.",
        discussion: """
            Exit status: 0 on success, 64 for a wrong command line, 65 for bad data (a file that is \
            not a Keras model, an unsupported layer, a line that is not a number), 66 for a missing \
            or unreadable file, 73 for an output that cannot be written, 1 for anything else.

            Shell completion: recur --generate-completion-script bash|zsh|fish writes a script \
            that completes subcommands, options and file names (docs/shell-completion.md).

            Examples:
              recur forecast --plot forecast.svg
              recur inspect models/e3_bilstm2.h5
              recur help train
            """,
        subcommands: [Predict.self, Forecast.self, Inspect.self, Train.self, LRFind.self, Bench.self, Stream.self, Export.self, CheckModel.self, BenchGEMM.self]
    )

    public init() {}
}

/// A subcommand whose failures are ``RecurError``s: each is printed as one sentence on standard
/// error and ends the process with its documented exit status.
protocol RecurCommand: ParsableCommand {
    func execute() throws(RecurError)
}

extension RecurCommand {
    public func run() throws {
        do {
            try execute()
        } catch {
            Console.error("recur: \(error.message)")
            throw ExitCode(error.exitCode)
        }
    }
}
