import ArgumentParser
import CIOSupport
import Glibc
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

    /// Runs the command the arguments name, as `ParsableCommand.main()` does, except that
    /// every way it can end keeps the command-line contract: a wrong command line is one
    /// `recur: …` sentence and status 64 (swift-argument-parser would print its usage and help
    /// lines too), help goes to standard output, and a command whose standard output could not
    /// be written ends with status 73.
    public static func main() {
        Preflight.executable = "/proc/self/exe"
        recur_exit_on_stop_signals()
        var status: Int32 = 0
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            status = exitCode(for: error).rawValue
            if status == 0 {
                Console.out(fullMessage(for: error) + "\n")
            } else if !(error is ExitCode) {
                Console.error("recur: " + sentence(message(for: error)))
            }
        }
        if let failure = Console.outputFailure, failure != EPIPE, status == 0 {
            Console.error("recur: standard output cannot be written: \(String(cString: strerror(failure)))")
            status = RecurError(.cannotCreate, "").exitCode
        }
        Glibc.exit(status)
    }

    /// swift-argument-parser's message for a wrong command line, as one sentence: its lines
    /// joined, its `Error: ` dropped, its first letter in lower case after `recur: `.
    static func sentence(_ message: String) -> String {
        var text = message.split(whereSeparator: \.isNewline)
            .map { String($0.drop { $0 == " " }) }.filter { !$0.isEmpty }.joined(separator: " ")
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        guard let first = text.first, first.isUppercase, text.dropFirst().first?.isUppercase != true else { return text }
        return first.lowercased() + text.dropFirst()
    }
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
