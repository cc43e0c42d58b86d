import ArgumentParser
import CIOSupport
import RecurKernel
import RecurKeras

/// The data and model options `train` and `lr-find` share.
struct TrainingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("A CSV file holding the series (default: the course's series).", valueName: "csv"), completion: .file())
    var series: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The series' column: a header name or a 1-based number (default: the last column).", valueName: "name"))
    var column: String?

    @Option(parsing: .unconditional, help: "Steps per window (the course's window_size).")
    var window = Defaults.window

    @Option(parsing: .unconditional, help: "Values before this index train; the rest validate (the course's split_time).")
    var split = Defaults.split

    @Option(parsing: .unconditional, help: ArgumentHelp("Layers to build, e.g. \"SimpleRNN(40, return_sequences=True), SimpleRNN(40), Dense(1), Scale(100)\".", valueName: "spec"))
    var arch: String?

    @Option(name: .customLong("from"), parsing: .unconditional, help: ArgumentHelp("Fine-tune this Keras model instead of building one.", valueName: "model"), completion: .file())
    var from: String?

    @Option(parsing: .unconditional, help: "Windows per batch.")
    var batch = 32

    @Option(parsing: .unconditional, help: "The loss: huber, mse or mae.")
    var loss: LossName = .huber

    @Option(parsing: .unconditional, help: "Huber's delta.")
    var delta: Double = 1

    @Option(parsing: .unconditional, help: "The optimizer: sgd, adam or rmsprop.")
    var optimizer: OptimizerName = .sgd

    @Option(parsing: .unconditional, help: "The learning rate (the first one, under a schedule).")
    var lr: Double = 1e-3

    @Option(parsing: .unconditional, help: "Momentum (SGD, RMSprop).")
    var momentum: Double = 0.9

    @Flag(help: "Nesterov momentum (SGD).")
    var nesterov = false

    @Option(parsing: .unconditional, help: "Clip each weight's gradient to this norm (Keras's clipnorm).")
    var clipnorm: Double?

    @Option(parsing: .unconditional, help: "Clip all gradients together to this norm (Keras's global_clipnorm).")
    var globalClipnorm: Double?

    @Option(parsing: .unconditional, help: "Clip each gradient value to [-c, c] (Keras's clipvalue).")
    var clipvalue: Double?

    @Option(parsing: .unconditional, help: "Windows in the shuffle buffer (the course's shuffle_buffer).")
    var shuffleBuffer = 1000

    @Option(parsing: .unconditional, help: "Seed for initial weights and shuffling; the same seed repeats a run bit for bit.")
    var seed: UInt64?

    @OptionGroup var modelOptions: ModelOptions

    enum LossName: String, ExpressibleByArgument, CaseIterable { case huber, mse, mae }
    enum OptimizerName: String, ExpressibleByArgument, CaseIterable {
        case sgd, adam, rmsprop

        /// The update rule this name and momentum give (Adam has no momentum option).
        func rule(momentum: Double, nesterov: Bool) -> Optimizer {
            switch self {
            case .sgd: return .sgd(momentum: Float(momentum), nesterov: nesterov)
            case .adam: return .adamDefault
            case .rmsprop: return .rmsprop(rho: 0.9, momentum: Float(momentum), epsilon: 1e-7)
            }
        }
    }

    func validate() throws {
        guard (arch == nil) != (from == nil) else { throw ValidationError("give either --arch SPEC or --from MODEL") }
        try OptionBounds.check("--window", window, in: OptionBounds.sizes)
        try OptionBounds.check("--batch", batch, in: OptionBounds.sizes)
        try OptionBounds.check("--split", split, in: OptionBounds.counts)
        try OptionBounds.check("--shuffle-buffer", shuffleBuffer, in: OptionBounds.counts)
        try OptionBounds.check("--lr", lr, in: OptionBounds.positive, above: true)
        try OptionBounds.check("--momentum", momentum, in: OptionBounds.fraction, below: true)
        try OptionBounds.check("--delta", delta, in: OptionBounds.positive, above: true)
        try OptionBounds.check("--clipnorm", clipnorm, in: OptionBounds.positive, above: true)
        try OptionBounds.check("--global-clipnorm", globalClipnorm, in: OptionBounds.positive, above: true)
        try OptionBounds.check("--clipvalue", clipvalue, in: OptionBounds.positive, above: true)
        guard [clipnorm, globalClipnorm, clipvalue].compactMap({ $0 }).count <= 1 else {
            throw ValidationError("give at most one of --clipnorm, --global-clipnorm, --clipvalue")
        }
    }

    var recipe: TrainingRecipe {
        let lossFunction: Loss
        switch loss {
        case .huber: lossFunction = .huber(delta: Float(delta))
        case .mse: lossFunction = .meanSquaredError
        case .mae: lossFunction = .meanAbsoluteError
        }
        let rule = optimizer.rule(momentum: momentum, nesterov: nesterov)
        var clipping = GradientClipping.none
        if let clipnorm { clipping = .norm(Float(clipnorm)) }
        if let globalClipnorm { clipping = .globalNorm(Float(globalClipnorm)) }
        if let clipvalue { clipping = .value(Float(clipvalue)) }
        return TrainingRecipe(loss: lossFunction, optimizer: rule, clipping: clipping)
    }

    /// The seed to use: the given one, or one from the clock (printed, so a run can be repeated).
    var resolvedSeed: UInt64 { seed ?? recur_monotonic_nanoseconds() }

    /// The model to train and whether its weights must be initialised: `--from` loads one with
    /// its weights; `--arch` builds one whose input is a univariate window of any length.
    func model() throws(RecurError) -> (model: KerasModel, initialize: Bool) {
        if let from {
            return (try modelOptions.load(from), false)
        }
        let spec = try ArchitectureSpec(arch ?? "")
        var model = KerasModel(path: "--arch", inputDims: [nil], layers: spec.layers, weights: [])
        model.memoryLimit = try modelOptions.memoryLimit()
        let count = try model.parameterCount()
        try MemoryBudget.reserve(MemoryBudget.bytes(count, of: MemoryLayout<Float>.size), for: "the \(count) weights of --arch")
        model.weights = [Float](repeating: 0, count: count)
        return (model, true)
    }

    func data() throws(RecurError) -> TrainingData {
        let values = try Series(path: series ?? Defaults.locate(Defaults.series), column: column).values
        return try TrainingData(series: values, window: window, split: split)
    }
}

/// A one-line description of a training arena.
func describe(_ plan: NetworkPlan) -> String {
    let s = plan.sizes
    return "\(bytes(s.total)) (\(s.total) bytes): weights \(s.parameters), gradients \(s.gradients), optimizer \(s.optimizer), activations \(s.activations), scratch \(s.scratch + s.table)"
}
