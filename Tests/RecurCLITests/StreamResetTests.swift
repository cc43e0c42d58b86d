import Foundation
import RecurTestSupport
import Testing

/// `recur stream` with a stateful model carries the recurrent state from sample to sample, and a
/// `reset` line clears it and the window, as Keras's `reset_states()` does
/// (tools/make_stateful_fixtures.py: `step_outputs` are Keras's predictions one step at a time,
/// `reset_outputs` those after feeding twelve steps, resetting, and going on). With `--window 1`
/// each line is one of Keras's steps. Tolerance as for every forward pass (`worstError`).
@Suite struct StreamResetTests {
    static let models = ["keras3", "keras2"].flatMap { version in
        ["stateful_lstm", "stateful_gru_stack", "stateful_simplernn_seq", "stateful_bilstm"].map { "stateful/\(version)/\($0)" }
    }

    @Test(arguments: models)
    func resetLineClearsTheStateLikeKeras(model: String) throws {
        let io = Fixtures.path(model + ".io.h5")
        let sequence = try readDataset(io, "sequence").values
        let steps = try readDataset(io, "step_outputs").values
        let afterReset = try readDataset(io, "reset_outputs").values
        #expect(sequence.count == 24 && afterReset.count == 12)
        let lines = sequence.prefix(12).map { String(format: "%.9g", $0) } + [" reset "] + sequence.suffix(12).map { String(format: "%.9g", $0) }
        let result = try recur(["stream", Fixtures.path(model + ".h5"), "--window", "1"], input: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let got = result.stdout.split(separator: "\n").map { Float(String($0))! }
        #expect(got.count == 24)
        guard got.count == 24 else { return }
        // Before the reset, the state carried across the lines: Keras's step-by-step outputs.
        #expect(worstError(Array(got.prefix(12)), Array(steps.prefix(12))) <= 1, "\(model)")
        // After it, Keras's outputs after reset_states, not the carried ones.
        #expect(worstError(Array(got.suffix(12)), afterReset) <= 1, "\(model)")
        #expect(worstError(Array(got.suffix(12)), Array(steps.suffix(12))) > 1, "\(model): the reset changed nothing")
    }

    /// A reset empties the window: with --window 3 the next forecast comes three samples later.
    @Test func resetEmptiesTheWindow() throws {
        let model = Fixtures.repository + "/models/e1_simplernn.h5"
        let result = try recur(["stream", model, "--window", "3"], input: "1\n2\n3\n4\nreset\n5\n6\n7\n")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        let expected = try recur(["predict", model, "--input", "-"], input: "1,2,3\n2,3,4\n5,6,7\n")
        #expect(result.stdout == expected.stdout)
    }

    /// A byte-order mark before the first line is not part of it.
    @Test func byteOrderMarkIsSkipped() throws {
        let model = Fixtures.repository + "/models/e1_simplernn.h5"
        let plain = try recur(["stream", model, "--window", "3"], input: "1\r\n2\r\n3\r\n")
        let marked = try recur(["stream", model, "--window", "3"], input: "\u{FEFF}1\r\n2\r\n3\r\n")
        #expect(marked.status == 0, "\(marked.stderr)")
        #expect(marked.stdout == plain.stdout && !plain.stdout.isEmpty)
    }
}
