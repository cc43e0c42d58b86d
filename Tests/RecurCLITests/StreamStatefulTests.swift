import Foundation
import RecurTestSupport
import Testing

/// `recur stream` on a stateful model (Keras's `stateful=True`): each sample is one step, its
/// state carried to the next, so the lines are Keras's predictions of one step at a time
/// (`tools/make_stateful_fixtures.py`) and, to the bit, `recur predict`'s on one line per step.
@Suite struct StreamStatefulTests {
    /// The fixtures of one sequence with one feature (the others are refused below).
    static let models = ["keras3", "keras2"].flatMap { folder in
        ["stateful_lstm", "stateful_gru_stack", "stateful_bilstm", "stateful_simplernn_seq"].map { "stateful/\(folder)/\($0)" }
    }

    static func sequenceText(_ io: String) throws -> [String] {
        try readDataset(io, "sequence").values.map { String(format: "%.9g", $0) }
    }

    @Test(arguments: models)
    func linesAreKerasStepByStep(model: String) throws {
        let io = Fixtures.path(model + ".io.h5"), path = Fixtures.path(model + ".h5")
        let samples = try Self.sequenceText(io)
        let result = try recur(["stream", path], input: samples.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let got = parseRows(result.stdout).flatMap { $0 }
        #expect(got.count == samples.count)
        #expect(worstError(got, try readDataset(io, "step_outputs").values) <= 1)

        let predicted = try recur(["predict", path, "--input", "-"], input: samples.joined(separator: "\n") + "\n")
        #expect(predicted.status == 0, "\(predicted.stderr)")
        #expect(result.stdout == predicted.stdout)
    }

    /// The history goes through the model step by step, so the stream goes on from its state.
    @Test func warmupRunsTheWholeHistory() throws {
        let model = "stateful/keras3/stateful_gru_stack"
        let samples = try Self.sequenceText(Fixtures.path(model + ".io.h5"))
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let history = folder + "/history.csv"
        try samples[0..<10].joined(separator: "\n").write(toFile: history, atomically: true, encoding: .utf8)
        let path = Fixtures.path(model + ".h5")
        let warmed = try recur(["stream", path, "--warmup", history], input: samples[10...].joined(separator: "\n") + "\n")
        let whole = try recur(["stream", path], input: samples.joined(separator: "\n") + "\n")
        #expect(warmed.status == 0 && whole.status == 0, "\(warmed.stderr)\(whole.stderr)")
        #expect(warmed.stdout.split(separator: "\n")[...] == whole.stdout.split(separator: "\n").dropFirst(10))
    }

    /// Forecast k of a line runs from the state the sample left, on the forecasts before it, and
    /// leaves that state as it was: the same numbers as one window over the sequence so far and
    /// the forecasts (for a model that reads one way, which the state carries exactly).
    @Test(arguments: ["stateful/keras3/stateful_lstm", "stateful/keras2/stateful_gru_stack"])
    func horizonRunsAheadOfTheState(model: String) throws {
        let path = Fixtures.path(model + ".h5")
        let samples = Array(try Self.sequenceText(Fixtures.path(model + ".io.h5")).prefix(8))
        let ahead = try recur(["stream", path, "--horizon", "3"], input: samples.joined(separator: "\n") + "\n")
        let plain = try recur(["stream", path], input: samples.joined(separator: "\n") + "\n")
        #expect(ahead.status == 0 && plain.status == 0, "\(ahead.stderr)\(plain.stderr)")
        let lines = ahead.stdout.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(lines.map { $0[0] } == plain.stdout.split(separator: "\n").map(String.init))
        for (index, forecasts) in lines.enumerated() {
            let windows = (1..<3).map { Array(samples[...index]) + forecasts[..<$0] }
            let oracle = try windows.map { try predictLines(path, [$0])[0] }
            #expect(Array(forecasts[1...]) == oracle, "line \(index + 1)")
        }
    }

    @Test func windowOtherThanOneIsUsage() throws {
        let path = Fixtures.path("stateful/keras3/stateful_lstm.h5")
        let result = try recur(["stream", path, "--window", "3"], input: "1\n")
        #expect(result.status == 64)
        #expect(result.stderr == "recur: \(path) is stateful: recur stream feeds it one sample per step, its state carried from step to step, so --window can only be 1\n")
    }

    @Test func fixedWindowOrSeveralSequencesAreRefused() throws {
        let fixed = Fixtures.path("stream/stateful_fixed_window.h5")
        let result = try recur(["stream", fixed], input: "1\n")
        #expect(result.status == 65)
        #expect(result.stderr == "recur: \(fixed) is stateful with windows of 4 steps; recur stream feeds a stateful model one sample per step\n")

        let batch2 = Fixtures.path("stateful/keras3/stateful_lstm_batch2.h5")
        let refused = try recur(["stream", batch2], input: "1\n")
        #expect(refused.status == 65)
        #expect(refused.stderr == "recur: \(batch2) is stateful with a batch of 2; recur stream runs one sequence\n")
    }
}
