import Foundation
import RecurTestSupport
import Testing
@testable import RecurKernel

/// Builds a network on the heap for tests, with deterministic weights in (-0.5, 0.5).
func makeNetwork(_ layers: [Layer], input: TensorShape, batch: Int, training: Bool = false, seed: UInt64 = 1) throws -> Network {
    let network = try Network(layers: layers, input: input, batch: batch, training: training)
    var state = seed
    for i in network.parameters.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        network.parameters[i] = Float(Int(state >> 40) % 1000) / 1000 - 0.5
    }
    return network
}

@Suite struct PlanTests {
    @Test func courseSimpleRNNCountsMatchKeras() throws {
        // Keras: simple_rnn 1,680; simple_rnn_1 3,240; dense 41 (m1_simplernn).
        var table: [Layer] = [
            .expandDims(), .recurrent(.simple, units: 40, returnSequences: true), .recurrent(.simple, units: 40),
            .dense(units: 1), .elementwise(.multiply, 100),
        ]
        let plan = try table.withUnsafeMutableBufferPointer { try NetworkPlan(layers: $0, input: .vector(20), batch: 1) }
        #expect(table.map(\.parameterCount) == [0, 1680, 3240, 41, 0])
        #expect(plan.parameterCount == 4961)
        #expect(plan.output == .vector(1))
        #expect(table[1].output == .sequence(20, 40))
        #expect(plan.sizes.gradients == 0)
    }

    @Test func bidirectionalCountsMatchKeras() throws {
        // Keras: bidirectional 8,704; bidirectional_1 24,832 (m3_bilstm2).
        var table: [Layer] = [
            .expandDims(), .recurrent(.lstm, units: 32, returnSequences: true, directions: .bidirectional),
            .recurrent(.lstm, units: 32, directions: .bidirectional), .dense(units: 1),
        ]
        _ = try table.withUnsafeMutableBufferPointer { try NetworkPlan(layers: $0, input: .vector(20), batch: 4) }
        #expect(table.map(\.parameterCount) == [0, 8704, 24832, 65])
        #expect(table[1].output == .sequence(20, 64))
    }

    @Test func gruResetAfterHasTwoBiasRows() throws {
        var table: [Layer] = [.recurrent(.gruResetAfter, units: 32), .recurrent(.gruResetBefore, units: 32)]
        table[1] = .dense(units: 1)
        _ = try table.withUnsafeMutableBufferPointer { try NetworkPlan(layers: $0, input: .sequence(20, 1), batch: 1) }
        // Keras: GRU(32) on one feature with reset_after has 3,360 parameters.
        #expect(table[0].parameterCount == 3 * 32 + 32 * 96 + 2 * 96)
    }

    @Test func trainingPlanReservesGradientsAndSlots() throws {
        var table: [Layer] = [.recurrent(.lstm, units: 8), .dense(units: 1)]
        let plan = try table.withUnsafeMutableBufferPointer {
            try NetworkPlan(layers: $0, input: .sequence(10, 1), batch: 16, training: true, optimizerSlots: 2)
        }
        let padded = (plan.parameterCount + 15) / 16 * 16 * 4
        #expect(plan.sizes.gradients == padded)
        #expect(plan.sizes.optimizer == 2 * padded)
    }

    @Test func refusesRecurrentLayerOnVectors() {
        var table: [Layer] = [.recurrent(.lstm, units: 8)]
        #expect(throws: PlanError.self) {
            try table.withUnsafeMutableBufferPointer { try NetworkPlan(layers: $0, input: .vector(20), batch: 1) }
        }
    }

    @Test func refusesReshapeThatChangesSize() {
        var table: [Layer] = [.reshape(to: .sequence(3, 3))]
        do throws(PlanError) {
            _ = try table.withUnsafeMutableBufferPointer { buffer throws(PlanError) in try NetworkPlan(layers: buffer, input: .vector(10), batch: 1) }
            Issue.record("planned a reshape of 10 values into 9")
        } catch {
            #expect(error.layer == 0)
        }
    }

    @Test func reshapeResolvesMinusOne() throws {
        var table: [Layer] = [.reshape(to: TensorShape(steps: -1, features: 2)), Layer(kind: .flatten)]
        _ = try table.withUnsafeMutableBufferPointer { try NetworkPlan(layers: $0, input: .vector(10), batch: 1) }
        #expect(table[0].output == .sequence(5, 2))
        #expect(table[1].output == .vector(10))
    }
}

/// Float64 reference recurrences, written from Keras's formulas independently of the kernel.
enum Reference {
    static func act(_ a: Activation, _ x: Double) -> Double { ActivationTests.reference(a, x) }

    /// Runs one direction over `x[t][i]` and returns every hidden state in reading order.
    static func run(
        _ layer: Layer, weights w: ArraySlice<Float>, x: [[Double]], reversed: Bool, exact: [Double]? = nil,
        inputMask: [Double]? = nil, recurrentMask: [Double]? = nil
    ) -> [[Double]] {
        let u = layer.units, g = layer.cell.gateCount * u, f = x[0].count
        let base = w.startIndex
        // Float64 weights when given (finite differences), else the float32 ones.
        let weight = { (index: Int) -> Double in exact.map { $0[index - base] } ?? Double(w[index]) }
        let kernel = { (i: Int, j: Int) in weight(base + i * g + j) }
        let recurrent = { (i: Int, j: Int) in weight(base + f * g + i * g + j) }
        let bias = { (row: Int, j: Int) in layer.useBias ? weight(base + f * g + u * g + row * g + j) : 0 }
        var h = [Double](repeating: 0, count: u), c = h
        var states: [[Double]] = []
        for s in 0..<x.count {
            // Dropout: the input and the state meeting U are masked (one mask per sequence).
            let xt = zip(x[reversed ? x.count - 1 - s : s], inputMask ?? Array(repeating: 1, count: f)).map(*)
            let hm = zip(h, recurrentMask ?? Array(repeating: 1, count: u)).map(*)
            var xz = (0..<g).map { j in (0..<f).reduce(bias(0, j)) { $0 + xt[$1] * kernel($1, j) } }
            let hu = (0..<g).map { j in (0..<u).reduce(layer.cell == .gruResetAfter ? bias(1, j) : 0) { $0 + hm[$1] * recurrent($1, j) } }
            switch layer.cell {
            case .simple:
                h = (0..<u).map { act(layer.activation, xz[$0] + hu[$0]) }
            case .lstm:
                for j in 0..<g { xz[j] += hu[j] }
                let ra = layer.recurrentActivation
                for j in 0..<u {
                    let i = act(ra, xz[j]), fg = act(ra, xz[u + j]), cand = act(layer.activation, xz[2 * u + j]), o = act(ra, xz[3 * u + j])
                    c[j] = fg * c[j] + i * cand
                    h[j] = o * act(layer.activation, c[j])
                }
            case .gruResetAfter:
                let ra = layer.recurrentActivation
                h = (0..<u).map { j in
                    let z = act(ra, xz[j] + hu[j]), r = act(ra, xz[u + j] + hu[u + j])
                    let cand = act(layer.activation, xz[2 * u + j] + r * hu[2 * u + j])
                    return z * h[j] + (1 - z) * cand
                }
            case .gruResetBefore:
                let ra = layer.recurrentActivation
                let z = (0..<u).map { act(ra, xz[$0] + hu[$0]) }
                let r = (0..<u).map { act(ra, xz[u + $0] + hu[u + $0]) }
                let rh = (0..<u).map { r[$0] * hm[$0] }
                h = (0..<u).map { j in
                    let cand = act(layer.activation, xz[2 * u + j] + (0..<u).reduce(0) { $0 + rh[$1] * recurrent($1, 2 * u + j) })
                    return z[j] * h[j] + (1 - z[j]) * cand
                }
            }
            states.append(h)
        }
        return states
    }
}

@Suite struct RecurrentForwardTests {
    static let cases: [Layer] = [
        .recurrent(.simple, units: 5, returnSequences: true),
        .recurrent(.simple, units: 3, activation: .relu, useBias: false),
        .recurrent(.lstm, units: 4, returnSequences: true),
        .recurrent(.lstm, units: 4, recurrentActivation: .hardSigmoid, directions: .backward),
        .recurrent(.lstm, units: 4, returnSequences: true, directions: .backward),
        .recurrent(.gruResetAfter, units: 3, returnSequences: true),
        .recurrent(.gruResetBefore, units: 3, useBias: false),
        .recurrent(.lstm, units: 3, returnSequences: true, directions: .bidirectional, merge: .concat),
        .recurrent(.gruResetAfter, units: 3, directions: .bidirectional, merge: .sum),
        .recurrent(.simple, units: 3, returnSequences: true, directions: .bidirectional, merge: .average),
        .recurrent(.gruResetBefore, units: 2, returnSequences: true, directions: .bidirectional, merge: .multiply),
    ]

    @Test(arguments: cases, [false, true])
    func matchesFloat64Reference(layer: Layer, training: Bool) throws {
        let steps = 6, features = 2, batch = 3
        let network = try makeNetwork([layer], input: .sequence(steps, features), batch: batch, training: training)
        let planned = network.layers[0]
        for i in 0..<batch * steps * features { network.input[i] = Float(sin(Double(i) * 0.7)) * 2 }
        network.forward(batch: batch)
        let perDirection = planned.parameterCount / layer.directions.count
        for b in 0..<batch {
            let x = (0..<steps).map { t in (0..<features).map { Double(network.input[(b * steps + t) * features + $0]) } }
            let forward = Reference.run(layer, weights: Array(network.parameters)[0..<perDirection], x: x, reversed: layer.directions == .backward)
            var rows: [[Double]] = layer.returnSequences ? forward : [forward.last!]
            if layer.directions == .bidirectional {
                let backward = Reference.run(layer, weights: Array(network.parameters)[perDirection..<2 * perDirection], x: x, reversed: true)
                let aligned: [[Double]] = layer.returnSequences ? backward.reversed() : [backward.last!]
                rows = zip(rows, aligned).map { f, g in
                    switch layer.merge {
                    case .concat: return f + g
                    case .sum: return zip(f, g).map(+)
                    case .average: return zip(f, g).map { ($0 + $1) / 2 }
                    case .multiply: return zip(f, g).map(*)
                    }
                }
            }
            let want = rows.flatMap { $0 }
            let width = planned.output.count
            for j in 0..<width {
                let got = Double(network.output[b * width + j])
                #expect(abs(got - want[j]) <= 2e-6 * max(abs(want[j]), 1), "\(layer.cell) sample \(b) value \(j): \(got), want \(want[j])")
            }
        }
    }
}

@Suite struct AllocationTests {
    @Test func counterSeesAnArrayGrow() {
        var values: [Int] = []
        let count = allocations { for i in 0..<1000 { values.append(i) } }
        #expect(count > 0)
        #expect(values.count == 1000)
    }

    @Test(arguments: [false, true])
    func forwardDoesNotAllocate(training: Bool) throws {
        // Batch 1 without training takes its own paths for a tanh SimpleRNN, an LSTM whose units
        // are whole vectors and two tanh SimpleRNNs in a row (OneWindowTests): the 16-unit LSTM,
        // the first two 8-unit SimpleRNNs side by side and the third alone.
        let network = try makeNetwork([
            .expandDims(), .recurrent(.lstm, units: 8, returnSequences: true, directions: .bidirectional),
            .recurrent(.lstm, units: 16, returnSequences: true), .recurrent(.simple, units: 8, returnSequences: true),
            .recurrent(.simple, units: 8, returnSequences: true), .recurrent(.simple, units: 8, returnSequences: true),
            .recurrent(.gruResetAfter, units: 6, returnSequences: true), .recurrent(.simple, units: 5, activation: .relu),
            .dense(units: 3, activation: .gelu), .activation(.tanh), .dense(units: 1), .elementwise(.multiply, 100),
        ], input: .vector(20), batch: 4, training: training)
        network.forward(batch: 4)
        let count = allocations { for i in 0..<200 { network.forward(batch: 1 + i % 4) } }
        #expect(count == 0)
    }
}

@Suite struct PreconditionTests {
    @Test func batchBeyondCapacityTraps() async {
        await #expect(processExitsWith: .failure) {
            let network = try makeNetwork([.dense(units: 1)], input: .vector(3), batch: 2)
            network.forward(batch: 3)
        }
    }

    @Test func arenaSmallerThanPlanTraps() async {
        await #expect(processExitsWith: .failure) {
            var table: [Layer] = [.dense(units: 1)]
            let plan = try table.withUnsafeMutableBufferPointer { try NetworkPlan(layers: $0, input: .vector(3), batch: 2) }
            table.withUnsafeBufferPointer { _ = Network(layers: $0, plan: plan, arena: Arena(capacity: plan.totalBytes - 64)) }
        }
    }
}

/// The backward pass against float64 finite differences of the float64 reference forward pass
/// above (independent of the kernel), for every cell, direction, merge mode and a few
/// activations: `L = Σ wₖ·outₖ` with fixed random `w`, so `∂L/∂out = w`.
///
/// Tolerance: the kernel's float32 gradient within `1e-4 · max|g| + 1e-4 · |g|` of the float64
/// difference quotient (step 1e-6, truncation error ~1e-12); float32 accumulation over six
/// steps and a batch of three stays far inside it, while a wrong term moves a gradient by its
/// own size.
@Suite struct RecurrentBackwardTests {
    static let cases: [Layer] = RecurrentForwardTests.cases + [
        .recurrent(.lstm, units: 3, activation: .relu, recurrentActivation: .hardSigmoid, returnSequences: true),
        .recurrent(.gruResetAfter, units: 3, activation: .softsign, recurrentActivation: .tanh, directions: .backward),
        .recurrent(.simple, units: 4, activation: .elu, useBias: false, returnSequences: true, directions: .backward),
    ]

    static func referenceOutput(_ layer: Layer, weights: [Double], x: [[[Double]]]) -> [Double] {
        var out: [Double] = []
        let perDirection = weights.count / layer.directions.count
        for sample in x {
            let forward = ReferenceDouble.run(layer, weights: weights[0..<perDirection], x: sample, reversed: layer.directions == .backward)
            var rows: [[Double]] = layer.returnSequences ? forward : [forward.last!]
            if layer.directions == .bidirectional {
                let backward = ReferenceDouble.run(layer, weights: weights[perDirection..<2 * perDirection], x: sample, reversed: true)
                let aligned: [[Double]] = layer.returnSequences ? backward.reversed() : [backward.last!]
                rows = zip(rows, aligned).map { f, g in
                    switch layer.merge {
                    case .concat: return f + g
                    case .sum: return zip(f, g).map(+)
                    case .average: return zip(f, g).map { ($0 + $1) / 2 }
                    case .multiply: return zip(f, g).map(*)
                    }
                }
            }
            out += rows.flatMap { $0 }
        }
        return out
    }

    @Test(arguments: cases)
    func matchesFiniteDifferences(layer: Layer) throws {
        let steps = 5, features = 2, batch = 3
        let network = try makeNetwork([layer], input: .sequence(steps, features), batch: batch, training: true, seed: 7)
        for i in 0..<batch * steps * features { network.input[i] = Float(sin(Double(i) * 0.9)) * 1.5 }
        let x = (0..<batch).map { b in (0..<steps).map { t in (0..<features).map { Double(network.input[(b * steps + t) * features + $0]) } } }
        let outputCount = batch * network.plan.output.count
        let w = (0..<outputCount).map { Double(cos(Double($0) * 1.3)) }
        network.forward(batch: batch)
        for k in 0..<outputCount { network.outputGradient[k] = Float(w[k]) }
        network.zeroGradients()
        network.backward(batch: batch)
        let analytic = Array(network.gradients).map(Double.init)
        let parameters = Array(network.parameters).map(Double.init)
        let h = 1e-6
        var numeric = [Double](repeating: 0, count: parameters.count)
        for p in parameters.indices {
            var plus = parameters, minus = parameters
            plus[p] += h
            minus[p] -= h
            let lp = zip(Self.referenceOutput(layer, weights: plus, x: x), w).reduce(0) { $0 + $1.0 * $1.1 }
            let lm = zip(Self.referenceOutput(layer, weights: minus, x: x), w).reduce(0) { $0 + $1.0 * $1.1 }
            numeric[p] = (lp - lm) / (2 * h)
        }
        let scale = numeric.map(abs).max() ?? 0
        for p in parameters.indices {
            #expect(abs(analytic[p] - numeric[p]) <= 1e-4 * scale + 1e-4 * abs(numeric[p]), "\(layer.cell) \(layer.directions) parameter \(p): \(analytic[p]) vs \(numeric[p])")
        }
    }
}

/// The float64 reference of ``Reference`` on float64 weights (for finite differences).
enum ReferenceDouble {
    static func run(
        _ layer: Layer, weights w: ArraySlice<Double>, x: [[Double]], reversed: Bool,
        inputMask: [Double]? = nil, recurrentMask: [Double]? = nil
    ) -> [[Double]] {
        Reference.run(layer, weights: w.map { Float($0) }[...], x: x, reversed: reversed, exact: Array(w), inputMask: inputMask, recurrentMask: recurrentMask)
    }
}

/// Recurrent dropout: the backward pass through the masks a training forward pass drew,
/// against finite differences of the reference run with those same masks.
@Suite struct RecurrentDropoutTests {
    static let plain: [Layer] = [
        .recurrent(.simple, units: 4, returnSequences: true),
        .recurrent(.lstm, units: 3),
        .recurrent(.gruResetAfter, units: 3, returnSequences: true),
        .recurrent(.gruResetBefore, units: 3),
        .recurrent(.lstm, units: 2, returnSequences: true, directions: .bidirectional, merge: .sum),
    ]
    static let cases: [Layer] = plain.map { layer in
        var layer = layer
        layer.inputDropout = 0.3
        layer.recurrentDropout = 0.4
        return layer
    }

    @Test(arguments: cases)
    func backwardThroughMasks(layer: Layer) throws {
        let steps = 5, features = 3, batch = 3
        // A Dense layer before the recurrent one makes the recurrent input's gradient needed.
        let network = try makeNetwork([.dense(units: features), layer], input: .sequence(steps, features), batch: batch, training: true, seed: 3)
        for i in 0..<batch * steps * features { network.input[i] = Float(sin(Double(i) * 0.53)) * 1.2 }
        var random = RandomNumbers(seed: 17)
        withUnsafeMutablePointer(to: &random) { network.forward(batch: batch, dropout: $0) }
        let planned = network.layers[1]
        #expect(planned.dropoutDrawn)
        let u = layer.units
        func masks(_ state: RecurrentBuffers) -> (input: [[Double]], recurrent: [[Double]]) {
            let input = (0..<batch).map { b in (0..<features).map { Double(network.arena.floats(at: state.inputMask)[b * features + $0]) } }
            let recurrent = (0..<batch).map { b in (0..<u).map { Double(network.arena.floats(at: state.recurrentMask)[b * u + $0]) } }
            return (input, recurrent)
        }
        let forwardMasks = masks(planned.forwardState)
        let backwardMasks = layer.directions == .bidirectional ? masks(planned.backwardState) : forwardMasks
        let scale = Double(Float(1 / 0.7))
        #expect(forwardMasks.input.joined().allSatisfy { $0 == 0 || abs($0 - scale) < 1e-6 })
        #expect(forwardMasks.input.joined().contains(0))

        let x = (0..<batch).map { b in (0..<steps).map { t in (0..<features).map { Double(network.input[(b * steps + t) * features + $0]) } } }
        let denseCount = features * features + features
        func output(_ w: [Double]) -> [Double] {
            let perDirection = (w.count - denseCount) / layer.directions.count
            return x.indices.flatMap { b -> [Double] in
                let hidden = x[b].map { row in (0..<features).map { o in w[features * features + o] + (0..<features).reduce(0) { $0 + row[$1] * w[$1 * features + o] } } }
                let forward = ReferenceDouble.run(layer, weights: w[denseCount..<denseCount + perDirection], x: hidden, reversed: false, inputMask: forwardMasks.input[b], recurrentMask: forwardMasks.recurrent[b])
                var rows: [[Double]] = layer.returnSequences ? forward : [forward.last!]
                if layer.directions == .bidirectional {
                    let backward = ReferenceDouble.run(layer, weights: w[(denseCount + perDirection)...], x: hidden, reversed: true, inputMask: backwardMasks.input[b], recurrentMask: backwardMasks.recurrent[b])
                    let aligned: [[Double]] = layer.returnSequences ? backward.reversed() : [backward.last!]
                    rows = zip(rows, aligned).map { zip($0, $1).map(+) }
                }
                return rows.flatMap { $0 }
            }
        }
        let weights = Array(network.parameters).map(Double.init)
        let want = output(weights)
        let got = Array(UnsafeBufferPointer(start: network.output, count: want.count)).map(Double.init)
        #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 2e-6 * max(abs($1), 1) }, "forward with masks")
        let v = (0..<want.count).map { cos(Double($0) * 0.7 + 0.2) }
        for k in v.indices { network.outputGradient[k] = Float(v[k]) }
        network.zeroGradients()
        network.backward(batch: batch)
        let analytic = Array(network.gradients).map(Double.init)
        var numeric = [Double](repeating: 0, count: weights.count)
        for p in weights.indices {
            var plus = weights, minus = weights
            plus[p] += 1e-6
            minus[p] -= 1e-6
            numeric[p] = (zip(output(plus), v).reduce(0) { $0 + $1.0 * $1.1 } - zip(output(minus), v).reduce(0) { $0 + $1.0 * $1.1 }) / 2e-6
        }
        let largest = numeric.map(abs).max() ?? 0
        for p in weights.indices {
            #expect(abs(analytic[p] - numeric[p]) <= 1e-4 * largest + 1e-4 * abs(numeric[p]), "\(layer.cell) parameter \(p): \(analytic[p]) vs \(numeric[p])")
        }
    }
}

/// A one-direction layer's backward pass on a batch of 8 or more runs in two halves of the rows:
/// each runs the recurrence backwards and sums its rows' share of the weight gradients, and the
/// second half's sums are added to the first's. With a pair runner the gradients are the bits of
/// the halves run one after the other on one thread. The runner here runs the second task
/// first, on the calling thread, so that a half that depends on the other shows; the threaded
/// run is in GradientTests. The cases run one at a time: they count the runner's calls in one
/// variable.
@Suite(.serialized) struct SplitBatchBackwardTests {
    nonisolated(unsafe) static var pairs = 0
    static let secondFirst: PairRunner = { context, task in
        SplitBatchBackwardTests.pairs += 1
        task!(context, 1)
        task!(context, 0)
    }

    static func withDropout(_ layer: Layer, input: Float, recurrent: Float = 0) -> Layer {
        var layer = layer
        layer.inputDropout = input
        layer.recurrentDropout = recurrent
        return layer
    }

    /// The layers after a Dense(3) (which makes the first recurrent layer's input gradient
    /// needed), and whether the recurrent layers' backward passes split.
    static let cases: [(layers: [Layer], splits: Bool)] = [
        ([.recurrent(.simple, units: 5, returnSequences: true), .recurrent(.simple, units: 4)], true),
        ([.recurrent(.lstm, units: 20, returnSequences: true, directions: .backward), .recurrent(.lstm, units: 3)], true),
        ([withDropout(.recurrent(.simple, units: 5, returnSequences: true), input: 0.3),
          withDropout(.recurrent(.lstm, units: 4), input: 0.25)], true),
        // Recurrent dropout and GRU keep the step-by-step weight gradients on one thread.
        ([withDropout(.recurrent(.lstm, units: 4, returnSequences: true), input: 0.2, recurrent: 0.3),
          .recurrent(.gruResetAfter, units: 3)], false),
    ]

    @Test(arguments: 0..<4)
    func sameBitsAsOneThread(index: Int) throws {
        let (layers, splits) = Self.cases[index]
        let batch = 19, steps = 6, features = 2
        func gradients(pairs runner: PairRunner?) throws -> (gradients: [Float], backwardPairs: Int) {
            var network = try makeNetwork([.dense(units: 3)] + layers, input: .sequence(steps, features), batch: batch, training: true, seed: 5)
            network.pairRunner = runner
            for i in 0..<batch * steps * features { network.input[i] = Float(sin(Double(i) * 0.37)) }
            var random = RandomNumbers(seed: 11)
            withUnsafeMutablePointer(to: &random) { network.forward(batch: batch, dropout: $0) }
            for k in 0..<batch * network.plan.output.count { network.outputGradient[k] = Float(cos(Double(k) * 0.7 + 0.2)) }
            network.zeroGradients()
            let before = Self.pairs
            network.backward(batch: batch)
            return (Array(network.gradients), Self.pairs - before)
        }
        let oneThread = try gradients(pairs: nil)
        let split = try gradients(pairs: Self.secondFirst)
        #expect(split.gradients == oneThread.gradients)
        // One pair prepares every backward pass (the transposed kernels); more split the layers.
        #expect(split.backwardPairs >= 1)
        #expect((split.backwardPairs > 1) == splits, "pairs run by the backward pass: \(split.backwardPairs)")
    }

    /// The halves' sums, added, are the batch's gradient: against each row's gradient alone
    /// (one row is never split) summed in double precision, to float rounding.
    @Test(arguments: 0..<2)
    func halvesAddUpToTheBatch(index: Int) throws {
        let (layers, splits) = Self.cases[index]
        #expect(splits)
        let batch = 19, steps = 6, features = 2
        let rowIn = steps * features
        func gradients(rows: Range<Int>) throws -> [Float] {
            var network = try makeNetwork([.dense(units: 3)] + layers, input: .sequence(steps, features), batch: rows.count, training: true, seed: 5)
            network.pairRunner = nil
            let rowOut = network.plan.output.count
            for i in 0..<rows.count * rowIn { network.input[i] = Float(sin(Double(rows.lowerBound * rowIn + i) * 0.37)) }
            network.forward(batch: rows.count)
            for k in 0..<rows.count * rowOut { network.outputGradient[k] = Float(cos(Double(rows.lowerBound * rowOut + k) * 0.7 + 0.2)) }
            network.zeroGradients()
            network.backward(batch: rows.count)
            return Array(network.gradients)
        }
        let whole = try gradients(rows: 0..<batch)
        var sum = [Double](repeating: 0, count: whole.count)
        for row in 0..<batch {
            for (p, g) in try gradients(rows: row..<row + 1).enumerated() { sum[p] += Double(g) }
        }
        let largest = sum.map(abs).max() ?? 0
        #expect(largest > 0)
        for p in whole.indices {
            #expect(abs(Double(whole[p]) - sum[p]) <= 1e-5 * largest, "parameter \(p): \(whole[p]) vs \(sum[p])")
        }
    }

    /// A whole training step with two threads (the gradients cleared, the kernels transposed
    /// and the optimizer's update made in two halves) gives the parameters and optimizer values
    /// of the step's parts run one after the other on one thread with one update of the whole
    /// parameter vector, for every optimizer and a parameter count that is not a multiple of the
    /// halves' 16-float alignment.
    @Test(arguments: [Optimizer.sgd(momentum: 0.9, nesterov: true), .adamDefault, .rmsprop(rho: 0.9, momentum: 0.5, epsilon: 1e-7)])
    func trainingStepSameBitsAsOneThread(optimizer: Optimizer) throws {
        let batch = 9, steps = 5, features = 3
        let layers: [Layer] = [.recurrent(.lstm, units: 5, returnSequences: true, directions: .bidirectional), .recurrent(.simple, units: 3), .dense(units: 1)]
        let recipe = TrainingRecipe(loss: .meanSquaredError, optimizer: optimizer)
        func train(pairs runner: PairRunner?, inParts: Bool) throws -> (parameters: [Float], slots: [Float], pairs: Int) {
            var network = try Network(
                layers: layers, input: .sequence(steps, features), batch: batch, training: true, optimizerSlots: optimizer.slotCount)
            #expect(network.plan.parameterCount % 16 != 0)
            for i in network.parameters.indices { network.parameters[i] = Float(sin(Double(i) * 0.91)) * 0.4 }
            network.pairRunner = runner
            for i in 0..<batch * steps * features { network.input[i] = Float(sin(Double(i) * 0.37)) }
            for i in 0..<batch { network.targets[i] = Float(cos(Double(i))) }
            var random = RandomNumbers(seed: 3)
            let before = Self.pairs
            let slots = network.arena.floats(at: network.plan.optimizerSlots)
            let stride = roundUp(network.plan.parameterCount, to: 16)
            for step in 0..<3 {
                if inParts {
                    network.forward(batch: batch)
                    _ = recipe.loss.evaluate(
                        predictions: network.output, targets: network.targets, count: batch, gradient: network.outputGradient)
                    network.zeroGradients()
                    network.backward(batch: batch)
                    optimizer.update(
                        parameters: network.parameters.baseAddress!, gradients: network.gradients.baseAddress!,
                        count: network.plan.parameterCount, slots: slots, stride: stride, learningRate: 0.05, step: step)
                } else {
                    _ = network.trainStep(batch: batch, recipe: recipe, learningRate: 0.05, step: step, random: &random)
                }
            }
            return (Array(network.parameters), Array(UnsafeBufferPointer(start: slots, count: optimizer.slotCount * stride)), Self.pairs - before)
        }
        let parts = try train(pairs: nil, inParts: true)
        let twoThreads = try train(pairs: Self.secondFirst, inParts: false)
        #expect(twoThreads.pairs > 0)
        #expect(twoThreads.parameters == parts.parameters)
        #expect(twoThreads.slots == parts.slots)
    }
}
