import Foundation
import Testing
@testable import RecurKernel

/// A single window forecast (batch 1, no training) takes its own paths through a recurrent step:
/// a SimpleRNN's tanh and an LSTM's cell are applied to the sums in registers. Each window's
/// outputs must be the same bits as its row of a batch, which the Float64 reference tests check.
@Suite struct OneWindowTests {
    static let cases: [Layer] = [
        // tanh on the registers: a half vector and a few single columns; whole vectors and a
        // half; more than eight vectors (the row's first pass), then single columns.
        .recurrent(.simple, units: 5, returnSequences: true),
        .recurrent(.simple, units: 40, returnSequences: true),
        .recurrent(.simple, units: 133),
        // Not tanh: the sums are stored and activated after.
        .recurrent(.simple, units: 6, activation: .relu),
        // The cell on the registers: one vector of units, a pair, a pair and one more, both
        // directions.
        .recurrent(.lstm, units: 16, returnSequences: true),
        .recurrent(.lstm, units: 32, returnSequences: true),
        .recurrent(.lstm, units: 48, directions: .backward),
        .recurrent(.lstm, units: 32, returnSequences: true, directions: .bidirectional),
        // Units that are not whole vectors, and a gate that is not the logistic function: the
        // cell after the product.
        .recurrent(.lstm, units: 8, returnSequences: true),
        .recurrent(.lstm, units: 12, returnSequences: true),
        .recurrent(.lstm, units: 16, recurrentActivation: .hardSigmoid),
    ]

    /// Two or three tanh SimpleRNNs in a row: a window runs the first two side by side
    /// (`stackedSimpleForward`), in one walk a step when their units are the same and whole half
    /// vectors, else three walks.
    static let stacks: [[Layer]] = [
        [.recurrent(.simple, units: 40, returnSequences: true), .recurrent(.simple, units: 40)],
        [.recurrent(.simple, units: 8, returnSequences: true), .recurrent(.simple, units: 8, returnSequences: true)],
        [.recurrent(.simple, units: 16, returnSequences: true), .recurrent(.simple, units: 16, useBias: false)],
        [.recurrent(.simple, units: 24, returnSequences: true), .recurrent(.simple, units: 24, returnSequences: true)],
        [.recurrent(.simple, units: 32, returnSequences: true), .recurrent(.simple, units: 32)],
        [.recurrent(.simple, units: 48, returnSequences: true), .recurrent(.simple, units: 48)],
        [.recurrent(.simple, units: 12, returnSequences: true), .recurrent(.simple, units: 5)],
        [
            .recurrent(.simple, units: 40, returnSequences: true), .recurrent(.simple, units: 40, returnSequences: true),
            .recurrent(.simple, units: 40),
        ],
        // Not a stack: the second layer is a relu SimpleRNN.
        [.recurrent(.simple, units: 16, returnSequences: true), .recurrent(.simple, units: 16, activation: .relu)],
    ]

    @Test(arguments: cases)
    func windowAloneIsItsRowOfABatch(layer: Layer) throws {
        try check([layer])
    }

    @Test(arguments: stacks)
    func stackedWindowIsItsRowOfABatch(layers: [Layer]) throws {
        let network = try makeNetwork(layers, input: .sequence(7, 3), batch: 3)
        let stacked = layers.count > 1 && layers[1].activation == .tanh
        #expect((network.layers[1].stackedPreGates != 0) == stacked)
        try check(layers)
    }

    func check(_ layers: [Layer]) throws {
        let steps = 7, features = 3, batch = 3
        let network = try makeNetwork(layers, input: .sequence(steps, features), batch: batch)
        let rowSize = steps * features, width = network.layers[layers.count - 1].output.count
        let inputs = (0..<batch * rowSize).map { Float(sin(Double($0) * 0.37)) * 1.5 }
        network.input.update(from: inputs, count: inputs.count)
        network.forward(batch: batch)
        let together = Array(UnsafeBufferPointer(start: network.output, count: batch * width))
        for b in 0..<batch {
            for i in 0..<rowSize { network.input[i] = inputs[b * rowSize + i] }
            network.forward(batch: 1)
            let alone = Array(UnsafeBufferPointer(start: network.output, count: width))
            let row = Array(together[b * width ..< (b + 1) * width])
            #expect(alone.map(\.bitPattern) == row.map(\.bitPattern), "\(layers.map { "\($0.cell) \($0.units)" }), window \(b)")
        }
    }
}

extension OneWindowTests {
    /// A stateful layer fed a window at a time continues from the state the last window left:
    /// two windows of 7 steps give what one sequence of 14 gives in a batch.
    @Test(arguments: [
        Layer.recurrent(.lstm, units: 32, returnSequences: true),
        Layer.recurrent(.simple, units: 20, returnSequences: true),
    ])
    func statefulWindowsContinueTheSequence(layer: Layer) throws {
        var stateful = layer
        stateful.stateful = true
        let steps = 7, features = 2, units = layer.units
        let inputs = (0..<2 * steps * features).map { Float(cos(Double($0) * 0.53)) }
        let whole = try makeNetwork([layer], input: .sequence(2 * steps, features), batch: 3)
        whole.input.update(from: inputs, count: inputs.count)
        whole.forward(batch: 3)
        let windows = try makeNetwork([stateful], input: .sequence(steps, features), batch: 1)
        for w in 0..<2 {
            for i in 0..<steps * features { windows.input[i] = inputs[w * steps * features + i] }
            windows.forward(batch: 1)
            let got = Array(UnsafeBufferPointer(start: windows.output, count: steps * units))
            let want = Array(UnsafeBufferPointer(start: whole.output + w * steps * units, count: steps * units))
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(layer.cell), window \(w)")
        }
    }
}
