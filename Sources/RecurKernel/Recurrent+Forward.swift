extension Network {
    /// Runs a SimpleRNN, LSTM or GRU layer, in one direction or both, on `[batch, steps, in]`.
    ///
    /// Each direction first projects every step of the input at once (`x W + b`, one matrix
    /// product), then walks the steps adding `h U`. A `Bidirectional` layer's backward direction
    /// reads the sequence from its end; its sequence output is written back in input time order
    /// before the two are merged, as Keras does.
    func recurrentForward(_ layer: Layer, index: Int, input: UnsafeMutablePointer<Float>, batch: Int, dropout: UnsafeMutablePointer<RandomNumbers>?) {
        let bidirectional = layer.directions == .bidirectional
        let drawMasks = dropout != nil && (layer.inputDropout > 0 || layer.recurrentDropout > 0)
        layers[index].dropoutDrawn = drawMasks
        // Sequential preparation (state carried over, masks drawn from the one generator)…
        var inputs = (UnsafePointer(input), UnsafePointer(input))
        for direction in 0..<layer.directions.count {
            let state = direction == 0 ? layer.forwardState : layer.backwardState
            if layer.stateful && layer.stateIsCarried { carryState(layer, state, batch: batch) }
            if drawMasks, let dropout {
                let read = drawDropoutMasks(layer, state, input: input, batch: batch, random: &dropout.pointee)
                if direction == 0 { inputs.0 = read } else { inputs.1 = read }
            }
        }
        if layer.stateful { layers[index].stateIsCarried = true }
        let recurrentMask = drawMasks && layer.recurrentDropout > 0
        guard bidirectional else {
            let output = arena.floats(at: layer.outputBuffer)
            let reversed = layer.directions == .backward
            guard pairRunner != nil && batch >= 8 else {
                recurrentDirectionForward(
                    layer, layer.forwardState, input: inputs.0, batch: batch, recurrentMask: recurrentMask,
                    reversed: reversed, timeOrderedOutput: false, output: output)
                return
            }
            // One direction and a batch: its rows are independent, so each half of the batch
            // runs the whole recurrence on a thread of its own (every row's numbers are the
            // same as in one run over the batch).
            withUnsafePointer(to: self) { network in
                var job = RowsJob(network: network, layer: layer, input: inputs.0, batch: batch, recurrentMask: recurrentMask,
                                  reversed: reversed, output: output)
                runPair(&job) { context, half in
                    let job = context!.assumingMemoryBound(to: RowsJob.self).pointee
                    let layer = job.layer
                    let part = rowsOfHalf(half, batch: job.batch)
                    let first = part.lowerBound, rows = part.count
                    let steps = layer.input.steps
                    let outputSteps = layer.returnSequences ? steps : 1
                    job.network.pointee.recurrentDirectionForward(
                        layer, job.network.pointee.rows(of: layer.forwardState, layer: layer, from: first),
                        input: job.input + first * steps * layer.input.features, batch: rows,
                        recurrentMask: job.recurrentMask, reversed: job.reversed, timeOrderedOutput: false,
                        output: job.output + first * outputSteps * layer.units)
                }
            }
            return
        }
        // …then the two directions, which share nothing they write, on two threads. Concatenated,
        // each writes its half of every output row in place; merged otherwise, each its own
        // output, combined after.
        let concat = layer.merge == .concat
        let merged = arena.floats(at: layer.outputBuffer)
        withUnsafePointer(to: self) { network in
            var job = DirectionJob(
                network: network, layer: layer, inputs: inputs, batch: batch, recurrentMask: recurrentMask,
                outputs: concat ? (merged, merged + layer.units) : (arena.floats(at: layer.forwardState.output), arena.floats(at: layer.backwardState.output)),
                outputStride: concat ? 2 * layer.units : layer.units)
            runPair(&job) { context, direction in
                let job = context!.assumingMemoryBound(to: DirectionJob.self).pointee
                let state = direction == 0 ? job.layer.forwardState : job.layer.backwardState
                job.network.pointee.recurrentDirectionForward(
                    job.layer, state, input: direction == 0 ? job.inputs.0 : job.inputs.1, batch: job.batch,
                    recurrentMask: job.recurrentMask, reversed: direction == 1, timeOrderedOutput: true,
                    output: direction == 0 ? job.outputs.0 : job.outputs.1, outputStride: job.outputStride)
            }
        }
        guard !concat else { return }
        let rows = batch * layer.output.rows
        mergeForward(
            layer.merge, forward: arena.floats(at: layer.forwardState.output),
            backward: arena.floats(at: layer.backwardState.output),
            output: arena.floats(at: layer.outputBuffer), rows: rows, units: layer.units)
    }

    /// Makes the final state of the previous call (the last reading step of the caches) this
    /// call's initial state. Done at the start of a call rather than the end of the last, so
    /// that a backward pass in between still sees the initial state it ran from.
    func carryState(_ layer: Layer, _ state: RecurrentBuffers, batch: Int) {
        let units = layer.units
        let cachedSteps = plan.training ? layer.input.steps : 1
        let last = (cachedSteps - 1) * units
        for b in 0..<batch {
            let row = b * cachedSteps * units + last
            (arena.floats(at: state.initialHidden) + b * units).update(from: arena.floats(at: state.hidden) + row, count: units)
            if layer.cell == .lstm {
                (arena.floats(at: state.initialCell) + b * units).update(from: arena.floats(at: state.cellState) + row, count: units)
            }
        }
    }

    /// Draws one direction's dropout masks for this batch (one per sequence, as Keras does:
    /// the same mask at every step) and returns the input the direction reads: the masked copy
    /// when the inputs are dropped, else the input itself.
    func drawDropoutMasks(
        _ layer: Layer, _ state: RecurrentBuffers, input: UnsafePointer<Float>, batch: Int, random: inout RandomNumbers
    ) -> UnsafePointer<Float> {
        func draw(_ mask: UnsafeMutablePointer<Float>, count: Int, rate: Float) {
            let keep = 1 - Double(rate)
            let scale = Float(1 / keep)
            for i in 0..<count { mask[i] = random.unit() < keep ? scale : 0 }
        }
        if layer.recurrentDropout > 0 {
            draw(arena.floats(at: state.recurrentMask), count: batch * layer.units, rate: layer.recurrentDropout)
        }
        guard layer.inputDropout > 0 else { return input }
        let steps = layer.input.steps, width = layer.input.features
        let mask = arena.floats(at: state.inputMask)
        let masked = arena.floats(at: state.maskedInput)
        draw(mask, count: batch * width, rate: layer.inputDropout)
        for b in 0..<batch {
            for t in 0..<steps {
                let row = (b * steps + t) * width
                for f in 0..<width { masked[row + f] = input[row + f] * mask[b * width + f] }
            }
        }
        return UnsafePointer(masked)
    }

    /// `hPrev ⊙ mask` into `target`, `[batch, u]` (the recurrent dropout of one step).
    func maskPrevious(_ hPrev: UnsafePointer<Float>, stride: Int, mask: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, batch: Int, units: Int) {
        for b in 0..<batch {
            for j in 0..<units { target[b * units + j] = hPrev[b * stride + j] * mask[b * units + j] }
        }
    }

    /// One direction. See ``RecurrentBuffers`` for what each buffer holds.
    ///
    /// - Parameters:
    ///   - recurrentMask: multiply the previous state by the drawn recurrent-dropout mask where
    ///     it meets the recurrent kernel (its direct use in a GRU's update stays unmasked).
    ///   - reversed: read the input from its last step.
    ///   - timeOrderedOutput: write sequence outputs at the input's time index rather than in
    ///     reading order (a `Bidirectional` backward layer).
    ///   - outputStride: floats from one output row to the next: `units`, or twice that when
    ///     the direction writes its half of a concatenated `Bidirectional` output.
    func recurrentDirectionForward(
        _ layer: Layer, _ state: RecurrentBuffers, input: UnsafePointer<Float>, batch: Int, recurrentMask: Bool,
        reversed: Bool, timeOrderedOutput: Bool, output: UnsafeMutablePointer<Float>, outputStride: Int? = nil
    ) {
        let rowStride = outputStride ?? layer.units
        let steps = layer.input.steps
        let units = layer.units
        let gateWidth = layer.cell.gateCount * units
        let cachedSteps = plan.training ? steps : 1
        let recurrentKernel = arena.floats(at: state.recurrentKernel)
        let bias: UnsafeMutablePointer<Float>? = layer.useBias ? arena.floats(at: state.bias) : nil
        let preGates = arena.floats(at: state.preGates)
        let act = layer.activation
        let recurrentAct = layer.recurrentActivation

        projectInput(layer, state, input: input, rows: batch * steps, into: preGates)

        let preStride = steps * gateWidth
        let hiddenStride = cachedSteps * units
        let gateStride = cachedSteps * gateWidth
        let outputSteps = layer.returnSequences ? steps : 1
        // One window with nothing kept for a backward pass, and Keras's default activations: the
        // activation (SimpleRNN) or the whole cell (LSTM) runs on the sums in registers, and the
        // new state goes to the front of the step's own row of pre-activations, which nothing
        // reads again, so that it never overwrites the previous state while the product still
        // reads it (one slot of `hidden` holds both when not training). The next step and the
        // output read it from there; `hidden` gets the last one. The same bits as the general path.
        let oneWindow = batch == 1 && !plan.training
        let fusedSimple = oneWindow && layer.cell == .simple && act == .tanh
        let fusedLSTM = oneWindow && layer.cell == .lstm && act == .tanh && recurrentAct == .sigmoid && lstmRowFits(units: units)
        var previousRow: UnsafeMutablePointer<Float>? = nil
        for s in 0..<steps {
            let t = reversed ? steps - 1 - s : s
            let slot = plan.training ? s : 0
            let z = preGates + t * gateWidth
            let h = arena.floats(at: state.hidden) + slot * units
            let gates = arena.floats(at: state.gates) + slot * gateWidth
            // The previous state: the initial state before the first step.
            let hPrev: UnsafeMutablePointer<Float>
            let hPrevStride: Int
            if s == 0 {
                hPrev = arena.floats(at: state.initialHidden)
                hPrevStride = units
            } else {
                hPrev = previousRow ?? arena.floats(at: state.hidden) + (plan.training ? (s - 1) * units : 0)
                hPrevStride = hiddenStride
            }
            // What meets the recurrent kernel: the previous state, or its masked copy.
            var hp = hPrev, hpStride = hPrevStride
            if recurrentMask {
                hp = arena.floats(at: state.maskedHidden)
                hpStride = units
                maskPrevious(hPrev, stride: hPrevStride, mask: arena.floats(at: state.recurrentMask), into: hp, batch: batch, units: units)
            }

            switch layer.cell {
            case .simple:
                // h = act(x W + b + h_prev U)
                if fusedSimple {
                    multiplyAccumulateRow(n: units, k: units, hp, columnStride: 1, recurrentKernel, ldb: units, z, into: z, TanhOfSums.self)
                    previousRow = z
                    break
                }
                matmulAccumulate(m: batch, n: units, k: units, hp, lda: hpStride, recurrentKernel, ldb: units, z, ldc: preStride)
                for b in 0..<batch { act.apply(z + b * preStride, to: h + b * hiddenStride, count: units) }

            case .lstm:
                // z = x W + b + h_prev U; i, f, g, o = σ, σ, act, σ of its blocks;
                // c = f c_prev + i g; h = o act(c)
                let c = arena.floats(at: state.cellState) + slot * units
                let cPrev: UnsafeMutablePointer<Float>
                if s == 0 {
                    cPrev = arena.floats(at: state.initialCell)
                } else {
                    cPrev = arena.floats(at: state.cellState) + (plan.training ? (s - 1) * units : 0)
                }
                if fusedLSTM {
                    lstmRow(TanhLanes.self, SigmoidLanes.self, units: units, hPrev: hp, recurrentKernel: recurrentKernel, z: z, cPrev: cPrev, c: c, h: z)
                    previousRow = z
                    break
                }
                matmulAccumulate(m: batch, n: gateWidth, k: units, hp, lda: hpStride, recurrentKernel, ldb: gateWidth, z, ldc: preStride)
                for b in 0..<batch {
                    let zb = z + b * preStride, gb = gates + b * gateStride
                    let cb = c + b * hiddenStride, hb = h + b * hiddenStride
                    let cPrevB = cPrev + b * hPrevStride
                    if act == .tanh && recurrentAct == .sigmoid {
                        // Keras's default activations: the whole cell in one pass.
                        lstmCell(TanhLanes.self, SigmoidLanes.self, units: units, z: zb, cPrev: cPrevB, gates: gb, c: cb, h: hb)
                        continue
                    }
                    recurrentAct.apply(zb, to: gb, count: 2 * units)
                    act.apply(zb + 2 * units, to: gb + 2 * units, count: units)
                    recurrentAct.apply(zb + 3 * units, to: gb + 3 * units, count: units)
                    sumOfProducts(cb, gb + units, cPrevB, gb, gb + 2 * units, count: units)
                    act.apply(cb, to: hb, count: units)
                    product(hb, gb + 3 * units, hb, count: units)
                }

            case .gruResetAfter:
                // m = h_prev U + b_r; z = σ(x_z + m_z); r = σ(x_r + m_r);
                // ĥ = act(x_h + r m_h); h = z h_prev + (1 - z) ĥ
                fillRows(gates, rows: batch, width: gateWidth, stride: gateStride, with: bias.map { UnsafePointer($0 + gateWidth) })
                matmulAccumulate(m: batch, n: gateWidth, k: units, hp, lda: hpStride, recurrentKernel, ldb: gateWidth, gates, ldc: gateStride)
                let reset = arena.floats(at: state.reset) + slot * units
                for b in 0..<batch {
                    let zb = z + b * preStride, gb = gates + b * gateStride
                    let hb = h + b * hiddenStride, rb = reset + b * hiddenStride
                    let hPrevB = hPrev + b * hPrevStride
                    add(zb, gb, count: 2 * units)
                    copyFloats(gb + 2 * units, to: rb, count: units)
                    recurrentAct.apply(zb, to: gb, count: 2 * units)
                    addProduct(zb + 2 * units, gb + units, rb, count: units)
                    act.apply(zb + 2 * units, to: gb + 2 * units, count: units)
                    interpolate(hb, gb, hPrevB, gb + 2 * units, count: units)
                }

            case .gruResetBefore:
                // z = σ(x_z + h_prev U_z); r = σ(x_r + h_prev U_r);
                // ĥ = act(x_h + (r h_prev) U_h); h = z h_prev + (1 - z) ĥ
                fillRows(gates, rows: batch, width: 2 * units, stride: gateStride, with: nil)
                matmulAccumulate(m: batch, n: 2 * units, k: units, hp, lda: hpStride, recurrentKernel, ldb: gateWidth, gates, ldc: gateStride)
                let reset = arena.floats(at: state.reset) + slot * units
                for b in 0..<batch {
                    let zb = z + b * preStride, gb = gates + b * gateStride
                    let rb = reset + b * hiddenStride, hpB = hp + b * hpStride
                    add(zb, gb, count: 2 * units)
                    recurrentAct.apply(zb, to: gb, count: 2 * units)
                    product(rb, gb + units, hpB, count: units)
                }
                matmulAccumulate(m: batch, n: units, k: units, reset, lda: hiddenStride, recurrentKernel + 2 * units, ldb: gateWidth, z + 2 * units, ldc: preStride)
                for b in 0..<batch {
                    let zb = z + b * preStride, gb = gates + b * gateStride
                    let hb = h + b * hiddenStride, hPrevB = hPrev + b * hPrevStride
                    act.apply(zb + 2 * units, to: gb + 2 * units, count: units)
                    interpolate(hb, gb, hPrevB, gb + 2 * units, count: units)
                }
            }

            // Where the step's state is: in `hidden`, or at the front of its row of z.
            let current = previousRow ?? h
            if layer.returnSequences {
                let outStep = timeOrderedOutput ? t : s
                for b in 0..<batch {
                    copyFloats(current + b * hiddenStride, to: output + (b * outputSteps + outStep) * rowStride, count: units)
                }
            } else if s == steps - 1 {
                for b in 0..<batch {
                    copyFloats(current + b * hiddenStride, to: output + b * rowStride, count: units)
                }
            }
            // A stateful layer's next call starts from `hidden`.
            if previousRow != nil && s == steps - 1 { copyFloats(current, to: h, count: units) }
        }
    }
}

extension Network {
    /// `x W + b` for `rows` rows of the input (every step of every sample): `[rows, G]`.
    func projectInput(_ layer: Layer, _ state: RecurrentBuffers, input: UnsafePointer<Float>, rows: Int, into z: UnsafeMutablePointer<Float>) {
        let inputWidth = layer.input.features, gateWidth = layer.cell.gateCount * layer.units
        fillRows(z, rows: rows, width: gateWidth, with: layer.useBias ? arena.floats(at: state.bias) : nil)
        matmulAccumulate(
            m: rows, n: gateWidth, k: inputWidth, input, lda: inputWidth,
            arena.floats(at: state.kernel), ldb: gateWidth, z, ldc: gateWidth)
    }

    /// `state` seen from batch row `row` on: every buffer that holds a row per sample starts
    /// `row` rows later; the weights stay. (A buffer the layer does not use is at offset 0, the
    /// layer table, and stays there.)
    func rows(of state: RecurrentBuffers, layer: Layer, from row: Int) -> RecurrentBuffers {
        let steps = layer.input.steps, units = layer.units
        let cachedSteps = plan.training ? steps : 1
        let gateWidth = layer.cell.gateCount * units
        let inputWidth = layer.input.features
        var shifted = state
        func move(_ offset: inout Int, by rowSize: Int) {
            if offset != 0 { offset += row * rowSize }
        }
        move(&shifted.preGates, by: steps * gateWidth)
        move(&shifted.gates, by: cachedSteps * gateWidth)
        move(&shifted.hidden, by: cachedSteps * units)
        move(&shifted.cellState, by: cachedSteps * units)
        move(&shifted.reset, by: cachedSteps * units)
        move(&shifted.initialHidden, by: units)
        move(&shifted.initialCell, by: units)
        move(&shifted.inputMask, by: inputWidth)
        move(&shifted.recurrentMask, by: units)
        move(&shifted.maskedInput, by: steps * inputWidth)
        move(&shifted.maskedHidden, by: units)
        return shifted
    }
}

/// The rows of a batch that half `half` (0 or 1) of a pair of threads takes: the first half a
/// multiple of four rows, the matrix products' block.
func rowsOfHalf(_ half: Int, batch: Int) -> Range<Int> {
    let split = (batch + 7) / 8 * 4
    return half == 0 ? 0..<split : split..<batch
}

/// What the two threads need to run the two halves of a batch through one direction.
struct RowsJob {
    let network: UnsafePointer<Network>
    let layer: Layer
    let input: UnsafePointer<Float>
    let batch: Int
    let recurrentMask: Bool
    let reversed: Bool
    let output: UnsafeMutablePointer<Float>
}

/// What a thread needs to run one direction of a Bidirectional layer.
struct DirectionJob {
    let network: UnsafePointer<Network>
    let layer: Layer
    let inputs: (UnsafePointer<Float>, UnsafePointer<Float>)
    let batch: Int
    let recurrentMask: Bool
    /// Where each direction writes its output rows, and the floats from one row to the next.
    let outputs: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
    let outputStride: Int
}

/// Combines the two directions of a `Bidirectional` layer, row by row: `[batch · steps, u]`
/// each, into `[batch · steps, 2u]` (concat) or `[batch · steps, u]`.
func mergeForward(
    _ mode: MergeMode, forward: UnsafePointer<Float>, backward: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, rows: Int, units: Int
) {
    switch mode {
    case .concat:
        for r in 0..<rows {
            copyFloats(forward + r * units, to: output + 2 * r * units, count: units)
            copyFloats(backward + r * units, to: output + (2 * r + 1) * units, count: units)
        }
    case .sum:
        sum(output, forward, backward, count: rows * units)
    case .average:
        for i in 0..<rows * units { output[i] = (forward[i] + backward[i]) / 2 }
    case .multiply:
        for i in 0..<rows * units { output[i] = forward[i] * backward[i] }
    }
}

extension Network {
    /// Whether layers `index` and `index + 1` run together (`stackedSimpleForward`): two
    /// stackable SimpleRNNs (``NetworkPlan/stackable(_:_:)``), one window, at inference. A
    /// third such layer runs on its own.
    func runsAsStack(_ index: Int, batch: Int) -> Bool {
        batch == 1 && !plan.training && index + 1 < plan.layerCount && layers[index + 1].stackedPreGates != 0
    }

    /// Two stacked SimpleRNNs on one window, side by side: wave w runs the first layer's step
    /// w, the second layer's input product for step w − 1 and its step w − 2, three products
    /// that do not wait on each other, so that their chains of multiply-adds overlap (one
    /// alone is a chain as long as the layer's units, then its tanh). Every sum is made in the
    /// same order as layer by layer: the second layer's row of z starts from its bias, adds its
    /// input's product and then its state's. The same bits. Each state goes to the front of its
    /// step's row of z, where the next step and the second layer read it.
    func stackedSimpleForward(_ first: Layer, _ second: Layer, input: UnsafePointer<Float>) {
        let steps = first.input.steps
        let a = first.units, b = second.units
        let one = first.forwardState, two = second.forwardState
        let zA = arena.floats(at: one.preGates), zB = arena.floats(at: second.stackedPreGates)
        projectInput(first, one, input: input, rows: steps, into: zA)
        fillRows(zB, rows: steps, width: b, with: second.useBias ? arena.floats(at: two.bias) : nil)
        let uA = arena.floats(at: one.recurrentKernel), wB = arena.floats(at: two.kernel), uB = arena.floats(at: two.recurrentKernel)
        // Units that `threeRows` takes: whole half vectors, up to two vectors and a half.
        let w = Vector.scalarCount, half = HalfVector.scalarCount
        let together = a == b && a % half == 0 && a <= 2 * w + (w > half ? half : 0)
        for wave in 0..<steps + 2 {
            // The first two waves and the last two have fewer than three products.
            let hA = wave == 0 ? arena.floats(at: one.initialHidden) : zA + (wave - 1) * a
            let hB = wave <= 2 ? arena.floats(at: two.initialHidden) : zB + (wave - 3) * b
            if together && wave >= 2 && wave < steps {
                threeRows(n: a, hA, uA, zA + wave * a, wB, zB + (wave - 1) * b, hB, uB, zB + (wave - 2) * b)
                continue
            }
            if wave < steps {
                multiplyAccumulateRow(n: a, k: a, hA, columnStride: 1, uA, ldb: a, zA + wave * a, into: zA + wave * a, TanhOfSums.self)
            }
            if wave >= 1 && wave <= steps {
                let t = wave - 1
                multiplyAccumulateRow(n: b, k: a, zA + t * a, columnStride: 1, wB, ldb: b, zB + t * b, into: zB + t * b, Sums.self)
            }
            if wave >= 2 {
                let t = wave - 2
                multiplyAccumulateRow(n: b, k: b, hB, columnStride: 1, uB, ldb: b, zB + t * b, into: zB + t * b, TanhOfSums.self)
            }
        }
        let output = arena.floats(at: second.outputBuffer)
        if second.returnSequences {
            copyFloats(zB, to: output, count: steps * b)
        } else {
            copyFloats(zB + (steps - 1) * b, to: output, count: b)
        }
    }
}

/// A wave of `stackedSimpleForward` for n units in both layers (whole half vectors, at most two
/// vectors and, with 16 lanes, a half): `c1 = tanh(c1 + a·b1)`, `c2 += a·b2` (the first layer's
/// last state, `a`, meets both its recurrent kernel and the second layer's kernel: one
/// broadcast for both, one load fewer in a walk that the loads bound) and
/// `c3 = tanh(c3 + a3·b3)`, each `[n] + [n]·[n × n]`, in one walk over k = n, each column's sum
/// in the order of `multiplyAccumulateRow`. The first two waves and the last two, with fewer
/// products, make them one at a time (one walk for them with the missing rows skipped was 5%
/// slower for E1).
@inlinable
func threeRows(
    n: Int, _ a: UnsafePointer<Float>, _ b1: UnsafePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
    _ b2: UnsafePointer<Float>, _ c2: UnsafeMutablePointer<Float>,
    _ a3: UnsafePointer<Float>, _ b3: UnsafePointer<Float>, _ c3: UnsafeMutablePointer<Float>
) {
    let w = Vector.scalarCount, h = HalfVector.scalarCount
    switch n / w {
    case 0: threeRowsWalk(Vectors0.self, half: true, n: n, a, b1, c1, b2, c2, a3, b3, c3)
    case 1: threeRowsWalk(Vectors1.self, half: n % w >= h, n: n, a, b1, c1, b2, c2, a3, b3, c3)
    default: threeRowsWalk(Vectors2.self, half: n % w >= h, n: n, a, b1, c1, b2, c2, a3, b3, c3)
    }
}

@inlinable @inline(__always)
func threeRowsWalk<Count: VectorCount>(
    _: Count.Type, half: Bool, n: Int, _ a: UnsafePointer<Float>, _ b1: UnsafePointer<Float>, _ c1: UnsafeMutablePointer<Float>,
    _ b2: UnsafePointer<Float>, _ c2: UnsafeMutablePointer<Float>,
    _ a3: UnsafePointer<Float>, _ b3: UnsafePointer<Float>, _ c3: UnsafeMutablePointer<Float>
) {
    let w = Vector.scalarCount, full = Count.value, jh = full * w
    let zero = Vector(repeating: 0), halfZero = HalfVector(repeating: 0)
    var p0 = full > 0 ? load(c1) : zero, p1 = full > 1 ? load(c1 + w) : zero, ph: HalfVector = half ? load(c1 + jh) : halfZero
    var q0 = full > 0 ? load(c2) : zero, q1 = full > 1 ? load(c2 + w) : zero, qh: HalfVector = half ? load(c2 + jh) : halfZero
    var r0 = full > 0 ? load(c3) : zero, r1 = full > 1 ? load(c3 + w) : zero, rh: HalfVector = half ? load(c3 + jh) : halfZero
    var bp1 = b1, bp2 = b2, bp3 = b3
    for p in 0..<n {
        let x = Vector(repeating: a[p]), x3 = Vector(repeating: a3[p])
        if full > 0 { p0 = multiplyAdd(p0, x, load(bp1)); q0 = multiplyAdd(q0, x, load(bp2)); r0 = multiplyAdd(r0, x3, load(bp3)) }
        if full > 1 { p1 = multiplyAdd(p1, x, load(bp1 + w)); q1 = multiplyAdd(q1, x, load(bp2 + w)); r1 = multiplyAdd(r1, x3, load(bp3 + w)) }
        if half {
            ph = multiplyAdd(ph, lowLanes(x), load(bp1 + jh)); qh = multiplyAdd(qh, lowLanes(x), load(bp2 + jh))
            rh = multiplyAdd(rh, lowLanes(x3), load(bp3 + jh))
        }
        bp1 += n; bp2 += n; bp3 += n
    }
    if full > 0 { store(TanhOfSums.finish(p0), c1); store(q0, c2); store(TanhOfSums.finish(r0), c3) }
    if full > 1 { store(TanhOfSums.finish(p1), c1 + w); store(q1, c2 + w); store(TanhOfSums.finish(r1), c3 + w) }
    if half { store(TanhOfSums.finishHalf(ph), c1 + jh); store(qh, c2 + jh); store(TanhOfSums.finishHalf(rh), c3 + jh) }
}
