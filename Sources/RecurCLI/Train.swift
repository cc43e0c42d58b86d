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
            for training is allocated once, before the first epoch, and printed. SIGINT or \
            SIGTERM stop after the current step and save the best weights so far (exit 130/143); \
            a NaN or infinite loss stops training, keeps the last finite weights and exits 65.

            Examples:
              recur train --arch "SimpleRNN(40, return_sequences=True), SimpleRNN(40), Dense(1), Scale(100)" \\
                --loss huber --lr 5e-5 --momentum 0.9 --batch 128 --epochs 400 --seed 1 --output simplernn.h5
              recur train --from models/e3_bilstm2.h5 --loss mse --lr 1e-6 --epochs 10 --output tuned.h5
            """)

    @OptionGroup var options: TrainingOptions

    @Option(help: "Passes over the training windows.")
    var epochs = 100

    @Option(help: "Learning-rate schedule: constant, exponential (--decay-rate per --decay-steps steps), step (×--drop every --drop-every epochs).")
    var schedule: ScheduleName = .constant

    @Option(help: "ExponentialDecay's rate.")
    var decayRate: Double = 0.96

    @Option(help: "ExponentialDecay's steps.")
    var decaySteps: Double = 1000

    @Flag(help: "ExponentialDecay in whole steps of --decay-steps.")
    var staircase = false

    @Option(help: "Step decay's factor.")
    var drop: Double = 0.5

    @Option(help: "Step decay's period in epochs.")
    var dropEvery = 10

    @Option(help: ArgumentHelp("Where to write the trained model (.h5, or .keras for a Keras 3 archive).", valueName: "file"), completion: .file())
    var output: String

    @Flag(help: "Print only the final result.")
    var quiet = false

    enum ScheduleName: String, ExpressibleByArgument, CaseIterable { case constant, exponential, step }

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard let format = KerasFileFormat(path: output), format != .weightsH5 else {
            throw ValidationError("--output must name a .h5 file (the legacy Keras format both Keras 2 and 3 load) or a .keras archive")
        }
        guard decaySteps > 0, dropEvery >= 1, decayRate > 0, drop > 0 else { throw ValidationError("schedule parameters must be positive") }
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
        if !quiet {
            Console.out("Training arena: \(describe(session.network.plan))\n")
            Console.out("\(data.windowCount) windows, \(epochs) epochs of \((data.windowCount + options.batch - 1) / options.batch) steps, seed \(seed)\n")
        }
        let schedule = learningRateSchedule
        let initial = options.lr
        var best = (loss: Double.infinity, weights: session.parameters)
        var lastFinite = session.parameters
        var stop: TrainingStop?
        var finished = 0
        for epoch in 0..<epochs {
            let perEpoch = schedule.rate(initial: initial, epoch: epoch, step: 0)
            let (result, stopped) = session.epoch(
                data, batch: options.batch,
                learningRate: { step in
                    if case .exponential = schedule { return schedule.rate(initial: initial, epoch: epoch, step: step) }
                    return perEpoch
                },
                stopRequested: { recur_stop_flag().pointee })
            if case .diverged(_, let step)? = stopped {
                stop = .diverged(epoch: epoch + 1, step: step)
                break
            }
            finished = epoch + 1
            lastFinite = session.parameters
            if result.loss < best.loss { best = (result.loss, lastFinite) }
            if !quiet {
                Console.out("Epoch \(epoch + 1)/\(epochs) - \(result.steps) steps - loss: \(NumberText.format(result.loss, digits: 6)) - mae: \(NumberText.format(result.mae, digits: 6)) - lr: \(NumberText.format(Double(result.learningRate), digits: 4)) - \(NumberText.format(result.seconds, digits: 3)) s\n")
            }
            if let stopped {
                stop = stopped
                break
            }
        }

        var trained = model
        switch stop {
        case .diverged?: trained.weights = lastFinite
        case .signal?: trained.weights = best.weights
        case nil: trained.weights = session.parameters
        }
        let saved = KerasModel(path: output, name: model.config.name, inputDims: model.inputDims, layers: model.layers, weights: trained.weights)
        try writeKerasFile(ExportableModel(saved), to: output)

        switch stop {
        case .diverged(let epoch, let step)?:
            throw .data("training diverged at epoch \(epoch), step \(step): the loss is not a finite number; \(output) holds the weights after epoch \(finished) — try a lower --lr")
        case .signal(let signal)?:
            let kept = best.loss.isFinite ? "the weights of the best epoch (loss \(NumberText.format(best.loss, digits: 6)))" : "the initial weights"
            throw RecurError(.interrupted(signal), "stopped by signal \(signal) during epoch \(finished + 1); \(output) holds \(kept)")
        case nil:
            break
        }
        if !quiet { Console.out("Saved \(output)\n") }
        let result = try forecast(model: saved, series: data.values.map(Double.init), window: data.window, split: data.split, batch: 256)
        Console.out("MAE: \(NumberText.format(result.mae, digits: 7))\nMSE: \(NumberText.format(result.mse, digits: 7))\n")
    }
}
