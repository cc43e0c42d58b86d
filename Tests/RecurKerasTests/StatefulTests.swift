import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurKeras

/// Keras `stateful=True` models: fed a sequence one step at a time, each step continuing from
/// the state the previous call left, and in chunks after `reset_states()`, recur must give
/// Keras's predictions (`tools/make_stateful_fixtures.py`). Tolerance as for every forward pass.
@Suite(.serialized) struct StatefulTests {
    static let fixtures = Fixtures.ioFiles(in: "stateful")

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count >= 10)
    }

    @Test(arguments: fixtures)
    func carriesStateLikeKeras(io: String) throws {
        let worst = try Self.worstStatefulError(io: Fixtures.path(io))
        #expect(worst <= 1, "\(io): worst error \(worst)× the tolerance")
    }

    /// The worst error ÷ tolerance over the step-by-step and the chunked predictions; throws
    /// when the model is not stateful or `reset_states` does not clear the state.
    static func worstStatefulError(io ioPath: String) throws -> Double {
        let model = try KerasModel.load(path: Measure.modelPath(for: ioPath))
        guard model.isStateful else { throw FixtureError.missing("\(ioPath): the model did not load as stateful") }
        let sequence = try readDataset(ioPath, "sequence")
        let (batch, steps, features) = (sequence.shape[0], sequence.shape[1], sequence.shape[2])
        guard model.statefulBatch == batch else { throw FixtureError.missing("\(ioPath): the stateful batch is not the sequence's") }
        func window(_ start: Int, _ length: Int, into target: UnsafeMutablePointer<Float>) {
            for b in 0..<batch {
                for t in 0..<length {
                    for f in 0..<features { target[(b * length + t) * features + f] = sequence.values[(b * steps + start + t) * features + f] }
                }
            }
        }

        // One step per call.
        let stepwise = try model.makeNetwork(window: 1, batch: batch)
        let wantSteps = try readDataset(ioPath, "step_outputs").values
        var got: [Float] = []
        for t in 0..<steps {
            window(t, 1, into: stepwise.input)
            stepwise.forward(batch: batch)
            got += Array(UnsafeBufferPointer(start: stepwise.output, count: batch * stepwise.plan.output.count))
        }
        var worst = worstError(got, wantSteps)

        // Chunks of six, after a reset; and the reset really clears the state.
        let chunk = 6
        let chunked = try model.makeNetwork(window: chunk, batch: batch)
        let wantChunks = try readDataset(ioPath, "chunk_outputs").values
        got = []
        for start in stride(from: 0, to: steps, by: chunk) {
            window(start, chunk, into: chunked.input)
            chunked.forward(batch: batch)
            got += Array(UnsafeBufferPointer(start: chunked.output, count: batch * chunked.plan.output.count))
        }
        worst = max(worst, worstError(got, wantChunks))
        chunked.resetStates()
        window(0, chunk, into: chunked.input)
        chunked.forward(batch: batch)
        let first = Array(UnsafeBufferPointer(start: chunked.output, count: batch * chunked.plan.output.count))
        guard first == Array(got.prefix(first.count)) else { throw FixtureError.missing("\(ioPath): reset_states left state behind") }
        return worst
    }
}
