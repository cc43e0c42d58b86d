/// How a network learns: Keras's loss, optimizer and clipping.
public struct TrainingRecipe: BitwiseCopyable, Sendable {
    public var loss: Loss
    public var optimizer: Optimizer
    public var clipping: GradientClipping

    public init(loss: Loss, optimizer: Optimizer, clipping: GradientClipping = .none) {
        self.loss = loss
        self.optimizer = optimizer
        self.clipping = clipping
    }
}

extension Network {
    /// One training step on the first `batch` samples of ``input`` and ``targets``: forward,
    /// loss and its gradient, backward, clipping, and the optimizer's update — what Keras's
    /// `train_step` does for one batch.
    ///
    /// - Parameters:
    ///   - step: updates applied before this one (Keras's `optimizer.iterations`).
    /// - Returns: the batch's loss and error sums, measured before the update.
    /// - Allocates: never.
    ///   - random: the source of dropout masks.
    public func trainStep(batch: Int, recipe: TrainingRecipe, learningRate: Float, step: Int, random: inout RandomNumbers) -> LossValue {
        precondition(plan.optimizerSlotCount >= recipe.optimizer.slotCount, "the plan reserves too few optimizer slots")
        withUnsafeMutablePointer(to: &random) { forward(batch: batch, dropout: $0) }
        let value = recipe.loss.evaluate(
            predictions: output, targets: targets, count: batch * plan.output.count, gradient: outputGradient)
        backward(batch: batch, clearingGradients: true)
        clipGradients(recipe.clipping)
        // The update, element by element: each thread takes half of the parameters.
        withUnsafePointer(to: self) { network in
            var job = UpdateJob(network: network, optimizer: recipe.optimizer, learningRate: learningRate, step: step)
            runPair(&job) { context, part in
                let job = context!.assumingMemoryBound(to: UpdateJob.self).pointee
                let network = job.network
                let plan = network.pointee.plan
                let range = half(of: plan.parameterCount / 16, part: part)
                let first = range.lowerBound * 16
                let end = part == 0 ? range.upperBound * 16 : plan.parameterCount
                job.optimizer.update(
                    parameters: network.pointee.arena.floats(at: plan.parameters + first),
                    gradients: network.pointee.arena.floats(at: plan.gradients + first), count: end - first,
                    slots: network.pointee.arena.floats(at: plan.optimizerSlots + first),
                    stride: roundUp(plan.parameterCount, to: 16), learningRate: job.learningRate, step: job.step)
            }
        }
        return value
    }

    struct UpdateJob {
        let network: UnsafePointer<Network>
        let optimizer: Optimizer
        let learningRate: Float
        let step: Int
    }

    /// The loss of the first `batch` samples against ``targets``, without learning.
    public func evaluate(batch: Int, loss: Loss) -> LossValue {
        forward(batch: batch)
        return loss.evaluate(predictions: output, targets: targets, count: batch * plan.output.count, gradient: nil)
    }

    /// Keras's clipping of the gradients (`clipvalue`, `clipnorm` per weight tensor,
    /// `global_clipnorm`): `g · c / max(‖g‖, c)`.
    public func clipGradients(_ clipping: GradientClipping) {
        let shift = gradientShift
        switch clipping {
        case .none:
            return
        case .value(let c):
            let g = gradients
            for i in g.indices { g[i] = Swift.min(Swift.max(g[i], -c), c) }
        case .norm(let c):
            forEachWeightTensor { tensor in
                let g = arena.floats(at: tensor.offset + shift)
                scale(g, count: tensor.count, toNorm: c, norm: norm(g, count: tensor.count))
            }
        case .globalNorm(let c):
            var squares: Double = 0
            forEachWeightTensor { tensor in
                let n = norm(arena.floats(at: tensor.offset + shift), count: tensor.count)
                squares += Double(n) * Double(n)
            }
            let global = Float(sqrt(squares))
            forEachWeightTensor { tensor in
                scale(arena.floats(at: tensor.offset + shift), count: tensor.count, toNorm: c, norm: global)
            }
        }
    }
}

@inlinable
func norm(_ g: UnsafePointer<Float>, count: Int) -> Float {
    var sum: Float = 0
    for i in 0..<count { sum += g[i] * g[i] }
    return sqrtf(sum)
}

@inlinable
func scale(_ g: UnsafeMutablePointer<Float>, count: Int, toNorm c: Float, norm: Float) {
    guard norm > c else { return }
    for i in 0..<count { g[i] = g[i] * c / norm }
}
