import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurKeras

/// What a file for each Keras may hold, and the models the exporter refuses: each refusal is
/// one sentence naming the output and the layer, exit status 65, and nothing is written.
@Suite struct ExportRefusalTests {
    static let folder = temporaryFolder("export-refusals")

    static let activations: [Activation] = (0...UInt8.max).compactMap(Activation.init(rawValue:))

    /// The exporter's names are the importer's: each activation reads back as itself in every
    /// Keras that has it.
    @Test(arguments: activations)
    func activationNamesReadBack(activation: Activation) {
        #expect(!activation.kerasMajors.isEmpty)
        for major in activation.kerasMajors {
            #expect(Activation(kerasName: activation.kerasName, kerasMajor: major) == activation, "\(activation) in Keras \(major)")
        }
    }

    /// An LSTM whose recurrent activation is `recurrent`, then a Dense with `dense`.
    static func model(recurrent: Activation = .sigmoid, dense: Activation = .linear) -> ExportableModel {
        let layers: [Layer] = [.recurrent(.lstm, units: 2, recurrentActivation: recurrent), .dense(units: 1, activation: dense)]
        let count = (try? Network(layers: layers, input: .sequence(3, 1), batch: 1).plan.parameterCount) ?? 0
        return ExportableModel(
            name: "m", inputDims: [nil, 1],
            layers: [ExportableLayer(name: "lstm", kernel: layers[0]), ExportableLayer(name: "dense", kernel: layers[1])],
            weights: (0..<count).map { Float($0 % 5) * 0.25 - 0.5 })
    }

    /// Which targets may hold each activation, and what recur reads back from the file: the
    /// same function (the file's `keras_version` tells recur which hard_sigmoid it is).
    @Test(arguments: [
        (Activation.hardSigmoid, [KerasTarget.keras3]),
        (.hardSigmoidKeras2, [.keras2]),
        (.hardSwish, [.keras3]),
        (.squarePlus, [.keras3]),
        (.gelu, [.both, .keras2, .keras3]),
        (.leakyRelu, [.both, .keras2, .keras3]),
    ])
    func activationNeedsItsKeras(activation: Activation, allowed: [KerasTarget]) throws {
        for (position, model) in [("lstm", Self.model(recurrent: activation)), ("dense", Self.model(dense: activation))] {
            for target in KerasTarget.allCases {
                let path = Self.folder + "/\(activation)-\(position)-\(target).h5"
                if allowed.contains(target) {
                    try writeLegacyH5(model, to: path, for: target)
                    let reread = try KerasModel.load(path: path)
                    let layer = reread.kernelLayers[position == "lstm" ? 0 : 1]
                    #expect((position == "lstm" ? layer.recurrentActivation : layer.activation) == activation, "\(target)")
                    continue
                }
                let other = activation.kerasMajors.min()!
                Self.expectRefusal(path, mentioning: ["layer '\(position)'", activation.kerasName, "--keras \(other)"]) {
                    try writeLegacyH5(model, to: path, for: target)
                }
            }
        }
    }

    @Test func hardSigmoidMessageShowsBothFunctions() {
        let path = Self.folder + "/hard.h5"
        Self.expectRefusal(path, mentioning: ["Keras 3's hard_sigmoid, relu6(x + 3) / 6", "Keras 2", "clip(0.2x + 0.5, 0, 1)"]) {
            try writeLegacyH5(Self.model(recurrent: .hardSigmoid), to: path)
        }
    }

    @Test func badLayerNames() {
        for (names, words) in [
            (["a/b", "dense"], ["'a/b'", "'/'"]), (["", "dense"], ["''"]), (["x", "x"], ["'x'", "unique"]),
            (["top_level_model_weights", "dense"], ["'top_level_model_weights'"]),
        ] {
            var model = Self.model()
            model.layers[0].name = names[0]
            model.layers[1].name = names[1]
            let path = Self.folder + "/names.h5"
            Self.expectRefusal(path, mentioning: words) { try writeLegacyH5(model, to: path) }
        }
    }

    @Test func weightsThatDoNotFit() {
        var short = Self.model()
        short.weights.removeLast()
        var poisoned = Self.model()
        poisoned.weights[3] = .nan
        let path = Self.folder + "/weights.h5"
        Self.expectRefusal(path, mentioning: ["needs \(Self.model().weights.count) weights"]) { try writeLegacyH5(short, to: path) }
        Self.expectRefusal(path, mentioning: ["weight 3", "nan"]) { try writeLegacyH5(poisoned, to: path) }
    }

    @Test func layersWithoutAKerasEquivalent() {
        var unknown = Self.model()
        unknown.layers.insert(.identity(name: "masking", className: "Masking"), at: 1)
        var unplannable = Self.model()
        unplannable.inputDims = [nil]
        var badInput = Self.model()
        badInput.inputDims = [nil, nil]
        let path = Self.folder + "/layers.h5"
        Self.expectRefusal(path, mentioning: ["layer 'masking'", "Masking"]) { try writeLegacyH5(unknown, to: path) }
        Self.expectRefusal(path, mentioning: ["layer 'lstm'", "3-D"]) { try writeLegacyH5(unplannable, to: path) }
        Self.expectRefusal(path, mentioning: ["[None, None]"]) { try writeLegacyH5(badInput, to: path) }
    }

    static func expectRefusal(_ path: String, mentioning words: [String], _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("\(path) was written")
        } catch let error as RecurError {
            #expect(error.exitCode == 65, "\(error.message)")
            #expect(error.message.hasPrefix("cannot export to \(path): "), "\(error.message)")
            for word in words { #expect(error.message.contains(word), "\(error.message)") }
            #expect(!error.message.contains("\n"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
