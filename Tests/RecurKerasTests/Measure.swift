import Foundation
import RecurKernel
import RecurTestSupport
@testable import RecurKeras

/// recur against Keras on one fixture, each as its worst error divided by the tolerance the tests
/// state for it (so a value at most 1 passes). The parity and gradient tests assert these; the
/// conformance matrix (`ConformanceTests`) prints them.
enum Measure {
    /// The model file that goes with a fixture's `NAME.io.h5`: `NAME.h5`.
    static func modelPath(for io: String) -> String {
        String(io.dropLast(".io.h5".count)) + ".h5"
    }

    /// `model` on the fixture's `inputs` against Keras's `outputs`, element by element within
    /// `1e-5 · max(|keras|, 1)` (ParityTests says why).
    static func forward(_ model: KerasModel, io: String) throws -> Double {
        let inputs = try readDataset(io, "inputs")
        let outputs = try readDataset(io, "outputs")
        let samples = inputs.shape[0]
        let network = try model.makeNetwork(window: inputs.shape[1], batch: samples)
        guard network.plan.input.count * samples == inputs.values.count,
            network.plan.output.count * samples == outputs.values.count
        else { throw FixtureError.missing("\(io): the model's shapes are not the fixture's") }
        inputs.values.withUnsafeBufferPointer { network.input.update(from: $0.baseAddress!, count: $0.count) }
        network.forward(batch: samples)
        let got = Array(UnsafeBufferPointer(start: network.output, count: outputs.values.count))
        return worstError(got, outputs.values)
    }

    /// A network holding the fixture's training batch, planned for `optimizer`.
    static func trainingNetwork(_ model: KerasModel, io: String, optimizer: Optimizer, batch: inout Int) throws -> Network {
        let x = try readDataset(io, "batch_x"), y = try readDataset(io, "batch_y")
        batch = x.shape[0]
        let network = try model.makeNetwork(window: x.shape[1], batch: batch, training: true, optimizerSlots: optimizer.slotCount)
        x.values.withUnsafeBufferPointer { network.input.update(from: $0.baseAddress!, count: $0.count) }
        y.values.withUnsafeBufferPointer { network.targets.update(from: $0.baseAddress!, count: $0.count) }
        return network
    }

    /// Concatenates the datasets of `group` in Keras's trainable-weight order: our parameter order.
    static func flat(_ io: String, _ group: String) throws -> [Float] {
        try rootStrings(io, "trainable_weight_paths").flatMap { try readDataset(io, group + "/" + $0).values }
    }

    /// The Huber loss (delta 1) of the fixture's batch and every weight's gradient against
    /// `tf.GradientTape`: the loss within 1e-5 relative, each gradient tensor element by element
    /// within `2e-4 · max|g|` of that tensor (GradientTests says why). Returns the worse ratio and
    /// the weight it was found in.
    static func gradients(_ model: KerasModel, io: String) throws -> (worst: Double, weight: String) {
        var batch = 0
        let network = try trainingNetwork(model, io: io, optimizer: .sgdDefault, batch: &batch)
        let y = try readDataset(io, "batch_y")
        network.forward(batch: batch)
        let loss = Loss.huber(delta: 1).evaluate(
            predictions: network.output, targets: network.targets, count: y.values.count, gradient: network.outputGradient)
        let kerasLoss = Double(try readDataset(io, "loss_huber").values[0])
        var worst = (abs(loss.loss - kerasLoss) / (1e-5 * abs(kerasLoss)), "the loss")
        network.zeroGradients()
        network.backward(batch: batch)
        let gradients = Array(network.gradients)
        var offset = 0
        for path in try rootStrings(io, "trainable_weight_paths") {
            let want = try readDataset(io, "grads_huber/" + path).values
            guard offset + want.count <= gradients.count else { throw FixtureError.missing("\(io): more Keras weights than recur's") }
            let scale = Double(want.map(abs).max() ?? 0)
            for (g, k) in zip(gradients[offset..<offset + want.count], want) {
                let ratio = abs(Double(g) - Double(k)) / max(2e-4 * scale, 1e-30)
                if ratio > worst.0 { worst = (ratio, path) }
            }
            offset += want.count
        }
        guard offset == gradients.count else { throw FixtureError.missing("\(io): recur has weights Keras's gradients lack") }
        return worst
    }

    /// Two steps of `optimizer` (learning rate 1e-3, fresh slots) on the Huber loss of the
    /// fixture's batch, against Keras's weights after each (`group`, `group + "2"`): forward
    /// tolerance on every weight.
    static func steps(_ model: KerasModel, io: String, optimizer: Optimizer, group: String) throws -> Double {
        var batch = 0
        let network = try trainingNetwork(model, io: io, optimizer: optimizer, batch: &batch)
        let recipe = TrainingRecipe(loss: .huber(delta: 1), optimizer: optimizer)
        var random = RandomNumbers(seed: 0)
        var worst = 0.0
        for (step, name) in [group, group + "2"].enumerated() {
            _ = network.trainStep(batch: batch, recipe: recipe, learningRate: 1e-3, step: step, random: &random)
            worst = max(worst, worstError(Array(network.parameters), try flat(io, name)))
        }
        return worst
    }

    /// The optimizers whose steps a fixture holds, with the group of its first step.
    static func optimizerSteps(in io: String) -> [(name: String, optimizer: Optimizer, group: String)] {
        var found: [(String, Optimizer, String)] = []
        if hasDataset(io, "loss_huber") { found.append(("SGD", .sgd(momentum: 0.9, nesterov: false), "after_sgd_step")) }
        if hasGroup(io, "after_adam_step") { found.append(("Adam", .adamDefault, "after_adam_step")) }
        if hasGroup(io, "after_rmsprop_step") { found.append(("RMSprop", .rmspropDefault, "after_rmsprop_step")) }
        return found
    }

    static func hasGroup(_ path: String, _ name: String) -> Bool {
        withHDF5 { (try? HDF5Reader(path: path))?.exists(name) ?? false }
    }
}
