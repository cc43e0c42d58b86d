/// The backward pass's working memory for one recurrent layer, in floats from the start of the
/// plan's scratch region (shared by all layers: one layer is differentiated at a time).
struct RecurrentScratch {
    /// Gradients of each step's pre-activations `[batch, steps, G]`, in time order.
    var preGates: Int
    /// A step's gradient with respect to `h U (+ b_r)` `[batch, G]` (GRU), or of `r · h` (GRU
    /// with the reset before).
    var step: Int
    /// The gradient reaching the current step's hidden state, and the one passed to the step
    /// before it `[batch, u]`; the same for an LSTM's cell state.
    var hidden: Int
    var hiddenNext: Int
    var cellNext: Int
    /// Per-row working values `[2 · G]` (an LSTM's `act(c)` and `act'(c)`).
    var row: Int
    /// Under recurrent dropout: a step's masked previous state, and the gradient reaching it
    /// through the recurrent kernel, before the mask `[batch, u]`.
    var maskedPrevious: Int
    var throughKernel: Int
    /// A one-direction layer's weight gradients summed over the second half of a batch's rows
    /// (the first half's go straight into the gradients).
    let partialGradients: Int
    /// Each direction's share of the output gradient when two are summed, averaged or multiplied
    /// (concatenated, each reads its half of the gradient in place).
    let forwardOutput: Int
    let backwardOutput: Int

    init(base: Int, layer: Layer, batch: Int) {
        let steps = layer.input.steps, units = layer.units
        let gateWidth = layer.cell.gateCount * units
        let outputSteps = layer.returnSequences ? steps : 1
        // Consecutive regions, each aligned to 16 floats (no capturing helper: this runs in
        // every backward pass, and a debug build would box a captured variable).
        let sizes = (
            preGates: roundUp(batch * steps * gateWidth, to: 16), step: roundUp(batch * gateWidth, to: 16),
            state: roundUp(batch * units, to: 16), row: roundUp(2 * gateWidth, to: 16),
            output: layer.merge == .concat ? 0 : roundUp(batch * outputSteps * units, to: 16),
            partial: Self.splitsRows(of: layer, batch: batch) ? roundUp(layer.parameterCount, to: 16) : 0)
        preGates = base
        step = preGates + sizes.preGates
        hidden = step + sizes.step
        hiddenNext = hidden + sizes.state
        cellNext = hiddenNext + sizes.state
        row = cellNext + sizes.state
        maskedPrevious = row + sizes.row
        throughKernel = maskedPrevious + sizes.state
        partialGradients = throughKernel + sizes.state
        forwardOutput = partialGradients + sizes.partial
        backwardOutput = forwardOutput + sizes.output
        end = backwardOutput + sizes.output
    }

    let end: Int

    /// Whether a backward pass of `layer` on `batch` rows runs in two halves of the rows (one
    /// direction, SimpleRNN or LSTM, 8 rows or more; and, decided per pass, no recurrent dropout).
    static func splitsRows(of layer: Layer, batch: Int) -> Bool {
        layer.directions != .bidirectional && batch >= 8 && (layer.cell == .simple || layer.cell == .lstm)
    }

    static func count(for layer: Layer, batch: Int) -> Int {
        RecurrentScratch(base: 0, layer: layer, batch: batch).end
    }

    /// Scratch a whole layer needs: a Bidirectional layer's directions run at once, each with
    /// its own scratch, and the backward one's input gradient is summed in afterwards.
    static func layerCount(for layer: Layer, batch: Int) -> Int {
        guard layer.directions == .bidirectional else { return count(for: layer, batch: batch) }
        return 2 * count(for: layer, batch: batch) + roundUp(batch * layer.input.count, to: 16)
    }
}

extension RecurrentScratch {
    /// The scratch seen from batch row `row` on, for one of two threads that share a
    /// one-direction layer's batch: every region that holds a row per sample starts `row` rows
    /// later. The second thread's per-row working values go where a masked previous state would
    /// (the split runs only without recurrent dropout): `batch · u` floats, for a batch of 8 or
    /// more at least the `2G` of a row's region (an LSTM's row uses `2u`).
    func rows(from row: Int, layer: Layer, secondThread: Bool) -> RecurrentScratch {
        let steps = layer.input.steps, units = layer.units
        let gateWidth = layer.cell.gateCount * units
        var shifted = self
        shifted.preGates += row * steps * gateWidth
        shifted.step += row * gateWidth
        shifted.hidden += row * units
        shifted.hiddenNext += row * units
        shifted.cellNext += row * units
        if secondThread { shifted.row = maskedPrevious }
        return shifted
    }
}

/// What the two threads need to run a one-direction layer's backward pass on two halves of the
/// batch, each with its share of the weight gradients.
struct RowsGradientJob {
    let network: UnsafePointer<Network>
    let layer: Layer
    let scratch: RecurrentScratch
    let input: UnsafePointer<Float>
    let outputGradient: UnsafePointer<Float>
    let inputGradient: UnsafeMutablePointer<Float>?
    let batch: Int
    let reversed: Bool
}

/// The part of `0..<count` that thread `part` (0 or 1) of a pair takes.
func half(of count: Int, part: Int) -> Range<Int> {
    part == 0 ? 0..<count / 2 : count / 2..<count
}

/// What a thread needs to run the backward pass of one direction of a Bidirectional layer.
struct DirectionGradientJob {
    let network: UnsafePointer<Network>
    let layer: Layer
    let scratch: (RecurrentScratch, RecurrentScratch)
    let input: UnsafePointer<Float>
    let outputGradients: (UnsafePointer<Float>, UnsafePointer<Float>)
    /// Floats from one row of an output gradient to the next.
    let outputGradientStride: Int
    let inputGradients: (UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?)
    let batch: Int
}

extension Network {
    /// The backward pass of ``recurrentForward(_:input:batch:)``: backpropagation through time
    /// over the whole window, for each direction, with the direction's share of the output
    /// gradient (split according to the merge mode).
    func recurrentBackward(
        _ layer: Layer, input: UnsafeMutablePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        let scratch = RecurrentScratch(base: plan.scratch, layer: layer, batch: batch)
        let inputCount = batch * layer.input.count
        guard layer.directions == .bidirectional else {
            let reversed = layer.directions == .backward
            let recurrentMasked = layer.dropoutDrawn && layer.recurrentDropout > 0
            guard RecurrentScratch.splitsRows(of: layer, batch: batch) && !recurrentMasked else {
                if let inputGradient { inputGradient.update(repeating: 0, count: inputCount) }
                recurrentDirectionBackward(
                    layer, layer.forwardState, scratch, input: input, outputGradient: outputGradient,
                    inputGradient: inputGradient, batch: batch, reversed: reversed, timeOrderedOutput: false)
                return
            }
            // A batch of 8 rows or more in two halves, on two threads when there is a second:
            // each half runs the recurrence backwards on its own rows (rows are independent) and
            // sums its rows' share of the weight gradients, the first half's into the gradients,
            // the second's into a buffer of its own, added after. Each thread reads only the rows
            // it made, and the sums are the same whether or not the halves ran at once.
            withUnsafePointer(to: self) { network in
                var job = RowsGradientJob(
                    network: network, layer: layer, scratch: scratch, input: input, outputGradient: outputGradient,
                    inputGradient: inputGradient, batch: batch, reversed: reversed)
                runPair(&job) { context, half in
                    let job = context!.assumingMemoryBound(to: RowsGradientJob.self).pointee
                    let layer = job.layer, network = job.network
                    let part = rowsOfHalf(half, batch: job.batch)
                    let first = part.lowerBound, rows = part.count
                    let outputSteps = layer.returnSequences ? layer.input.steps : 1
                    let inputRow = layer.input.steps * layer.input.features
                    let inputGradient = job.inputGradient.map { $0 + first * inputRow }
                    inputGradient?.update(repeating: 0, count: rows * inputRow)
                    var shift: Int? = nil
                    if half == 1 {
                        network.pointee.arena.zero(at: job.scratch.partialGradients, count: layer.parameterCount)
                        shift = job.scratch.partialGradients - layer.parameters
                    }
                    network.pointee.recurrentDirectionBackward(
                        layer, network.pointee.rows(of: layer.forwardState, layer: layer, from: first),
                        job.scratch.rows(from: first, layer: layer, secondThread: half == 1), input: job.input + first * inputRow,
                        outputGradient: job.outputGradient + first * outputSteps * layer.units, inputGradient: inputGradient,
                        batch: rows, reversed: job.reversed, timeOrderedOutput: false, gradientShift: shift)
                }
            }
            add(arena.floats(at: layer.parameters + gradientShift), arena.floats(at: scratch.partialGradients), count: layer.parameterCount)
            return
        }
        // Split the merged output's gradient between the directions (concatenated, each reads its
        // half of every row in place).
        let units = layer.units
        let count = batch * layer.output.rows * units
        let forwardGradient = arena.floats(at: scratch.forwardOutput)
        let backwardGradient = arena.floats(at: scratch.backwardOutput)
        let forwardOutput = arena.floats(at: layer.forwardState.output)
        let backwardOutput = arena.floats(at: layer.backwardState.output)
        let concat = layer.merge == .concat
        switch layer.merge {
        case .concat:
            break
        case .sum:
            forwardGradient.update(from: outputGradient, count: count)
            backwardGradient.update(from: outputGradient, count: count)
        case .average:
            for i in 0..<count {
                forwardGradient[i] = outputGradient[i] / 2
                backwardGradient[i] = outputGradient[i] / 2
            }
        case .multiply:
            for i in 0..<count {
                forwardGradient[i] = outputGradient[i] * backwardOutput[i]
                backwardGradient[i] = outputGradient[i] * forwardOutput[i]
            }
        }
        // The directions on two threads, each with its own scratch; the backward direction's
        // input gradient goes to a buffer of its own (each thread clears its own) and is added
        // after (the same sum whether or not the two ran at once).
        let second = RecurrentScratch(base: scratch.end, layer: layer, batch: batch)
        let secondInputGradient = arena.floats(at: second.end)
        withUnsafePointer(to: self) { network in
            var job = DirectionGradientJob(
                network: network, layer: layer, scratch: (scratch, second), input: input,
                outputGradients: concat
                    ? (UnsafePointer(outputGradient), UnsafePointer(outputGradient + units))
                    : (UnsafePointer(forwardGradient), UnsafePointer(backwardGradient)),
                outputGradientStride: concat ? 2 * units : units,
                inputGradients: (inputGradient, inputGradient == nil ? nil : secondInputGradient), batch: batch)
            runPair(&job) { context, direction in
                let job = context!.assumingMemoryBound(to: DirectionGradientJob.self).pointee
                let inputGradient = direction == 0 ? job.inputGradients.0 : job.inputGradients.1
                inputGradient?.update(repeating: 0, count: job.batch * job.layer.input.count)
                job.network.pointee.recurrentDirectionBackward(
                    job.layer, direction == 0 ? job.layer.forwardState : job.layer.backwardState,
                    direction == 0 ? job.scratch.0 : job.scratch.1, input: job.input,
                    outputGradient: direction == 0 ? job.outputGradients.0 : job.outputGradients.1,
                    outputGradientStride: job.outputGradientStride,
                    inputGradient: inputGradient, batch: job.batch, reversed: direction == 1, timeOrderedOutput: true)
            }
        }
        if let inputGradient {
            add(inputGradient, secondInputGradient, count: inputCount)
        }
    }

    /// One direction. The forward pass kept, per reading step `s`, the gates, hidden and cell
    /// states (and GRU's reset term); `preGates` holds each step's pre-activations at its time
    /// index `t`. Gradients of the pre-activations are gathered for all steps first, so that the
    /// input kernel's gradient and the input's gradient are one matrix product each.
    ///
    /// - Parameters:
    ///   - outputGradientStride: floats from one row of `outputGradient` to the next: `units`,
    ///     or twice that for a direction's half of a concatenated `Bidirectional` output.
    ///   - gradientShift: from a parameter's offset to where its gradient is added: the
    ///     gradients' (``gradientShift``), or a buffer of the layer's own.
    func recurrentDirectionBackward(
        _ layer: Layer, _ state: RecurrentBuffers, _ scratch: RecurrentScratch,
        input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, outputGradientStride: Int? = nil,
        inputGradient: UnsafeMutablePointer<Float>?, batch: Int, reversed: Bool, timeOrderedOutput: Bool,
        gradientShift shiftTo: Int? = nil
    ) {
        let gradientStride = outputGradientStride ?? layer.units
        let steps = layer.input.steps
        let units = layer.units
        let gateWidth = layer.cell.gateCount * units
        let act = layer.activation
        let recurrentAct = layer.recurrentActivation
        let shift = shiftTo ?? gradientShift
        let recurrentT = arena.floats(at: state.transposedRecurrentKernel)
        let row = arena.floats(at: scratch.row)
        let recurrentGradient = arena.floats(at: state.recurrentKernel + shift)
        let biasGradient: UnsafeMutablePointer<Float>? = layer.useBias ? arena.floats(at: state.bias + shift) : nil
        let preGates = arena.floats(at: state.preGates)
        let dPre = arena.floats(at: scratch.preGates)
        let dStep = arena.floats(at: scratch.step)
        let dh = arena.floats(at: scratch.hidden)
        let dhNext = arena.floats(at: scratch.hiddenNext)
        let dcNext = arena.floats(at: scratch.cellNext)
        let preStride = steps * gateWidth
        let hiddenStride = steps * units
        let gateStride = steps * gateWidth
        let outputSteps = layer.returnSequences ? steps : 1
        dhNext.update(repeating: 0, count: batch * units)
        dcNext.update(repeating: 0, count: batch * units)
        // Dropout drawn by the forward pass: the previous state met the recurrent kernel masked
        // (the input side reads the masked input).
        let recurrentMasked = layer.dropoutDrawn && layer.recurrentDropout > 0
        let recurrentMask = arena.floats(at: state.recurrentMask)
        let throughKernel = arena.floats(at: scratch.throughKernel)

        var s = steps - 1
        while s >= 0 {
            let t = reversed ? steps - 1 - s : s
            let z = preGates + t * gateWidth
            let dz = dPre + t * gateWidth
            let h = arena.floats(at: state.hidden) + s * units
            let gates = arena.floats(at: state.gates) + s * gateWidth
            let hPrev = s == 0 ? arena.floats(at: state.initialHidden) : arena.floats(at: state.hidden) + (s - 1) * units
            let hPrevStride = s == 0 ? units : hiddenStride
            var hp = UnsafePointer(hPrev), hpStride = hPrevStride
            if recurrentMasked {
                let masked = arena.floats(at: scratch.maskedPrevious)
                maskPrevious(hPrev, stride: hPrevStride, mask: recurrentMask, into: masked, batch: batch, units: units)
                hp = UnsafePointer(masked)
                hpStride = units
            }

            // dh = (gradient from the step after) + (gradient from this step's output).
            let outStep = timeOrderedOutput ? t : s
            for b in 0..<batch {
                let dhb = dh + b * units, next = dhNext + b * units
                if layer.returnSequences {
                    sum(dhb, next, outputGradient + (b * outputSteps + outStep) * gradientStride, count: units)
                } else if s == steps - 1 {
                    sum(dhb, next, outputGradient + b * gradientStride, count: units)
                } else {
                    dhb.update(from: next, count: units)
                }
            }

            switch layer.cell {
            case .simple:
                // h = act(z), z = x W + b + h_prev U
                for b in 0..<batch {
                    let dzb = dz + b * preStride
                    dzb.update(from: dh + b * units, count: units)
                    act.multiplyByDerivative(dzb, pre: z + b * preStride, post: h + b * hiddenStride, count: units)
                }

            case .lstm:
                // c = f c_prev + i g; h = o act(c)
                let c = arena.floats(at: state.cellState) + s * units
                let cPrev = s == 0 ? arena.floats(at: state.initialCell) : arena.floats(at: state.cellState) + (s - 1) * units
                let tc = row, dtc = row + units
                for b in 0..<batch {
                    let zb = z + b * preStride, dzb = dz + b * preStride, gb = gates + b * gateStride
                    let cb = c + b * hiddenStride, cPrevB = cPrev + b * hPrevStride
                    let dhb = dh + b * units, dcb = dcNext + b * units
                    if act == .tanh && recurrentAct == .sigmoid {
                        lstmTanhSigmoidGradients(units: units, c: cb, dc: dcb, dh: dhb, gates: gb, cPrev: cPrevB, dz: dzb)
                        continue
                    }
                    act.apply(cb, to: tc, count: units)
                    dtc.update(repeating: 1, count: units)
                    act.multiplyByDerivative(dtc, pre: cb, post: tc, count: units)
                    lstmGateGradients(units: units, dc: dcb, dh: dhb, gates: gb, dtc: dtc, tc: tc, cPrev: cPrevB, dz: dzb)
                    recurrentAct.multiplyByDerivative(dzb, pre: zb, post: gb, count: 2 * units)
                    act.multiplyByDerivative(dzb + 2 * units, pre: zb + 2 * units, post: gb + 2 * units, count: units)
                    recurrentAct.multiplyByDerivative(dzb + 3 * units, pre: zb + 3 * units, post: gb + 3 * units, count: units)
                }

            case .gruResetAfter:
                // m = h_prev U + b_r; z = σ(x_z + m_z); r = σ(x_r + m_r);
                // ĥ = act(x_h + r m_h); h = z h_prev + (1 - z) ĥ
                let reset = arena.floats(at: state.reset) + s * units
                for b in 0..<batch {
                    let zb = z + b * preStride, dzb = dz + b * preStride, gb = gates + b * gateStride
                    let mb = reset + b * hiddenStride, hPrevB = hPrev + b * hPrevStride
                    let dhb = dh + b * units, dmb = dStep + b * gateWidth, next = dhNext + b * units
                    gruInterpolationGradients(units: units, dh: dhb, gates: gb, previous: hPrevB, dz: dzb, dPrevious: next)
                    act.multiplyByDerivative(dzb + 2 * units, pre: zb + 2 * units, post: gb + 2 * units, count: units)
                    product(dzb + units, dzb + 2 * units, mb, count: units)
                    recurrentAct.multiplyByDerivative(dzb, pre: zb, post: gb, count: 2 * units)
                    dmb.update(from: dzb, count: 2 * units)
                    product(dmb + 2 * units, dzb + 2 * units, gb + units, count: units)
                }
                matmulTransposedAAccumulate(m: units, n: gateWidth, k: batch, hp, lda: hpStride, dStep, ldb: gateWidth, recurrentGradient, ldc: gateWidth)
                if let biasGradient { addRows(dStep, rows: batch, width: gateWidth, stride: gateWidth, into: biasGradient + gateWidth) }
                if recurrentMasked {
                    throughKernel.update(repeating: 0, count: batch * units)
                    matmulAccumulate(m: batch, n: units, k: gateWidth, dStep, lda: gateWidth, recurrentT, ldb: units, throughKernel, ldc: units)
                    addProduct(dhNext, throughKernel, recurrentMask, count: batch * units)
                } else {
                    matmulAccumulate(m: batch, n: units, k: gateWidth, dStep, lda: gateWidth, recurrentT, ldb: units, dhNext, ldc: units)
                }

            case .gruResetBefore:
                // z = σ(x_z + h_prev U_z); r = σ(x_r + h_prev U_r); q = r h_prev;
                // ĥ = act(x_h + q U_h); h = z h_prev + (1 - z) ĥ
                let q = arena.floats(at: state.reset) + s * units
                for b in 0..<batch {
                    let zb = z + b * preStride, dzb = dz + b * preStride, gb = gates + b * gateStride
                    let dhb = dh + b * units, next = dhNext + b * units
                    gruInterpolationGradients(units: units, dh: dhb, gates: gb, previous: hPrev + b * hPrevStride, dz: dzb, dPrevious: next)
                    act.multiplyByDerivative(dzb + 2 * units, pre: zb + 2 * units, post: gb + 2 * units, count: units)
                }
                // dq = dx_h U_hᵀ; dU_h += qᵀ dx_h
                let dq = dStep
                dq.update(repeating: 0, count: batch * units)
                matmulAccumulate(m: batch, n: units, k: units, dz + 2 * units, lda: preStride, recurrentT + 2 * units * units, ldb: units, dq, ldc: units)
                matmulTransposedAAccumulate(m: units, n: units, k: batch, q, lda: hiddenStride, dz + 2 * units, ldb: preStride, recurrentGradient + 2 * units, ldc: gateWidth)
                // What reaches the (masked) previous state through q and through U_z, U_r.
                let path = recurrentMasked ? throughKernel : dhNext
                if recurrentMasked { throughKernel.update(repeating: 0, count: batch * units) }
                for b in 0..<batch {
                    let zb = z + b * preStride, dzb = dz + b * preStride, gb = gates + b * gateStride
                    let hpB = hp + b * hpStride, dqb = dq + b * units
                    addProduct(path + b * units, dqb, gb + units, count: units)
                    product(dzb + units, dqb, hpB, count: units)
                    recurrentAct.multiplyByDerivative(dzb, pre: zb, post: gb, count: 2 * units)
                }
                matmulTransposedAAccumulate(m: units, n: 2 * units, k: batch, hp, lda: hpStride, dz, ldb: preStride, recurrentGradient, ldc: gateWidth)
                matmulAccumulate(m: batch, n: units, k: 2 * units, dz, lda: preStride, recurrentT, ldb: units, path, ldc: units)
                if recurrentMasked {
                    addProduct(dhNext, throughKernel, recurrentMask, count: batch * units)
                }
            }
            if layer.cell == .simple || layer.cell == .lstm {
                // dz met the whole recurrent kernel: dU += h_prevᵀ dz, and the previous state's
                // gradient dz Uᵀ (none before the first step: the initial state is not trained).
                matmulTransposedAAccumulate(m: units, n: gateWidth, k: batch, hp, lda: hpStride, dz, ldb: preStride, recurrentGradient, ldc: gateWidth)
                if s > 0 {
                    dhNext.update(repeating: 0, count: batch * units)
                    matmulAccumulate(m: batch, n: units, k: gateWidth, dz, lda: preStride, recurrentT, ldb: units, dhNext, ldc: units)
                    if recurrentMasked { product(dhNext, dhNext, recurrentMask, count: batch * units) }
                }
            }
            s -= 1
        }

        inputSideGradients(layer, state, scratch, input: input, inputGradient: inputGradient, batch: batch, shift: shift)
    }

    /// The input side, for all steps at once: dW += xᵀ dz, db += Σ dz, dx += dz Wᵀ (the weights'
    /// gradients at their offset plus `shift`).
    func inputSideGradients(
        _ layer: Layer, _ state: RecurrentBuffers, _ scratch: RecurrentScratch, input: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, batch: Int, shift: Int
    ) {
        let steps = layer.input.steps
        let inputWidth = layer.input.features
        let gateWidth = layer.cell.gateCount * layer.units
        let kernelT = arena.floats(at: state.transposedKernel)
        let kernelGradient = arena.floats(at: state.kernel + shift)
        let biasGradient: UnsafeMutablePointer<Float>? = layer.useBias ? arena.floats(at: state.bias + shift) : nil
        let dPre = arena.floats(at: scratch.preGates)
        let inputMasked = layer.dropoutDrawn && layer.inputDropout > 0
        let readInput = inputMasked ? UnsafePointer(arena.floats(at: state.maskedInput)) : input
        let rows = batch * steps
        matmulTransposedAAccumulate(
            m: inputWidth, n: gateWidth, k: rows, readInput, lda: inputWidth, dPre, ldb: gateWidth, kernelGradient, ldc: gateWidth)
        if let biasGradient { addRows(dPre, rows: rows, width: gateWidth, stride: gateWidth, into: biasGradient) }
        guard let inputGradient else { return }
        if inputMasked {
            // dx = (dz Wᵀ) ⊙ mask; the masked input's buffer is free once dW is done.
            let product = arena.floats(at: state.maskedInput)
            let mask = arena.floats(at: state.inputMask)
            product.update(repeating: 0, count: rows * inputWidth)
            matmulAccumulate(m: rows, n: inputWidth, k: gateWidth, dPre, lda: gateWidth, kernelT, ldb: inputWidth, product, ldc: inputWidth)
            for b in 0..<batch {
                for t in 0..<steps {
                    let r = (b * steps + t) * inputWidth
                    for f in 0..<inputWidth { inputGradient[r + f] += product[r + f] * mask[b * inputWidth + f] }
                }
            }
        } else {
            matmulAccumulate(m: rows, n: inputWidth, k: gateWidth, dPre, lda: gateWidth, kernelT, ldb: inputWidth, inputGradient, ldc: inputWidth)
        }
    }
}

/// An LSTM step's gradients, given `dh` and the cell's gradient `dc` from the step after
/// (updated in place to the previous cell's): `dC = dc + dh · o · act'(c)` (`dtc` holds
/// `act'(c)`), `dc_prev = dC · f`, and the pre-activation gradients of i, f, g, o before their
/// activations' derivatives: `dC · g`, `dC · c_prev`, `dC · i`, `dh · act(c)`. A vector at a
/// time, with the same products in the same order as one value at a time.
@inline(__always)
func lstmGateGradients(
    units: Int, dc: UnsafeMutablePointer<Float>, dh: UnsafePointer<Float>, gates: UnsafePointer<Float>,
    dtc: UnsafePointer<Float>, tc: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>
) {
    let w = Lanes.scalarCount
    let i = gates, f = gates + units, g = gates + 2 * units, o = gates + 3 * units
    var j = 0
    while j + w <= units {
        let dC = loadLanes(dc + j) + loadLanes(dh + j) * loadLanes(o + j) * loadLanes(dtc + j)
        storeLanes(dC * loadLanes(f + j), dc + j)
        storeLanes(dC * loadLanes(g + j), dz + j)
        storeLanes(dC * loadLanes(cPrev + j), dz + units + j)
        storeLanes(dC * loadLanes(i + j), dz + 2 * units + j)
        storeLanes(loadLanes(dh + j) * loadLanes(tc + j), dz + 3 * units + j)
        j += w
    }
    while j < units {
        let dC = dc[j] + dh[j] * o[j] * dtc[j]
        dc[j] = dC * f[j]
        dz[j] = dC * g[j]
        dz[units + j] = dC * cPrev[j]
        dz[2 * units + j] = dC * i[j]
        dz[3 * units + j] = dh[j] * tc[j]
        j += 1
    }
}

/// `lstmGateGradients` with Keras's default activations (tanh, and sigmoid for the gates), the
/// activations' derivatives included, in one pass: `act(c)` is recomputed, and the
/// pre-activation gradients come out whole (`dz_i = dC · g · i (1 − i)`, …, `dz_o = dh · tanh(c) ·
/// o (1 − o)`). The same products in the same order as the separate passes (`tanh`, its
/// derivative, `lstmGateGradients`, then each gate's derivative), without their loads and stores.
/// A function of its own: inlined into the long backward step, it kept tanh as a call that
/// passes its vector split into four registers.
@inline(never)
func lstmTanhSigmoidGradients(
    units: Int, c: UnsafePointer<Float>, dc: UnsafeMutablePointer<Float>, dh: UnsafePointer<Float>,
    gates: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>
) {
    let w = Lanes.scalarCount
    let gi = gates, gf = gates + units, gg = gates + 2 * units, go = gates + 3 * units
    var j = 0
    while j + w <= units {
        let tc = vectorTanh(loadLanes(c + j))
        let i = loadLanes(gi + j), f = loadLanes(gf + j), g = loadLanes(gg + j), o = loadLanes(go + j)
        let dhj = loadLanes(dh + j)
        // (The separate passes multiply act′(c) by a 1 first: the same value.)
        let dC = loadLanes(dc + j) + dhj * o * TanhLanes.derivative(output: tc)
        storeLanes(dC * f, dc + j)
        storeLanes(dC * g * SigmoidLanes.derivative(output: i), dz + j)
        storeLanes(dC * loadLanes(cPrev + j) * SigmoidLanes.derivative(output: f), dz + units + j)
        storeLanes(dC * i * TanhLanes.derivative(output: g), dz + 2 * units + j)
        storeLanes(dhj * tc * SigmoidLanes.derivative(output: o), dz + 3 * units + j)
        j += w
    }
    while j < units {
        let tc = fastTanh(c[j])
        let i = gi[j], f = gf[j], g = gg[j], o = go[j]
        let dC = dc[j] + dh[j] * o * (1 - tc * tc)
        dc[j] = dC * f
        dz[j] = dC * g * (i * (1 - i))
        dz[units + j] = dC * cPrev[j] * (f * (1 - f))
        dz[2 * units + j] = dC * i * (1 - g * g)
        dz[3 * units + j] = dh[j] * tc * (o * (1 - o))
        j += 1
    }
}

/// A GRU step's gradients through `h = z h_prev + (1 − z) ĥ` (z the update gate's activation,
/// ĥ the candidate's, in `gates`): `dh (h_prev − ĥ)` into the update gate's place of `dz`,
/// `dh (1 − z)` into the candidate's, and `dh z` into `dPrevious`. A vector at a time, with the
/// same arithmetic as one value at a time.
@inline(__always)
func gruInterpolationGradients(
    units: Int, dh: UnsafePointer<Float>, gates: UnsafePointer<Float>, previous hPrev: UnsafePointer<Float>,
    dz: UnsafeMutablePointer<Float>, dPrevious: UnsafeMutablePointer<Float>
) {
    let w = Lanes.scalarCount
    let update = gates, candidate = gates + 2 * units
    let one = Lanes(repeating: 1)
    var j = 0
    while j + w <= units {
        let d = loadLanes(dh + j), z = loadLanes(update + j)
        storeLanes(d * (loadLanes(hPrev + j) - loadLanes(candidate + j)), dz + j)
        storeLanes(d * (one - z), dz + 2 * units + j)
        storeLanes(d * z, dPrevious + j)
        j += w
    }
    while j < units {
        let d = dh[j], z = update[j]
        dz[j] = d * (hPrev[j] - candidate[j])
        dz[2 * units + j] = d * (1 - z)
        dPrevious[j] = d * z
        j += 1
    }
}
