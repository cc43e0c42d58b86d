import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurKeras

/// Every Keras-made fixture: the model file beside each `NAME.io.h5` is loaded and run on the
/// fixture's `inputs`, and must give Keras's `outputs`.
///
/// Tolerance: each element within `1e-5 · max(|keras|, 1)`. A float32 forward pass over 20
/// steps accumulates rounding of order `√n · 2⁻²⁴` relative; Keras itself differs from a float64
/// reference by up to 3e-7 relative on these models (the shared fixtures' README), so 1e-5 leaves
/// a margin of more than ten while still catching any wrong gate, order or activation.
@Suite(.serialized) struct ParityTests {
    static let fixtures: [String] =
        Fixtures.ioFiles(in: "external") + Fixtures.ioFiles(in: "keras3") + Fixtures.ioFiles(in: "keras2")
        + Fixtures.ioFiles(in: "keras-legacy")

    @Test func fixturesArePresent() {
        #expect(Self.fixtures.count >= 4)
    }

    @Test(arguments: fixtures)
    func matchesKeras(io: String) throws {
        let ioPath = Fixtures.path(io)
        let worst = try Measure.forward(KerasModel.load(path: Measure.modelPath(for: ioPath)), io: ioPath)
        #expect(worst <= 1, "\(io): worst error is \(worst)× the tolerance")
    }

    /// The hand-written minimal files (fixed-length strings, Keras 2 style names, `batch_shape`)
    /// against their float64 numpy reference.
    @Test(arguments: [
        "min_full.batch_input_shape.fixedstr.h5", "min_full.batch_input_shape.vlenstr.h5",
        "min_full.batch_shape.fixedstr.h5", "min_full.k2style_names.h5",
    ])
    func minimalFiles(name: String) throws {
        let io = Fixtures.path("external/minimal/min.io.h5")
        let inputs = try readDataset(io, "inputs")
        let want = try readDataset(io, "outputs_numpy_float64")
        let model = try KerasModel.load(path: Fixtures.path("external/minimal/" + name))
        let network = try model.makeNetwork(window: inputs.shape[1], batch: inputs.shape[0])
        inputs.values.withUnsafeBufferPointer { network.input.update(from: $0.baseAddress!, count: $0.count) }
        network.forward(batch: inputs.shape[0])
        let got = Array(UnsafeBufferPointer(start: network.output, count: want.values.count))
        #expect(worstError(got, want.values) <= 1)
    }

    /// A model read from a file predicts with no heap allocation after planning.
    @Test func loadedModelForwardDoesNotAllocate() throws {
        let model = try KerasModel.load(path: Fixtures.path("external/m3_bilstm2.h5"))
        let network = try model.makeNetwork(window: 20, batch: 8)
        network.forward(batch: 8)
        #expect(allocations { for _ in 0..<50 { network.forward(batch: 1) } } == 0)
    }
}
