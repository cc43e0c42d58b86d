import ArgumentParser
import CIOSupport
import Glibc
import RecurKeras

/// `recur stream MODEL`: one sample per line in, the forecast for the next step out, as each
/// line arrives, with no heap allocation per sample (``StreamLoop``).
struct Stream: RecurCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forecast sample by sample: one number per line in, the next step's forecast out.",
        discussion: """
            Reads one number per line from standard input: a decimal or scientific number, with \
            spaces or a carriage return around it if need be; blank lines are ignored. Once W \
            samples have been read, every sample is followed at once by a line with the forecast \
            for the next step, made from the last W samples and flushed before the next line is \
            read: line i of the output is the forecast from samples i ..< i+W, the number \
            'recur predict' gives for that window, printed the same way (%.9g). With --horizon H \
            the line holds the next H forecasts, comma-separated, each made from a window that \
            ends with the forecasts before it.

            A stateful model (Keras's stateful=True) takes each sample as one step, its state \
            carried from step to step as Keras's predict carries it from call to call: the \
            window is one step, every line gives a forecast, and a horizon runs ahead of the \
            state without changing it. --warmup runs the whole history through it.

            A line that holds 'reset' empties the window and clears the recurrent state of a \
            stateful model (Keras's reset_states()). A line that is not a finite float32 (text, nan, inf, a number beyond float32's \
            range, a line without the field --column asks for, a line longer than \
            \(StreamLoop.lineCapacity) bytes) is reported on standard error as \
            'recur: line N: …' and skipped; the window is left as it was.

            Exit status: 0 when the input ends (end of file, SIGINT or SIGTERM) and every line \
            was taken, or when standard output is closed (as by '| head'); 65 when the input \
            ends and some line was skipped, or at the first bad line with --strict; 64 for a \
            wrong command line (a model that takes windows of any length needs --window); 65 \
            for a model file recur cannot run; 66 for a missing model or warm-up file or an \
            unreadable standard input; 73 when standard output cannot be written.

            Examples:
              recur stream models/e1_simplernn.h5 --window 20 < samples.txt
              tail -n 0 -f log.csv |
                recur stream model.h5 --window 20 --column 2 --warmup log.csv --stats
            """)

    @Argument(help: ArgumentHelp("The Keras model file.", valueName: "model"), completion: .file())
    var model: String

    @Option(parsing: .unconditional, help: "Samples per window (default: the model's own, when its file fixes one).")
    var window: Int?

    @Option(parsing: .unconditional, help: "Forecasts per line, each made by feeding the ones before it back in.")
    var horizon = 1

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "A CSV file of past samples that fills the window before the first line is read (its field --column, else its last column).",
        valueName: "csv"), completion: .file())
    var warmup: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Take field N (from 1) of each comma-separated line.", valueName: "n"))
    var column: Int?

    @Flag(help: "Stop at the first bad line, with status 65.")
    var strict = false

    @Flag(help: "At the end, print on standard error the samples read, lines skipped, forecasts written and the microseconds per sample from reading its line to flushing its forecast (p50, p99, max).")
    var stats = false

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        try OptionBounds.check("--window", window, in: OptionBounds.sizes)
        try OptionBounds.check("--horizon", horizon, in: OptionBounds.sizes)
        // Fields are numbered from 1; a line of StreamLoop.lineCapacity bytes has fewer fields.
        try OptionBounds.check("--column", column, in: 1...StreamLoop.lineCapacity)
    }

    func execute() throws(RecurError) {
        // Before any thread is started (the kernel's second thread, when it is used, starts
        // with the first network), so that every thread inherits the held signals and only the
        // loop's wait for input receives them.
        recur_install_stop_handlers()
        recur_hold_stop_signals()
        let model = try modelOptions.load(self.model)
        if let rows = model.statefulBatch { try checkStateful(model, batch: rows) }
        let network = try model.makeNetwork(window: window ?? (model.isStateful ? 1 : nil), batch: 1)
        let plan = network.plan
        // makeNetwork has refused a model of any length without --window.
        let window = self.window ?? model.fixedWindow ?? plan.input.rows
        guard plan.input.count == window else {
            throw .data("\(model.path) takes \(plan.input.count / window) values per step; recur stream reads one per line")
        }
        guard horizon == 1 || plan.output.count == 1 else {
            throw .usage("\(model.path) outputs \(plan.output.count) values per window; --horizon feeds each forecast back as the next sample, so it needs a model that outputs one")
        }
        let configuration = StreamLoop.Configuration(
            window: window, horizon: horizon, column: column, strict: strict, measuresLatency: stats)
        try MemoryBudget.reserve(StreamLoop.bytesNeeded(for: configuration, outputsPerForecast: plan.output.count), for: "the buffers of a stream with --horizon \(horizon)")
        var loop = StreamLoop(network: network, configuration: configuration)
        if let warmup {
            let history = try Series(path: warmup, column: column.map { String($0) })
            // Rounded once from float64, as the course's float32 series is.
            loop.warm(with: history.values.map { Float($0) })
        }

        let ending = loop.run(input: 0, output: 1, errors: 2, stop: recur_stop_flag())
        if stats { Console.write(report(loop) + "\n", to: 2) }
        switch ending {
        case .outputClosed:
            return
        case .readFailed(let code):
            throw .noInput("standard input cannot be read: \(String(cString: strerror(code)))")
        case .writeFailed(let code):
            throw RecurError(.cannotCreate, "standard output cannot be written: \(String(cString: strerror(code)))")
        case .badLine:
            throw .data("stopped at line \(loop.lineNumber), the first line that is not a number (--strict)")
        case .endOfInput, .stopped:
            let skipped = loop.linesSkipped
            if skipped > 0 {
                throw .data("\(skipped) \(skipped == 1 ? "line" : "lines") of standard input \(skipped == 1 ? "was" : "were") skipped")
            }
        }
    }

    /// A stateful model streams one sequence, one sample per step: a window of one step.
    func checkStateful(_ model: KerasModel, batch rows: Int) throws(RecurError) {
        if let fixed = model.fixedWindow, fixed != 1 {
            throw .data("\(model.path) is stateful with windows of \(fixed) steps; recur stream feeds a stateful model one sample per step")
        }
        if let window, window != 1 {
            throw .usage("\(model.path) is stateful: recur stream feeds it one sample per step, its state carried from step to step, so --window can only be 1")
        }
        guard rows == 1 else { throw .data("\(model.path) is stateful with a batch of \(rows); recur stream runs one sequence") }
    }

    /// The `--stats` lines.
    func report(_ loop: borrowing StreamLoop) -> String {
        func microseconds(_ nanoseconds: UInt64) -> String {
            let hundredths = (nanoseconds + 5) / 10
            return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
        }
        let timing = loop.latency.total == 0 ? "no forecasts" :
            "p50 \(microseconds(loop.latency.quantile(0.5))), p99 \(microseconds(loop.latency.quantile(0.99))), max \(microseconds(loop.latency.maximum))"
        return """
            samples read: \(loop.samplesRead)
            lines skipped: \(loop.linesSkipped)
            forecasts written: \(loop.forecastsWritten)
            microseconds per sample, read to flush: \(timing)
            """
    }
}
