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
    ).filter { hasDataset(Fixtures.path($0), "grads_huber") || hasGroup(Fixtures.path($0), "grads_huber") }

    static func hasGroup(_ path: String, _ name: String) -> Bool {
        withHDF5 { (try? HDF5Reader(path: path))?.exists(name) ?? false }
    }

    /// Concatenates the datasets of `group` in Keras's trainable-weight order: our parameter order.
    static func flat(_ io: String, _ group: String) throws -> [Float] {
        try rootStrings(io, "trainable_weight_paths").flatMap { try readDataset(io, group + "/" + $0).values }
    }

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count >= 3)
    }

    @Test(arguments: fixtures)
    func matchesGradientTape(io: String) throws {
        let ioPath = Fixtures.path(io)
        let model = try KerasModel.load(path: String(ioPath.dropLast(".io.h5".count)) + ".h5")
        let x = try readDataset(ioPath, "batch_x"), y = try readDataset(ioPath, "batch_y")
        let batch = x.shape[0]
        let network = try model.makeNetwork(window: x.shape[1], batch: batch, training: true, optimizerSlots: 1)
        x.values.withUnsafeBufferPointer { network.input.update(from: $0.baseAddress!, count: $0.count) }
        y.values.withUnsafeBufferPointer { network.targets.update(from: $0.baseAddress!, count: $0.count) }

        let recipe = TrainingRecipe(loss: .huber(delta: 1), optimizer: .sgd(momentum: 0.9, nesterov: false))
        network.forward(batch: batch)
        let loss = recipe.loss.evaluate(predictions: network.output, targets: network.targets, count: y.values.count, gradient: network.outputGradient)
        let kerasLoss = try readDataset(ioPath, "loss_huber").values[0]
        #expect(abs(loss.loss - Double(kerasLoss)) <= 1e-5 * Double(abs(kerasLoss)), "loss \(loss.loss), Keras \(kerasLoss)")
        network.zeroGradients()
        network.backward(batch: batch)

        let paths = try rootStrings(ioPath, "trainable_weight_paths")
        let gradients = Array(network.gradients)
        var offset = 0
        var worst = 0.0
        for path in paths {
            let want = try readDataset(ioPath, "grads_huber/" + path).values
            let got = Array(gradients[offset..<offset + want.count])
            offset += want.count
            let scale = Double(want.map(abs).max() ?? 0)
            for (g, k) in zip(got, want) {
                let ratio = abs(Double(g) - Double(k)) / max(2e-4 * scale, 1e-30)
                worst = max(worst, ratio)
            }
            #expect(zip(got, want).allSatisfy { abs(Double($0) - Double($1)) <= 2e-4 * scale }, "\(io) \(path)")
        }
        #expect(offset == gradients.count)
        print("\(io): worst gradient error \(worst) of the tolerance")

        // One SGD step from zero momentum, then a second on the same batch.
        var random = RandomNumbers(seed: 0)
        _ = network.trainStep(batch: batch, recipe: TrainingRecipe(loss: .huber(delta: 1), optimizer: .sgd(momentum: 0.9, nesterov: false)), learningRate: 1e-3, step: 0, random: &random)
        #expect(worstError(Array(network.parameters), try Self.flat(ioPath, "after_sgd_step")) <= 1)
        _ = network.trainStep(batch: batch, recipe: TrainingRecipe(loss: .huber(delta: 1), optimizer: .sgd(momentum: 0.9, nesterov: false)), learningRate: 1e-3, step: 1, random: &random)
        #expect(worstError(Array(network.parameters), try Self.flat(ioPath, "after_sgd_step2")) <= 1)
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
        func run(threads: Bool) throws -> (output: [Float], gradients: [Float]) {
            var network = try model.makeNetwork(window: x.shape[1], batch: batch, training: true, optimizerSlots: 1)
            #expect(network.pairRunner != nil || !threads)
            if !threads { network.pairRunner = nil }
            x.values.withUnsafeBufferPointer { network.input.update(from: $0.baseAddress!, count: $0.count) }
            y.values.withUnsafeBufferPointer { network.targets.update(from: $0.baseAddress!, count: $0.count) }
            var random = RandomNumbers(seed: 1)
            _ = network.trainStep(batch: batch, recipe: TrainingRecipe(loss: .huber(delta: 1), optimizer: .sgd(momentum: 0.9, nesterov: false)), learningRate: 1e-3, step: 0, random: &random)
            return (Array(UnsafeBufferPointer(start: network.output, count: batch * network.plan.output.count)), Array(network.gradients))
        }
        let threaded = try run(threads: true), sequential = try run(threads: false)
        #expect(threaded.output == sequential.output)
        #expect(threaded.gradients == sequential.gradients)
    }
}
