import CHDF5
import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurKeras

/// `writeKerasArchive` and `writeWeightsH5`: what recur writes, read back by recur, and laid out
/// as Keras lays out its own files. (Keras's reading of the same files is checked by
/// `tools/keras_roundtrip.py`, which `tools/test.sh` runs.)
@Suite(.serialized) struct FormatsExportTests {
    static let folder = temporaryFolder("formats-export")

    /// Every full model among the fixtures, and the archives (Keras 3's and tf_keras's).
    static let modelFiles: [String] = ExportTests.modelFiles + [
        "Tests/Fixtures/external/m3_bilstm2.keras", "Tests/Fixtures/formats/k3_named.keras", "Tests/Fixtures/formats/k3_mixed.keras",
        "Tests/Fixtures/formats/k3_functional.keras", "Tests/Fixtures/formats/k2_mixed.keras",
    ]

    /// Archive, then weights: each reads back as the same layers with bit-identical weights and
    /// the same outputs; the weights read into the archive's architecture and into the original
    /// file's, whose layers name the same groups.
    @Test(arguments: modelFiles)
    func roundTripIsExact(file: String) throws {
        let path = Fixtures.repository + "/" + file
        let original = try KerasModel.load(path: path)
        let target = ExportTests.target(for: original.kernelLayers)
        let stem = Self.folder + "/" + file.replacingOccurrences(of: "/", with: "_")
        try writeKerasArchive(ExportableModel(original), to: stem + ".keras", for: target)
        let archive = try KerasModel.load(path: stem + ".keras")
        ExportTests.expectSameModel(archive, as: ExportableModel(original), file: file)
        #expect(archive.kerasMajor == (target == .keras3 ? 3 : 2))
        try ExportTests.expectSameOutputs(archive, original.makeNetwork(window: original.fixedWindow ?? 7, batch: 3), file: file)

        try writeWeightsH5(ExportableModel(original), to: stem + ".weights.h5")
        for architecture in [stem + ".keras", path] {
            let weights = try KerasModel.load(weights: stem + ".weights.h5", architecture: .file(architecture))
            #expect(weights.weights.map(\.bitPattern) == original.weights.map(\.bitPattern), "\(file) with \(architecture)")
        }
    }

    /// Models built in recur, with every kind of layer and option the exporters write.
    @Test(arguments: ArchModels.all.indices)
    func builtModelRoundTrips(index: Int) throws {
        let model = ArchModels.all[index]
        let path = Self.folder + "/arch-\(model.name)"
        try writeKerasArchive(model, to: path + ".keras", for: ExportTests.target(for: model.layers.compactMap(\.kernel)))
        let archive = try KerasModel.load(path: path + ".keras")
        ExportTests.expectSameModel(archive, as: model, file: model.name)
        #expect(archive.inputDims == model.inputDims)
        #expect(archive.config.name == model.name)
        try writeWeightsH5(model, to: path + ".weights.h5")
        let weights = try KerasModel.load(weights: path + ".weights.h5", architecture: .file(path + ".keras"))
        #expect(weights.weights.map(\.bitPattern) == model.weights.map(\.bitPattern))
    }

    /// Weights of a model built from an `--arch` list read back with the same list.
    @Test func specWeightsRoundTrip() throws {
        let text = "Bidirectional(GRU(3, return_sequences=True)), LSTM(2), Dense(1), Scale(100)"
        let spec = try ArchitectureSpec(text)
        var model = KerasModel(path: "--arch", inputDims: [nil], layers: spec.layers, weights: [])
        model.weights = (0..<(try model.parameterCount())).map { Float(cos(Double($0) * 0.9)) }
        let path = Self.folder + "/spec.weights.h5"
        try writeWeightsH5(ExportableModel(model), to: path)
        let read = try KerasModel.load(weights: path, architecture: .spec(text))
        #expect(read.weights.map(\.bitPattern) == model.weights.map(\.bitPattern))
        #expect(read.layers.map(\.name) == model.layers.map(\.name))
    }

    /// The archive's members as `zipfile` writes them for Keras: in Keras's order, stored, with
    /// their CRC-32s (checked by reading them), `metadata.json` and `config.json` dated
    /// 1980-01-01, made by Unix with permissions 0600.
    @Test func archiveIsLaidOutAsKerasLaysItOut() throws {
        let path = Self.folder + "/layout.keras"
        let source = try KerasModel.load(path: Fixtures.path("formats/k3_mixed.keras"))
        try writeKerasArchive(ExportableModel(source), to: path)
        let bytes = try FileBytes.read(path)
        let archive = try ZipArchive(bytes: bytes)
        #expect(archive.members.map(\.name) == ["metadata.json", "config.json", "model.weights.h5"])
        #expect(archive.members.allSatisfy { $0.method == 0 && $0.flags == 0 && $0.size == $0.compressedSize })
        let contents = try archive.members.map { try archive.contents(of: $0, limit: 1 << 30) }
        for member in archive.members {
            let entry = FormatsMalformedTests.centralEntry(bytes, member.name)
            #expect(ZipArchive.u16(bytes, entry + 4) == 0x0314, "\(member.name): made by Unix, zip 2.0")
            #expect(ZipArchive.u32(bytes, entry + 38) == 0o600 << 16, "\(member.name): permissions")
            let date = ZipArchive.u16(bytes, entry + 14)
            #expect((date == 0x21) == (member.name != "model.weights.h5"), "\(member.name): dated \(date)")
        }

        let metadata = try JSON.parse(String(decoding: contents[0], as: UTF8.self))
        #expect(metadata.keys == ["keras_version", "date_saved"])
        #expect(metadata["keras_version"]?.string == KerasTarget.both.kerasVersion)
        #expect(metadata["date_saved"]?.string?.utf8.count == "2026-11-26@18:55:38".utf8.count)

        let config = try JSON.parse(String(decoding: contents[1], as: UTF8.self))
        #expect(config["module"]?.string == "keras" && config["class_name"]?.string == "Sequential")
        #expect(config.keys.contains("registered_name"))
        let layers = try #require(config["config"]?["layers"]?.array)
        #expect(layers.allSatisfy { $0["module"]?.string == "keras.layers" && $0.keys.contains("registered_name") })
        #expect(layers.map { $0["class_name"]?.string ?? "" } == ["InputLayer"] + source.layers.map(\.className))
        #expect(layers[0]["config"]?["batch_input_shape"] != nil)
    }

    /// The groups and datasets of an exported `.weights.h5` are those tf_keras writes for the
    /// same model (the oracle, made by tf_keras itself), which include every group Keras 3 writes.
    @Test(arguments: ["k2_mixed", "k3_mixed", "k3_named", "k3_functional"])
    func weightsAreLaidOutAsKerasLaysThemOut(name: String) throws {
        let path = Self.folder + "/\(name).weights.h5"
        let source = try KerasModel.load(path: Fixtures.path("formats/\(name).keras"))
        try writeWeightsH5(ExportableModel(source), to: path)
        let written = try Self.objects(path)
        let keras = try Self.objects(Fixtures.path("formats/\(name).weights.h5"))
        // The Functional model's InputLayer gets a group from Keras; recur's model has none. A
        // Lambda is written as the built-in layer that computes the same, keyed by that class.
        let kerasLayers = keras.filter { !$0.path.hasPrefix("layers/input_layer") && !$0.path.hasPrefix("layers/lambda") }
        #expect(written.filter(\.isDataset).map(\.path) == keras.filter(\.isDataset).map(\.path))
        if name.hasPrefix("k2") {
            #expect(written.map(\.path) == kerasLayers.map(\.path))
        } else {
            #expect(Set(kerasLayers.map(\.path)).isSubset(of: Set(written.map(\.path))))
        }
        try withHDF5 { () throws in
            let reader = try HDF5Reader(path: path)
            let vars = try reader.openGroup("vars")
            #expect(try reader.stringAttribute("name", on: vars.id) == source.config.name)
        }
    }

    /// Every group and dataset of an HDF5 file, depth first in name order.
    static func objects(_ path: String) throws -> [(path: String, isDataset: Bool)] {
        try withHDF5 { () throws -> [(path: String, isDataset: Bool)] in
            let reader = try HDF5Reader(path: path)
            var found: [(path: String, isDataset: Bool)] = []
            func walk(_ group: String) throws {
                let object = try reader.openGroup(group)
                let names = try withExtendedLifetime(object) { try reader.memberNames(of: object.id) }
                for name in names {
                    let child = group == "/" ? name : group + "/" + name
                    let isGroup = (try? reader.openGroup(child)) != nil
                    found.append((child, !isGroup))
                    if isGroup { try walk(child) }
                }
            }
            try walk("/")
            return found.filter { !$0.path.hasPrefix("optimizer") && !$0.path.hasPrefix("metrics") }
        }
    }

    @Test(arguments: [
        ("m.h5", KerasFileFormat.legacyH5), ("m.HDF5", .legacyH5), ("m.keras", .archive), ("m.weights.h5", .weightsH5),
        ("dir.keras/m.h5", .legacyH5),
    ])
    func formatFollowsTheName(name: String, format: KerasFileFormat) {
        #expect(KerasFileFormat(path: name) == format)
    }

    @Test func unknownEndingIsAUsageError() throws {
        let source = try KerasModel.load(path: Fixtures.path("external/m1_simplernn.h5"))
        let path = Self.folder + "/model.json"
        do {
            try writeKerasFile(ExportableModel(source), to: path)
            Issue.record("written")
        } catch {
            #expect(error.exitCode == 64)
            #expect(error.message.contains(path) && error.message.contains(".keras"))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// A file that cannot be written is reported, and nothing is left behind.
    @Test(arguments: ["m.keras", "m.weights.h5"])
    func unwritableOutput(name: String) throws {
        let source = try KerasModel.load(path: Fixtures.path("external/m1_simplernn.h5"))
        let path = Self.folder + "/missing-folder/" + name
        do {
            try writeKerasFile(ExportableModel(source), to: path)
            Issue.record("written")
        } catch {
            #expect(error.exitCode == 73, "\(error.message)")
            #expect(error.message.contains(path))
        }
    }

    /// Weights that do not fit the layers are refused before anything is written.
    @Test func weightsThatDoNotFit() throws {
        var model = ExportableModel(try KerasModel.load(path: Fixtures.path("external/m5_gru.h5")))
        model.weights.removeLast()
        let path = Self.folder + "/short.weights.h5"
        do {
            try writeWeightsH5(model, to: path)
            Issue.record("written")
        } catch {
            #expect(error.exitCode == 65)
            #expect(error.message.contains(path) && error.message.contains("weights"))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
