extension Network {
    /// The offset that turns a parameter's offset into its gradient's.
    @inlinable var gradientShift: Int { plan.gradients - plan.parameters }

    /// Sets every gradient to zero (before a step's backward pass, which accumulates).
    public func zeroGradients() {
        precondition(plan.training, "an inference plan has no gradients")
        arena.zero(at: plan.gradients, count: plan.parameterCount)
    }

    /// The targets of a training batch, `[batch, output.count]`.
    public var targets: UnsafeMutablePointer<Float> {
        precondition(plan.training, "an inference plan has no targets")
        return arena.floats(at: plan.targetBuffer)
    }

    /// The gradient of the loss with respect to the network's output, `[batch, output.count]`:
    /// the loss writes it, ``backward(batch:)`` reads it.
    public var outputGradient: UnsafeMutablePointer<Float> {
        precondition(plan.training, "an inference plan has no gradients")
        return arena.floats(at: layers[plan.layerCount - 1].outputGradient)
    }

    /// Backpropagates ``outputGradient`` through every layer of the last ``forward(batch:)``
    /// (which must have run with this `batch` on a training plan), adding each parameter's
    /// gradient into ``gradients``.
    ///
    /// Allocates: never.
    public func backward(batch: Int) {
        backward(batch: batch, clearingGradients: false)
    }

    /// ``backward(batch:)``, after setting the gradients to zero when `clearingGradients` (one
    /// hand-off to the second thread for both chores).
    func backward(batch: Int, clearingGradients: Bool) {
        precondition(plan.training, "backward needs a training plan")
        precondition(batch > 0 && batch <= plan.batchCapacity, "batch exceeds the planned capacity")
        let table = layers
        prepareBackward(clearingGradients: clearingGradients)
        var index = table.count - 1
        while index >= 0 {
            let layer = table[index]
            let input = arena.floats(at: index == 0 ? plan.inputBuffer : table[index - 1].outputBuffer)
            let inputGradient: UnsafeMutablePointer<Float>? = layer.inputGradient >= 0 ? arena.floats(at: layer.inputGradient) : nil
            let outputGradient = arena.floats(at: layer.outputGradient)
            switch layer.kind {
            case .dense:
                denseBackward(layer, input: input, outputGradient: outputGradient, inputGradient: inputGradient, batch: batch)
            case .recurrent:
                recurrentBackward(layer, input: input, outputGradient: outputGradient, inputGradient: inputGradient, batch: batch)
            case .elementwise:
                if let inputGradient {
                    elementwiseBackward(layer, inputGradient: inputGradient, outputGradient: outputGradient, count: batch * layer.input.count)
                }
            case .activation:
                if let inputGradient {
                    let output = arena.floats(at: layer.outputBuffer)
                    let count = batch * layer.input.count
                    inputGradient.update(from: outputGradient, count: count)
                    layer.activation.multiplyByDerivative(inputGradient, pre: input, post: output, count: count)
                }
            case .conv1D:
                conv1DBackward(layer, input: input, outputGradient: outputGradient, inputGradient: inputGradient, batch: batch)
            case .pool1D:
                if let inputGradient { pool1DBackward(layer, outputGradient: outputGradient, inputGradient: inputGradient, batch: batch) }
            case .globalPool1D:
                if let inputGradient { globalPool1DBackward(layer, outputGradient: outputGradient, inputGradient: inputGradient, batch: batch) }
            case .dropout:
                if let inputGradient { dropoutBackward(layer, outputGradient: outputGradient, inputGradient: inputGradient, batch: batch) }
            case .expandDims, .flatten, .reshape:
                break
            }
            index -= 1
        }
    }
}

extension Network {
    /// Before a backward pass, on the two threads, each taking half of every matrix's columns
    /// (and half of the gradients): refreshes the transposed copies of the kernels that the
    /// backward pass multiplies by, and sets the gradients to zero when `clearingGradients`.
    func prepareBackward(clearingGradients: Bool) {
        withUnsafePointer(to: self) { network in
            var job = PrepareBackwardJob(network: network, clearingGradients: clearingGradients)
            runPair(&job) { context, part in
                let job = context!.assumingMemoryBound(to: PrepareBackwardJob.self).pointee
                let network = job.network
                if job.clearingGradients {
                    let range = half(of: network.pointee.plan.parameterCount, part: part)
                    network.pointee.arena.zero(at: network.pointee.plan.gradients + range.lowerBound, count: range.count)
                }
                network.pointee.transposeWeights(part: part)
            }
        }
    }

    struct PrepareBackwardJob {
        let network: UnsafePointer<Network>
        let clearingGradients: Bool
    }

    /// Refreshes half (`part` 0 or 1) of the columns of the transposed copies of the kernels.
    func transposeWeights(part: Int) {
        for layer in layers {
            switch layer.kind {
            case .dense:
                transpose(
                    arena.floats(at: layer.parameters), rows: layer.input.features, columns: layer.units,
                    into: arena.floats(at: layer.transposedKernel), only: half(of: layer.units, part: part))
            case .recurrent:
                let gateWidth = layer.cell.gateCount * layer.units
                let columns = half(of: gateWidth, part: part)
                for direction in 0..<layer.directions.count {
                    let state = direction == 0 ? layer.forwardState : layer.backwardState
                    transpose(
                        arena.floats(at: state.kernel), rows: layer.input.features, columns: gateWidth,
                        into: arena.floats(at: state.transposedKernel), only: columns)
                    transpose(
                        arena.floats(at: state.recurrentKernel), rows: layer.units, columns: gateWidth,
                        into: arena.floats(at: state.transposedRecurrentKernel), only: columns)
                }
            case .conv1D:
                let tap = layer.input.features * layer.units
                for k in 0..<layer.window.size {
                    transpose(
                        arena.floats(at: layer.parameters + k * tap), rows: layer.input.features, columns: layer.units,
                        into: arena.floats(at: layer.transposedKernel + k * tap), only: half(of: layer.units, part: part))
                }
            default:
                break
            }
        }
    }
}

/// `dx = dy · ∂(x ∘ c)/∂x` for each of `count` values.
func elementwiseBackward(_ layer: Layer, inputGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>, count: Int) {
    let c = layer.constant
    switch layer.operation {
    case .multiply, .scaleAndOffset: for i in 0..<count { inputGradient[i] = outputGradient[i] * c }
    case .divide: for i in 0..<count { inputGradient[i] = outputGradient[i] / c }
    case .add, .subtract: for i in 0..<count { inputGradient[i] = outputGradient[i] }
    case .subtractFrom: for i in 0..<count { inputGradient[i] = -outputGradient[i] }
    }
}
