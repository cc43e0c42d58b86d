import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurKeras

/// The measurements behind `docs/keras-conformance.md`: for every Keras-made fixture, recur's
/// worst error against Keras (forward from each Keras's file, gradients, optimizer steps, and the
/// forward pass again after recur writes the model in each format and reads it back), as a
/// fraction of each check's tolerance; and for every model Keras saves that recur refuses, the
/// sentence a user reads. Written to `.build/conformance/recur.json`; `tools/conformance.py`
/// joins it with what real Keras made of recur's exports (`tools/keras_roundtrip.py --report`)
/// into the document, and `tools/test.sh` fails when the committed document no longer says what
/// the run found.
@Suite(.serialized) struct ConformanceTests {
    static let output = Fixtures.repository + "/.build/conformance/recur.json"
    static let scratch = temporaryFolder("conformance")

    /// Fixture stems (`NAME` of `NAME.io.h5`) of one folder.
    static func stems(_ folder: String) -> [String] {
        Fixtures.ioFiles(in: folder).map { String($0.dropFirst(folder.count + 1).dropLast(".io.h5".count)) }
    }

    /// One cell: the worst error ÷ tolerance, or the sentence that stopped the check.
    static func cell(_ body: () throws -> Double) -> Any {
        do { return try body() } catch let error as RecurError { return error.message } catch { return "\(error)" }
    }

    /// Every measurement for one fixture: `folders` are where the model exists (keras3, keras2,
    /// keras-legacy/...), the first being the one exported and trained.
    static func row(_ stem: String, folders: [String]) -> [String: Any] {
        // Each folder's model, read once.
        var models: [String: Result<KerasModel, RecurError>] = [:]
        for folder in folders {
            models[folder] = Result { () throws(RecurError) in try KerasModel.load(path: Fixtures.path("\(folder)/\(stem).h5")) }
        }
        func io(_ folder: String) -> String { Fixtures.path("\(folder)/\(stem).io.h5") }
        var row: [String: Any] = ["fixture": stem]
        if let model = try? models[folders[0]]!.get() { row["layers"] = layerList(model) }
        var forward: [String: Any] = [:]
        for folder in folders {
            forward[folder] = cell { try Measure.forward(models[folder]!.get(), io: io(folder)) }
        }
        row["forward"] = forward
        // Gradients and steps from every Keras that recorded them (the worse of the two).
        var gradients: Double?
        var steps: [String: Double] = [:]
        var failures: [String] = []
        for folder in folders where hasDataset(io(folder), "loss_huber") {
            do {
                let model = try models[folder]!.get()
                gradients = max(gradients ?? 0, try Measure.gradients(model, io: io(folder)).worst)
                for (name, optimizer, group) in Measure.optimizerSteps(in: io(folder)) {
                    steps[name] = max(steps[name] ?? 0, try Measure.steps(model, io: io(folder), optimizer: optimizer, group: group))
                }
            } catch let error as RecurError {
                failures.append(error.message)
            } catch {
                failures.append("\(folder): \(error)")
            }
        }
        if let gradients { row["gradients"] = gradients }
        row["steps"] = steps
        if !failures.isEmpty { row["training_failure"] = failures.joined(separator: " ") }
        // Written by recur in each format, read back by recur: Keras's outputs still.
        let source = Fixtures.path("\(folders[0])/\(stem).h5")
        let reference = io(folders[0])
        let written = scratch + "/" + folders[0].replacingOccurrences(of: "/", with: "_") + "_" + stem
        func exported(_ write: (ExportableModel, KerasTarget) throws -> Void, readBack: () throws -> KerasModel) -> Any {
            cell {
                let model = try models[folders[0]]!.get()
                try write(ExportableModel(model), ExportTests.target(for: model.kernelLayers))
                return try Measure.forward(readBack(), io: reference)
            }
        }
        row["exports"] = [
            ".h5": exported({ try writeLegacyH5($0, to: written + ".h5", for: $1) }, readBack: { try KerasModel.load(path: written + ".h5") }),
            ".keras": exported({ try writeKerasArchive($0, to: written + ".keras", for: $1) }, readBack: { try KerasModel.load(path: written + ".keras") }),
            ".weights.h5": exported({ model, _ in try writeWeightsH5(model, to: written + ".weights.h5") }, readBack: {
                try KerasModel.load(weights: written + ".weights.h5", architecture: .file(source))
            }),
        ]
        return row
    }

    /// The generated fixtures by stem, each with the folders that hold it.
    static var generatedRows: [(String, [String])] {
        let legacy = ["keras-legacy/tf2.15", "keras-legacy/tf2.4", "keras-legacy/keras2.3.1-tf1.15"]
        var folders: [String: [String]] = [:]
        for folder in ["keras3", "keras2"] + legacy {
            for stem in stems(folder) { folders[stem, default: []].append(folder) }
        }
        return folders.keys.sorted().map { ($0, folders[$0]!) }
    }

    /// The stateful fixtures: step by step and in chunks (StatefulTests).
    static func statefulRow(_ stem: String) -> [String: Any] {
        var forward: [String: Any] = [:]
        for folder in ["stateful/keras3", "stateful/keras2"] {
            forward[folder] = cell { try StatefulTests.worstStatefulError(io: Fixtures.path("\(folder)/\(stem).io.h5")) }
        }
        var row: [String: Any] = ["fixture": stem, "forward": forward]
        if let model = try? KerasModel.load(path: Fixtures.path("stateful/keras3/\(stem).h5")) { row["layers"] = layerList(model) }
        return row
    }

    /// The model's layers as Keras names them, wrappers with what they wrap: "Bidirectional(LSTM)".
    static func layerList(_ model: KerasModel) -> String {
        model.layers.map { layer in
            guard let inner = layer.config["layer"]?["class_name"]?.string else { return layer.className }
            return "\(layer.className)(\(inner))"
        }.joined(separator: " → ")
    }

    /// Models Keras saves that recur refuses (`tools/make_refused_fixtures.py`): what recur says.
    /// Those named `train_…` load, and `recur train --from` refuses them.
    static func refusals() -> [[String: Any]] {
        var found: [[String: Any]] = []
        for folder in ["refused/keras3", "refused/keras2"] {
            let base = Fixtures.path(folder)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).filter { $0.hasSuffix(".h5") }.sorted()
            for file in files {
                let shown = "Tests/Fixtures/\(folder)/\(file)"
                var entry: [String: Any] = ["file": shown, "command": file.hasPrefix("train_") ? "train --from" : "every command"]
                do {
                    let model = try KerasModel.load(path: base + "/" + file)
                    entry["loaded"] = true
                    if let refusal = model.trainingRefusal() {
                        // As `recur train --from` words it (Training.swift).
                        entry["status"] = 65
                        entry["message"] = "\(shown): \(refusal)"
                    }
                } catch {
                    entry["status"] = Int(error.exitCode)
                    entry["message"] = error.message.replacingOccurrences(of: Fixtures.repository + "/", with: "")
                }
                found.append(entry)
            }
        }
        return found
    }

    @Test func matrixOfEveryFixture() throws {
        let generated = Self.generatedRows
        #expect(generated.count >= 100)
        let rows = generated.map { Self.row($0.0, folders: $0.1) }
        let external = Self.stems("external").map { Self.row($0, folders: ["external"]) }
        let stateful = Self.stems("stateful/keras3").map(Self.statefulRow)
        let refused = Self.refusals()
        #expect(refused.count >= 30)

        // Every measured cell passes; every refusal is one sentence naming the file, status 65.
        func numbers(_ value: Any) -> [Double] {
            if let number = value as? Double { return [number] }
            if let dictionary = value as? [String: Any] { return dictionary.values.flatMap(numbers) }
            return []
        }
        func sentences(_ value: Any) -> [String] {
            if let text = value as? String { return [text] }
            if let dictionary = value as? [String: Any] { return dictionary.filter { $0.key != "fixture" && $0.key != "layers" }.values.flatMap(sentences) }
            return []
        }
        for row in rows + external + stateful {
            let fixture = row["fixture"] as! String
            #expect(numbers(row).allSatisfy { $0 <= 1 }, "\(fixture): \(row)")
            #expect(sentences(row).isEmpty, "\(fixture): \(sentences(row))")
        }
        for entry in refused {
            let trainOnly = (entry["file"] as! String).contains("/train_")
            #expect((entry["loaded"] != nil) == trainOnly && entry["status"] as? Int == 65, "\(entry)")
            let message = entry["message"] as? String ?? ""
            #expect(message.contains(entry["file"] as! String) && !message.contains("\n"), "\(message)")
        }

        let document: [String: Any] = ["generated": rows, "external": external, "stateful": stateful, "refused": refused]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        try FileManager.default.createDirectory(
            atPath: (Self.output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: Self.output), options: .atomic)
    }
}
