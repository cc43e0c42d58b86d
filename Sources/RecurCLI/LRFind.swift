import ArgumentParser
import CIOSupport
import RecurKernel
import RecurKeras

/// `recur lr-find`: the course's learning-rate sweep.
struct LRFind: RecurCommand {
    static let configuration = CommandConfiguration(
        commandName: "lr-find",
        abstract: "Sweep the learning rate over epochs, as the course does, and suggest one.",
        discussion: """
            Trains the model with lr(epoch) = START · 10^(epoch / PER-DECADE) and prints one line \
            per epoch: epoch, learning rate, loss (CSV, with a header), or on a terminal a \
            progress line per epoch. The suggested rate is the one where the smoothed loss is \
            lowest before it diverges (rises past four times its minimum or stops being finite) \
            — the point the course picks by eye from the plot, which --plot draws: the loss \
            against the learning rate on a logarithmic axis, the suggested rate marked.

            Example:
              recur lr-find --arch "SimpleRNN(40, return_sequences=True), SimpleRNN(40), Dense(1), Scale(100)" \\
                --loss huber --momentum 0.9 --batch 128 --start 1e-8 --epochs 100 --per-decade 20 --seed 1 \\
                --plot lr.svg
            """)

    @OptionGroup var options: TrainingOptions

    @Option(parsing: .unconditional, help: "The first epoch's learning rate.")
    var start: Double = 1e-8

    @Option(parsing: .unconditional, help: "Epochs in the sweep.")
    var epochs = 100

    @Option(parsing: .unconditional, help: "Epochs per tenfold increase of the learning rate.")
    var perDecade: Double = 20

    @Option(parsing: .unconditional, help: ArgumentHelp("Draw the loss against the learning rate in this SVG file.", valueName: "file.svg"), completion: .file(extensions: ["svg"]))
    var plot: String?

    @Flag(help: "Print only the suggested rate.")
    var quiet = false

    func validate() throws {
        try OptionBounds.check("--start", start, in: OptionBounds.positive, above: true)
        try OptionBounds.check("--epochs", epochs, in: 2...OptionBounds.sizes.upperBound)
        try OptionBounds.check("--per-decade", perDecade, in: OptionBounds.positive, above: true)
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot must name a .svg file") }
    }

    func execute() throws(RecurError) {
        let (model, initialize) = try options.model()
        let data = try options.data()
        var session = try TrainingSession(
            model: model, data: data, batch: options.batch, recipe: options.recipe,
            shuffleBuffer: options.shuffleBuffer, seed: options.resolvedSeed, initialize: initialize)
        recur_install_stop_handlers()
        let schedule = Schedule.sweep(perDecade: perDecade)
        let style = ProgressStyle.standardOutput(quiet: quiet)
        var bar: ProgressBar?
        if case .terminal(let columns) = style {
            bar = ProgressBar(epochs: epochs, stepsPerEpoch: (data.windowCount + options.batch - 1) / options.batch, columns: columns, now: recur_monotonic_nanoseconds())
        }
        if style == .lines { Console.out("epoch,lr,loss\n") }
        try MemoryBudget.reserve(MemoryBudget.bytes(epochs, of: MemoryLayout<(Double, Double)>.stride), for: "the sweep's \(epochs) epochs")
        var curve: [(rate: Double, loss: Double)] = []
        for epoch in 0..<epochs {
            let rate = schedule.rate(initial: start, epoch: epoch, step: 0)
            let rateText = "lr: \(NumberText.format(Double(rate), digits: 3))"
            bar?.startEpoch(epoch, now: recur_monotonic_nanoseconds())
            let (result, stopped) = session.epoch(
                data, batch: options.batch, learningRate: { _ in rate }, stopRequested: { recur_stop_flag().pointee },
                progress: { partial in
                    if let line = bar?.step(partial, leading: rateText, now: recur_monotonic_nanoseconds()) { Console.out(line) }
                })
            curve.append((Double(rate), result.loss))
            if let line = bar?.finish(result, leading: rateText, now: recur_monotonic_nanoseconds()) {
                Console.out(line)
            } else if style == .lines {
                Console.out("\(epoch + 1),\(NumberText.format(Double(rate), digits: 6)),\(NumberText.format(result.loss, digits: 7))\n")
            }
            if case .signal(let signal)? = stopped {
                throw RecurError(.interrupted(signal), "stopped by signal \(signal) during epoch \(epoch + 1)")
            }
            // Once the loss is no longer finite every later epoch is too.
            if case .diverged? = stopped { break }
        }
        let suggestion = suggestRate(curve)
        if let plot {
            let title = "Learning-rate sweep: \(NumberText.format(start, digits: 3)) · 10^(epoch/\(NumberText.format(perDecade, digits: 6))), \(curve.count) epochs"
            try Plots.write(Plots.learningRate(curve: curve, suggestion: suggestion, title: title), to: plot)
        }
        if recur_stop_flag().pointee != 0 {
            throw RecurError(.interrupted(recur_stop_flag().pointee), "stopped by signal \(recur_stop_flag().pointee) after the last epoch")
        }
        if let suggestion {
            Console.out("Suggested learning rate: \(NumberText.format(suggestion, digits: 3))\n")
        } else {
            Console.out("Suggested learning rate: none (the loss never fell)\n")
        }
    }
}

/// The rate at which the loss, smoothed over five epochs, is lowest before it diverges.
func suggestRate(_ curve: [(rate: Double, loss: Double)]) -> Double? {
    guard !curve.isEmpty else { return nil }
    var smoothed: [Double] = []
    for index in curve.indices {
        let window = curve[max(0, index - 2)...min(curve.count - 1, index + 2)].map(\.loss)
        smoothed.append(window.allSatisfy(\.isFinite) ? window.reduce(0, +) / Double(window.count) : .infinity)
    }
    var best = 0
    for index in smoothed.indices {
        if !smoothed[index].isFinite || smoothed[index] > 4 * smoothed[best] { break }
        if smoothed[index] < smoothed[best] { best = index }
    }
    return best == 0 && smoothed.count > 1 && smoothed[1] >= smoothed[0] ? nil : curve[best].rate
}
