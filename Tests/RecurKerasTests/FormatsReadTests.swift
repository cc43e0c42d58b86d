import CHDF5
import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurKeras

/// Reading `.keras` archives and weights-only files (Keras 3's `.weights.h5`, Keras 2's
/// `save_weights("w.h5")`) given their architecture, against the outputs Keras computed
/// (`*.io.h5`, made by `tools/make_format_fixtures.py` and by the other team).
@Suite(.serialized) struct FormatsReadTests {
    /// `inputs` of `io` through `model`, against `outputs` (or another dataset): the worst error
    /// as a multiple of the tolerance.
    static func parityError(_ model: KerasModel, io: String, outputs name: String = "outputs") throws -> Double {
        let inputs = try readDataset(Fixtures.path(io), "inputs")
        let outputs = try readDataset(Fixtures.path(io), name)
        let network = try model.makeNetwork(window: inputs.shape[1], batch: inputs.shape[0])
        inputs.values.withUnsafeBufferPointer { network.input.update(from: $0.baseAddress!, count: $0.count) }
        network.forward(batch: inputs.shape[0])
        let got = Array(UnsafeBufferPointer(start: network.output, count: outputs.values.count))
        return worstError(got, outputs.values)
    }

    /// Archives written by Keras 3 (the other team's and ours: custom layer names, Conv1D,
    /// Bidirectional GRU and LSTM, TimeDistributed, a Functional model), by tf_keras, and one
    /// re-zipped with its members deflated.
    static let archives = [
        "external/m1_simplernn", "external/m3_bilstm2", "external/m5_gru", "external/m8_lstm_nolambda",
        "formats/k3_named", "formats/k3_mixed", "formats/k3_functional", "formats/k2_mixed", "formats/k3_mixed.deflated",
    ]

    @Test(arguments: archives)
    func archiveGivesKerasOutputs(stem: String) throws {
        let model = try KerasModel.load(path: Fixtures.path(stem + ".keras"))
        let worst = try Self.parityError(model, io: stem + ".io.h5")
        #expect(worst <= 1, "\(stem).keras: worst error is \(worst)× the tolerance")
    }

    /// The same trained model saved by Keras as `.h5` and as `.keras`: the archive gives the
    /// same layers and the same weights, bit for bit.
    @Test(arguments: ["m1_simplernn", "m3_bilstm2", "m5_gru", "m8_lstm_nolambda"])
    func archiveHoldsTheSameModelAsTheH5(name: String) throws {
        let archive = try KerasModel.load(path: Fixtures.path("external/\(name).keras"))
        let legacy = try KerasModel.load(path: Fixtures.path("external/\(name).h5"))
        #expect(archive.layers.map(\.name) == legacy.layers.map(\.name))
        #expect(archive.kernelLayers.map { LayerSummary($0) } == legacy.kernelLayers.map { LayerSummary($0) })
        #expect(archive.weights.map(\.bitPattern) == legacy.weights.map(\.bitPattern))
        #expect(archive.kerasVersion == "3.15.1")
        #expect(archive.inputDims == legacy.inputDims)
    }

    /// The deflated copy of an archive (re-zipped by Python's zlib) reads as the stored one.
    @Test func deflatedMembersInflateToTheStoredOnes() throws {
        let stored = try ZipArchive(bytes: FileBytes.read(Fixtures.path("formats/k3_mixed.keras")))
        let deflated = try ZipArchive(bytes: FileBytes.read(Fixtures.path("formats/k3_mixed.deflated.keras")))
        #expect(deflated.members.map(\.method) == [8, 8, 8])
        #expect(deflated.members.map(\.name) == stored.members.map(\.name))
        for member in stored.members {
            let inflated = try deflated.contents(of: try #require(deflated.member(member.name)), limit: 1 << 30)
            #expect(inflated == (try stored.contents(of: member, limit: 1 << 30)), "\(member.name)")
        }
    }

    struct WeightsCase: CustomStringConvertible, Sendable {
        let weights: String
        let architecture: String
        let io: String
        var outputs = "outputs"
        var description: String { "\(weights) with \(architecture)" }
    }

    static let weightsCases: [WeightsCase] = {
        var cases: [WeightsCase] = []
        for name in ["m1_simplernn", "m3_bilstm2", "m5_gru", "m8_lstm_nolambda"] {
            cases.append(WeightsCase(weights: "external/\(name).weights.h5", architecture: "external/\(name).keras", io: "external/\(name).io.h5"))
        }
        cases += [
            // Keras 3's weights with a legacy full model as the architecture.
            WeightsCase(weights: "external/m3_bilstm2.weights.h5", architecture: "external/m3_bilstm2.h5", io: "external/m3_bilstm2.io.h5"),
            // `model.to_json()` architectures, Keras 3's and tf_keras's.
            WeightsCase(weights: "formats/k3_named.weights.h5", architecture: "formats/k3_named.json", io: "formats/k3_named.io.h5"),
            WeightsCase(weights: "formats/k3_mixed.weights.h5", architecture: "formats/k3_mixed.json", io: "formats/k3_mixed.io.h5"),
            WeightsCase(weights: "formats/k3_functional.weights.h5", architecture: "formats/k3_functional.json", io: "formats/k3_functional.io.h5"),
            WeightsCase(weights: "formats/k2_mixed.weights.h5", architecture: "formats/k2_mixed.json", io: "formats/k2_mixed.io.h5"),
            WeightsCase(weights: "formats/k2_mixed.weights.h5", architecture: "formats/k2_mixed.keras", io: "formats/k2_mixed.io.h5"),
            // Keras 2's weights-only layout (`layer_names` at the root).
            WeightsCase(weights: "formats/k2_mixed.weights-only.h5", architecture: "formats/k2_mixed.h5", io: "formats/k2_mixed.io.h5"),
            WeightsCase(weights: "formats/k2_mixed.weights-only.h5", architecture: "formats/k2_mixed.json", io: "formats/k2_mixed.io.h5"),
            // A full model's weights (its `/model_weights`, as Keras's load_weights reads them) and
            // an archive's, read into another file's architecture.
            WeightsCase(weights: "external/m1_simplernn.h5", architecture: "external/m1_simplernn.keras", io: "external/m1_simplernn.io.h5"),
            WeightsCase(weights: "formats/k3_named.keras", architecture: "formats/k3_named.json", io: "formats/k3_named.io.h5"),
            // The other team's hand-written minimum: datasets only, no attributes, no empty groups.
            WeightsCase(weights: "external/minimal/min.weights.h5", architecture: "external/minimal/min_full.batch_input_shape.vlenstr.h5",
                        io: "external/minimal/min.io.h5", outputs: "outputs_numpy_float64"),
            WeightsCase(weights: "external/minimal/min_weights_legacy.h5", architecture: "external/minimal/min_full.batch_shape.fixedstr.h5",
                        io: "external/minimal/min.io.h5", outputs: "outputs_numpy_float64"),
        ]
        return cases
    }()

    @Test(arguments: weightsCases)
    func weightsWithTheirArchitectureGiveKerasOutputs(_ test: WeightsCase) throws {
        let model = try KerasModel.load(weights: Fixtures.path(test.weights), architecture: .file(Fixtures.path(test.architecture)))
        #expect(model.path == Fixtures.path(test.weights))
        let worst = try Self.parityError(model, io: test.io, outputs: test.outputs)
        #expect(worst <= 1, "\(test): worst error is \(worst)× the tolerance")
    }

    /// recur's `naming.to_snake_case` against Keras's own, for every layer class of `keras.layers`.
    @Test func snakeCaseIsKeras() throws {
        let text = try String(contentsOfFile: Fixtures.path("formats/snake_case.json"), encoding: .utf8)
        let table = try JSON.parse(text)
        #expect(table.keys.count > 100)
        for className in table.keys {
            #expect(KerasV3Layout.snakeCase(className) == table[className]?.string, "\(className)")
        }
    }

    /// The groups recur derives for a model's layers are the groups Keras wrote: every one is
    /// in the file, and the file has no other (but the Functional model's InputLayer's, which
    /// holds nothing).
    @Test(arguments: ["formats/k3_named", "formats/k3_mixed", "formats/k3_functional", "formats/k2_mixed", "external/m3_bilstm2"])
    func derivedKeysAreTheFilesKeys(stem: String) throws {
        let model = try KerasModel.load(path: Fixtures.path(stem + ".keras"))
        let derived = KerasV3Layout.keys(classNames: model.layers.map(\.className))
        let written = try withHDF5 { () throws -> [String] in
            let reader = try HDF5Reader(path: Fixtures.path(stem + ".weights.h5"))
            let layers = try reader.openGroup("layers")
            return try withExtendedLifetime(layers) { try reader.memberNames(of: layers.id) }
        }
        #expect(Set(derived) == Set(written.filter { !$0.hasPrefix("input_layer") }), "\(stem)")
        #expect(derived.count == Set(derived).count)
    }

    /// `metadata.json` gives the version that decides which `hard_sigmoid` a file means.
    @Test func archiveRecordsItsKeras() throws {
        #expect(try KerasModel.load(path: Fixtures.path("formats/k2_mixed.keras")).kerasMajor == 2)
        #expect(try KerasModel.load(path: Fixtures.path("formats/k3_mixed.keras")).kerasMajor == 3)
    }
}
