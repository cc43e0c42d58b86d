import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurKeras

/// Backpropagation against Keras's `tf.GradientTape`: for each fixture with a training-step
/// reference, the loss on `batch_x`/`batch_y`, every weight's gradient, and the weights after
/// one and two SGD steps (lr 1e-3, momentum 0.9) must match.
///
/// Tolerances: the loss to 1e-5 relative (a float32 mean). Gradients are sums over the batch
/// and the window of products whose rounding differs between two correct float32
/// implementations; each tensor must be within `2e-4 · max|g|` of Keras's, element by element
/// (measured worst cases on the course models are near 1e-5, so a wrong gate, sign or time
/// index — which moves gradients by their own order of magnitude — cannot pass). Weights after a
/// step are compared as forward values are (1e-5 relative).
@Suite(.serialized) struct GradientTests {
    static let fixtures: [String] = (
        Fixtures.ioFiles(in: "external") + Fixtures.ioFiles(in: "keras3") + Fixtures.ioFiles(in: "keras2")
    ).filter { hasDataset(Fixtures.path($0), "grads_huber") || Measure.hasGroup(Fixtures.path($0), "grads_huber") }

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count >= 3)
    }

    @Test(arguments: fixtures)
    func matchesGradientTape(io: String) throws {
        let ioPath = Fixtures.path(io)
        let model = try KerasModel.load(path: Measure.modelPath(for: ioPath))
        let gradients = try Measure.gradients(model, io: ioPath)
        #expect(gradients.worst <= 1, "\(io): \(gradients.weight) is \(gradients.worst)× the tolerance from Keras's")
        // One SGD step from zero momentum, then a second on the same batch.
        let steps = try Measure.steps(model, io: ioPath, optimizer: .sgd(momentum: 0.9, nesterov: false), group: "after_sgd_step")
        #expect(steps <= 1, "\(io): weights after SGD steps \(steps)× the tolerance from Keras's")
    }

    /// The fixtures marked `opt` also hold two steps of Adam and of RMSprop with Keras's
    /// defaults (Adam β 0.9/0.999, ε 1e-7 outside the root; RMSprop ρ 0.9, ε 1e-7 inside it).
    static let optimizerFixtures = fixtures.filter { Measure.hasGroup(Fixtures.path($0), "after_adam_step") }

    @Test func optimizerFixturesArePresent() {
        #expect(Self.optimizerFixtures.count >= 8)
    }

    @Test(arguments: optimizerFixtures)
    func adamAndRMSpropStepLikeKeras(io: String) throws {
        let ioPath = Fixtures.path(io)
        let model = try KerasModel.load(path: Measure.modelPath(for: ioPath))
        let found = Measure.optimizerSteps(in: ioPath).filter { $0.name != "SGD" }
        #expect(found.map(\.name) == ["Adam", "RMSprop"])
        for (name, optimizer, group) in found {
            let worst = try Measure.steps(model, io: ioPath, optimizer: optimizer, group: group)
            #expect(worst <= 1, "\(io): weights after two \(name) steps \(worst)× the tolerance from Keras's")
        }
    }
}

/// The two directions of a Bidirectional layer may run on two threads; the numbers must be
/// the same bits as when they run one after the other.
@Suite(.serialized) struct ThreadedDirectionsTests {
    @Test(arguments: ["external/m3_bilstm2", "keras3/bidir_gru_mul_seq_chain", "keras3/bidir_simplernn_ave_seq_chain"])
    func sameBitsWithAndWithoutASecondThread(stem: String) throws {
        let io = Fixtures.path(stem + ".io.h5")
        let model = try KerasModel.load(path: Fixtures.path(stem + ".h5"))
        let x = try readDataset(io, "batch_x"), y = try readDataset(io, "batch_y")
        let batch = x.shape[0]
        func run(threads: Bool) throws -> (output: [Float], gradients: [Float], parameters: [Float]) {
            var network = try model.makeNetwork(window: x.shape[1], batch: batch, training: true, optimizerSlots: 1)
            #expect(network.pairRunner != nil || !threads)
            if !threads { network.pairRunner = nil }
            x.values.withUnsafeBufferPointer { network.input.update(from: $0.baseAddress!, count: $0.count) }
            y.values.withUnsafeBufferPointer { network.targets.update(from: $0.baseAddress!, count: $0.count) }
            var random = RandomNumbers(seed: 1)
            _ = network.trainStep(batch: batch, recipe: TrainingRecipe(loss: .huber(delta: 1), optimizer: .sgd(momentum: 0.9, nesterov: false)), learningRate: 1e-3, step: 0, random: &random)
            return (
                Array(UnsafeBufferPointer(start: network.output, count: batch * network.plan.output.count)), Array(network.gradients),
                Array(network.parameters))
        }
        let threaded = try run(threads: true), sequential = try run(threads: false)
        #expect(threaded.output == sequential.output)
        #expect(threaded.gradients == sequential.gradients)
        #expect(threaded.parameters == sequential.parameters)
    }

    /// A one-direction layer gives each thread half of a batch's rows (from 8 rows): forward,
    /// training step and an inference batch of an odd size are the same bits as on one thread.
    @Test(arguments: ["external/m1_simplernn", "keras3/lstm_go_backwards_seq", "keras3/gru_reset_before_seq_chain", "keras3/simplernn_seq_chain"])
    func sameBitsWhenABatchIsSplitBetweenThreads(stem: String) throws {
        let io = Fixtures.path(stem + ".io.h5")
        let model = try KerasModel.load(path: Fixtures.path(stem + ".h5"))
        let x = try readDataset(io, "batch_x"), y = try readDataset(io, "batch_y")
        // 19 rows made from the fixture's, each a little different: halves of 12 and 7 rows.
        let batch = 19
        let rowIn = x.values.count / x.shape[0], rowOut = y.values.count / y.shape[0]
        let inputs = (0..<batch * rowIn).map { i in x.values[(i / rowIn) % x.shape[0] * rowIn + i % rowIn] + Float(i / rowIn) * 0.01 }
        let targets = (0..<batch * rowOut).map { i in y.values[(i / rowOut) % y.shape[0] * rowOut + i % rowOut] }
        func run(threads: Bool, training: Bool, rows: Int) throws -> (output: [Float], gradients: [Float]) {
            var network = try model.makeNetwork(window: x.shape[1], batch: batch, training: training, optimizerSlots: training ? 1 : 0)
            #expect(network.pairRunner != nil || !threads)
            if !threads { network.pairRunner = nil }
            inputs.withUnsafeBufferPointer { network.input.update(from: $0.baseAddress!, count: $0.count) }
            guard training else {
                network.forward(batch: rows)
                return (Array(UnsafeBufferPointer(start: network.output, count: rows * network.plan.output.count)), [])
            }
            targets.withUnsafeBufferPointer { network.targets.update(from: $0.baseAddress!, count: $0.count) }
            var random = RandomNumbers(seed: 1)
            _ = network.trainStep(batch: rows, recipe: TrainingRecipe(loss: .huber(delta: 1), optimizer: .sgd(momentum: 0.9, nesterov: false)), learningRate: 1e-3, step: 0, random: &random)
            return (Array(UnsafeBufferPointer(start: network.output, count: rows * network.plan.output.count)), Array(network.gradients))
        }
        for (training, rows) in [(true, batch), (false, batch), (false, 9)] {
            let threaded = try run(threads: true, training: training, rows: rows)
            let sequential = try run(threads: false, training: training, rows: rows)
            #expect(threaded.output == sequential.output, "training \(training), \(rows) rows")
            #expect(threaded.gradients == sequential.gradients, "training \(training), \(rows) rows")
        }
    }
}
