import ArgumentParser
import CIOSupport
import RecurKernel
import RecurKeras

/// `recur train`: the course's training, on the box.
struct Train: RecurCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model on windows of a series with Keras's recipes, and save it for Keras.",
        discussion: """
            Builds a model from --arch (or fine-tunes --from a Keras file), trains it on shuffled \
            batches of windows of series[..<split] as the course's tf.data pipeline makes them, \
            prints the loss and MAE per epoch, writes OUT.h5 (a file keras.models.load_model \
            opens), and prints the validation 'MAE:' of the course's forecast loop. The memory \
            for training is allocated once, before the first epoch, and printed. On a terminal \
            each epoch is a progress line updated as its steps run (step, loss, MAE, time, ETA); \
            otherwise each epoch prints one plain line when it ends. --plot draws the loss and \
            MAE per epoch, beside the last fifth of the epochs zoomed in. SIGINT or \
            SIGTERM stop after the current step and save the best weights so far (exit 130/143); \
            a NaN or infinite loss stops training, keeps the last finite weights and exits 65.

            Examples:
              recur train --arch "SimpleRNN(40, return_sequences=True), SimpleRNN(40), Dense(1), Scale(100)" \\
                --loss huber --lr 5e-5 --momentum 0.9 --batch 128 --epochs 400 --seed 1 --output simplernn.h5
              recur train --from models/e3_bilstm2.h5 --loss mse --lr 1e-6 --epochs 10 --output tuned.h5 \
                --plot tuned.svg
            """)

    @OptionGroup var options: TrainingOptions

    @Option(parsing: .unconditional, help: "Passes over the training windows.")
    var epochs = 100

    @Option(parsing: .unconditional, help: "Learning-rate schedule: constant, exponential (--decay-rate per --decay-steps steps), step (×--drop every --drop-every epochs).")
    var schedule: ScheduleName = .constant

    @Option(parsing: .unconditional, help: "ExponentialDecay's rate.")
    var decayRate: Double = 0.96

    @Option(parsing: .unconditional, help: "ExponentialDecay's steps.")
    var decaySteps: Double = 1000

    @Flag(help: "ExponentialDecay in whole steps of --decay-steps.")
    var staircase = false

    @Option(parsing: .unconditional, help: "Step decay's factor.")
    var drop: Double = 0.5

    @Option(parsing: .unconditional, help: "Step decay's period in epochs.")
    var dropEvery = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("Where to write the trained model (.h5, or .keras for a Keras 3 archive).", valueName: "file"), completion: .file())
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Draw the loss and MAE per epoch in this SVG file.", valueName: "file.svg"), completion: .file(extensions: ["svg"]))
    var plot: String?

    @Flag(help: "Print only the final result.")
    var quiet = false

    @Flag(help: "Print only one JSON object: the run, the per-epoch history and the validation MAE and MSE.")
    var json = false

    enum ScheduleName: String, ExpressibleByArgument, CaseIterable { case constant, exponential, step }

    func validate() throws {
        try OptionBounds.check("--epochs", epochs, in: OptionBounds.sizes)
        guard let format = KerasFileFormat(path: output), format != .weightsH5 else {
            throw ValidationError("--output must name a .h5 file (the legacy Keras format both Keras 2 and 3 load) or a .keras archive")
        }
        try OptionBounds.check("--decay-rate", decayRate, in: OptionBounds.positive, above: true)
        try OptionBounds.check("--decay-steps", decaySteps, in: OptionBounds.positive, above: true)
        try OptionBounds.check("--drop", drop, in: OptionBounds.positive, above: true)
        try OptionBounds.check("--drop-every", dropEvery, in: OptionBounds.counts)
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot must name a .svg file") }
    }

    var learningRateSchedule: Schedule {
        switch schedule {
        case .constant: return .constant
        case .exponential: return .exponential(rate: decayRate, steps: decaySteps, staircase: staircase)
        case .step: return .stepDecay(drop: drop, every: dropEvery)
        }
    }

    func execute() throws(RecurError) {
        let (model, initialize) = try options.model()
        let data = try options.data()
        let seed = options.resolvedSeed
        var session = try TrainingSession(
            model: model, data: data, batch: options.batch, recipe: options.recipe,
            shuffleBuffer: options.shuffleBuffer, seed: seed, initialize: initialize)
        recur_install_stop_handlers()
        let style = ProgressStyle.standardOutput(quiet: quiet || json)
        let stepsPerEpoch = (data.windowCount + options.batch - 1) / options.batch
        if style != .silent {
            Console.out("Training arena: \(describe(session.network.plan))\n")
            Console.out("\(data.windowCount) windows, \(epochs) epochs of \(stepsPerEpoch) steps, seed \(seed)\n")
        }
        var bar: ProgressBar?
        if case .terminal(let columns) = style {
            bar = ProgressBar(epochs: epochs, stepsPerEpoch: stepsPerEpoch, columns: columns, now: recur_monotonic_nanoseconds())
        }
        // Training keeps the best epoch's weights, the last finite ones and each epoch's copy,
        // and a line of history per epoch.
        try MemoryBudget.reserve(
            MemoryBudget.bytes(model.weights.count, of: 3 * MemoryLayout<Float>.size) + MemoryBudget.bytes(epochs, of: MemoryLayout<EpochResult>.stride),
            for: "the copies of the weights and the history that training \(epochs) epochs keeps")
        var history: [EpochResult] = []
        history.reserveCapacity(epochs)
        let schedule = learningRateSchedule
        let initial = options.lr
        var best = (loss: Double.infinity, weights: session.parameters)
        var lastFinite = session.parameters
        var stop: TrainingStop?
        var finished = 0
        for epoch in 0..<epochs {
            let perEpoch = schedule.rate(initial: initial, epoch: epoch, step: 0)
            bar?.startEpoch(epoch, now: recur_monotonic_nanoseconds())
            let (result, stopped) = session.epoch(
                data, batch: options.batch,
                learningRate: { step in
                    if case .exponential = schedule { return schedule.rate(initial: initial, epoch: epoch, step: step) }
                    return perEpoch
                },
                stopRequested: { recur_stop_flag().pointee },
                progress: { partial in
                    if let line = bar?.step(partial, now: recur_monotonic_nanoseconds()) { Console.out(line) }
                })
            if case .diverged(_, let step)? = stopped {
                stop = .diverged(epoch: epoch + 1, step: step)
                break
            }
            finished = epoch + 1
            history.append(result)
            lastFinite = session.parameters
            if result.loss < best.loss { best = (result.loss, lastFinite) }
            let rate = "lr: \(NumberText.format(Double(result.learningRate), digits: 4))"
            if let line = bar?.finish(result, trailing: rate, now: recur_monotonic_nanoseconds()) {
                Console.out(line)
            } else if style == .lines {
                Console.out("Epoch \(epoch + 1)/\(epochs) - \(result.steps) steps - loss: \(NumberText.format(result.loss, digits: 6)) - mae: \(NumberText.format(result.mae, digits: 6)) - \(rate) - \(NumberText.format(result.seconds, digits: 3)) s\n")
            }
            if let stopped {
                stop = stopped
                break
            }
        }

        if let close = bar?.close() { Console.out(close) }

        var trained = model
        switch stop {
        case .diverged?: trained.weights = lastFinite
        case .signal?: trained.weights = best.weights
        case nil: trained.weights = session.parameters
        }
        // The training arena is not needed any more: give its memory back before writing the
        // file and forecasting, so that the process's peak is the larger phase, not their sum.
        let arenaBytes = session.network.plan.totalBytes
        _ = consume session
        MemoryBudget.release(arenaBytes)
        let saved = KerasModel(path: output, name: model.config.name, inputDims: model.inputDims, layers: model.layers, weights: trained.weights)
        try writeKerasFile(ExportableModel(saved), to: output)

        // A stop that came while the file was written, after the last epoch.
        if stop == nil, recur_stop_flag().pointee != 0 {
            throw RecurError(.interrupted(recur_stop_flag().pointee), "stopped by signal \(recur_stop_flag().pointee) after the last epoch; \(output) holds the trained weights")
        }
        if stop != nil, let plot { try Plots.write(Plots.training(history: history, lossName: options.loss.rawValue, title: "\(Plots.baseName(output)): loss and MAE per epoch (stopped early)"), to: plot) }
        switch stop {
        case .diverged(let epoch, let step)?:
            let kept = finished == 0 ? "the initial weights" : "the weights after epoch \(finished)"
            throw .data("training diverged at epoch \(epoch), step \(step): the loss is not a finite number; \(output) holds \(kept) — try a lower --lr")
        case .signal(let signal)?:
            let kept = best.loss.isFinite ? "the weights of the best epoch (loss \(NumberText.format(best.loss, digits: 6)))" : "the initial weights"
            throw RecurError(.interrupted(signal), "stopped by signal \(signal) during epoch \(finished + 1); \(output) holds \(kept)")
        case nil:
            break
        }
        if style != .silent { Console.out("Saved \(output)\n") }
        let result = try forecast(model: saved, series: data.values.map(Double.init), window: data.window, split: data.split, batch: 32)
        if let plot {
            let title = "\(Plots.baseName(output)): loss and MAE per epoch; validation MAE \(NumberText.format(result.mae, digits: 5))"
            try Plots.write(Plots.training(history: history, lossName: options.loss.rawValue, title: title), to: plot)
        }
        if json {
            JSON.print([
                ("output", .string(output)), ("seed", seed < 1 << 53 ? .number(Double(seed)) : .string(String(seed))), ("epochs", .int(history.count)),
                ("steps_per_epoch", .int(stepsPerEpoch)), ("windows", .int(data.windowCount)),
                ("window", .int(data.window)), ("split", .int(data.split)),
                ("arena_bytes", .int(arenaBytes)),
                ("history", .object([
                    ("loss", .array(history.map { .finite($0.loss) })),
                    ("mae", .array(history.map { .finite($0.mae) })),
                    ("mse", .array(history.map { .finite($0.mse) })),
                    ("learning_rate", .array(history.map { .float($0.learningRate) })),
                    ("seconds", .array(history.map { .rounded($0.seconds, digits: 4) })),
                ])),
                ("mae", .finite(result.mae)), ("mse", .finite(result.mse)),
            ])
        } else {
            Console.out("MAE: \(NumberText.format(result.mae, digits: 7))\nMSE: \(NumberText.format(result.mse, digits: 7))\n")
        }
    }
}
