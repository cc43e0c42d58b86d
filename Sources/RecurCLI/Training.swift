import CIOSupport
import Glibc
import RecurKernel
import RecurKeras

/// The course's training data: windows of `window + 1` values with shift 1 over
/// `series[..<split]`, each split into the input window and its target — the next value, or
/// for a model whose output is a sequence, the window shifted by one.
struct TrainingData {
    let values: [Float]
    let window: Int
    let split: Int

    init(series: [Double], window: Int, split: Int) throws(RecurError) {
        guard window >= 1 else { throw .usage("--window must be at least 1") }
        guard split <= series.count else {
            throw .usage("--split \(split) is past the end of the series (\(series.count) values)")
        }
        guard split > window else {
            throw .usage("--split \(split) leaves no training window of \(window + 1) values")
        }
        self.values = series.map { Float($0) }
        self.window = window
        self.split = split
    }

    /// Windows in the training range.
    var windowCount: Int { split - window }

    /// Writes window `index` into `input` and its target into `target` (`targetWidth` values:
    /// 1, or `window` for a sequence output).
    func fill(_ index: Int, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>, targetWidth: Int) {
        values.withUnsafeBufferPointer { series in
            input.update(from: series.baseAddress! + index, count: window)
            if targetWidth == 1 {
                target[0] = series[index + window]
            } else {
                target.update(from: series.baseAddress! + index + 1, count: window)
            }
        }
    }
}

/// A learning-rate schedule: by epoch (Keras's `LearningRateScheduler`) or by step (Keras's
/// `ExponentialDecay`).
enum Schedule {
    case constant
    /// `lr0 · 10^(epoch / perDecade)`: the course's sweep.
    case sweep(perDecade: Double)
    /// `lr0 · rate^(step / steps)`, floored exponent when `staircase`.
    case exponential(rate: Double, steps: Double, staircase: Bool)
    /// `lr0 · drop^⌊epoch / every⌋`.
    case stepDecay(drop: Double, every: Int)

    func rate(initial: Double, epoch: Int, step: Int) -> Float {
        switch self {
        case .constant: return Float(initial)
        case .sweep(let perDecade): return Float(initial * pow10(Double(epoch) / perDecade))
        case .exponential(let rate, let steps, let staircase):
            var exponent = Double(step) / steps
            if staircase { exponent = exponent.rounded(.down) }
            return Float(initial * pow(rate, exponent))
        case .stepDecay(let drop, let every): return Float(initial * pow(drop, Double(epoch / every)))
        }
    }
}

func pow10(_ x: Double) -> Double { pow(10, x) }

/// What one epoch measured.
struct EpochResult {
    var loss: Double
    var mae: Double
    var mse: Double
    var steps: Int
    var seconds: Double
    var learningRate: Float
}

/// Why training stopped before its last epoch.
enum TrainingStop: Equatable {
    /// The loss became NaN or infinite at this epoch (1-based) and step.
    case diverged(epoch: Int, step: Int)
    /// SIGINT or SIGTERM.
    case signal(Int32)
}

/// A network being trained on windows of a series: the arena, the shuffle buffer and the random
/// generator are made once; every step after that allocates nothing.
struct TrainingSession: ~Copyable {
    let network: Network
    let recipe: TrainingRecipe
    var shuffle: WindowShuffle
    var random: RandomNumbers
    /// Optimizer updates so far (Keras's `iterations`).
    var step = 0

    init(model: KerasModel, data: TrainingData, batch: Int, recipe: TrainingRecipe, shuffleBuffer: Int, seed: UInt64, initialize: Bool) throws(RecurError) {
        if let refusal = model.trainingRefusal() { throw .data("\(model.path): \(refusal)") }
        let network = try model.makeNetwork(window: data.window, batch: batch, training: true, optimizerSlots: recipe.optimizer.slotCount)
        guard network.plan.input.count == data.window else {
            throw .data("\(model.path) takes samples of \(network.plan.input.count) values, not windows of one series of \(data.window) steps")
        }
        let width = network.plan.output.count
        guard width == 1 || width == data.window else {
            throw .data("\(model.path) outputs \(width) values per window; recur trains one-step forecasts (1) or sequences shifted by one (\(data.window))")
        }
        var random = RandomNumbers(seed: seed)
        if initialize {
            let count = max(1, network.initializerScratchCount)
            try MemoryBudget.holding(MemoryBudget.bytes(count, of: MemoryLayout<Double>.size), for: "initialising the weights of \(model.path)") {
                let scratch = UnsafeMutablePointer<Double>.allocate(capacity: count)
                defer { scratch.deallocate() }
                network.initializeParameters(random: &random, scratch: scratch)
            }
        }
        self.network = network
        self.recipe = recipe
        self.random = random
        self.shuffle = WindowShuffle(capacity: max(1, min(shuffleBuffer, data.windowCount)))
    }

    /// One pass over the training windows in shuffled batches.
    ///
    /// - Parameters:
    ///   - stopRequested: checked after every step; when it returns a signal the epoch ends
    ///     early with ``TrainingStop/signal(_:)``.
    ///   - progress: called after every step with the epoch's figures so far (a progress bar);
    ///     it runs inside the step loop, so it should allocate only when it prints.
    mutating func epoch(
        _ data: TrainingData, batch: Int, learningRate: (Int) -> Float, stopRequested: () -> Int32,
        progress: (EpochResult) -> Void = { _ in }
    ) -> (EpochResult, TrainingStop?) {
        let started = recur_monotonic_nanoseconds()
        let inputWidth = network.plan.input.count
        let targetWidth = network.plan.output.count
        shuffle.start(windowCount: data.windowCount)
        var lossSum = 0.0, absolute = 0.0, squared = 0.0
        var samples = 0, values = 0, steps = 0
        var rate: Float = learningRate(step)
        while true {
            var filled = 0
            while filled < batch, let index = shuffle.next(&random) {
                data.fill(index, input: network.input + filled * inputWidth, target: network.targets + filled * targetWidth, targetWidth: targetWidth)
                filled += 1
            }
            if filled == 0 { break }
            rate = learningRate(step)
            let value = network.trainStep(batch: filled, recipe: recipe, learningRate: rate, step: step, random: &random)
            step += 1
            steps += 1
            // Keras averages the epoch's loss over samples (each batch weighted by its size).
            lossSum += value.loss * Double(filled)
            absolute += value.absoluteErrorSum
            squared += value.squaredErrorSum
            samples += filled
            values += value.count
            let seconds = Double(recur_monotonic_nanoseconds() - started) / 1e9
            let result = EpochResult(loss: lossSum / Double(samples), mae: absolute / Double(values), mse: squared / Double(values), steps: steps, seconds: seconds, learningRate: rate)
            if !value.loss.isFinite { return (result, .diverged(epoch: 0, step: steps)) }
            progress(result)
            let signal = stopRequested()
            if signal != 0 { return (result, .signal(signal)) }
        }
        let seconds = Double(recur_monotonic_nanoseconds() - started) / 1e9
        return (EpochResult(loss: lossSum / Double(max(samples, 1)), mae: absolute / Double(max(values, 1)), mse: squared / Double(max(values, 1)), steps: steps, seconds: seconds, learningRate: rate), nil)
    }

    /// A copy of the parameters.
    var parameters: [Float] { Array(network.parameters) }

    func restore(_ weights: [Float]) {
        weights.withUnsafeBufferPointer { network.parameters.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
    }
}
