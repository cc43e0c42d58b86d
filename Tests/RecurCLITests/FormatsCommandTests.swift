import Foundation
import RecurTestSupport
import Testing

/// The Keras formats end to end through the binary: `.keras` archives and weights-only files
/// (with `--config`) read by every command that loads a model, and written by `export` and
/// `train`.
@Suite struct FormatsCommandTests {
    static let courseSeries = Fixtures.repository + "/models/course_series.csv"

    /// A fixture's inputs as a predict input file in `folder`.
    static func windows(_ io: String, in folder: String) throws -> String {
        let path = folder + "/windows.csv"
        try predictInput(try readDataset(Fixtures.path(io), "inputs")).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The same model saved by Keras as `.h5` and `.keras`, and as weights with each kind of
    /// architecture, predicts the same numbers to the bit.
    @Test func everyFormOfOneModelPredictsTheSame() throws {
        let folder = temporaryFolder()
        let input = try Self.windows("external/m3_bilstm2.io.h5", in: folder)
        let stem = Fixtures.path("external/m3_bilstm2")
        let legacy = try recur(["predict", stem + ".h5", "--input", input])
        #expect(legacy.status == 0 && !legacy.stdout.isEmpty, "\(legacy.stderr)")
        for arguments in [
            [stem + ".keras"],
            [stem + ".weights.h5", "--config", stem + ".keras"],
            [stem + ".weights.h5", "--config", stem + ".h5"],
        ] {
            let result = try recur(["predict"] + arguments + ["--input", input])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stdout == legacy.stdout, "\(arguments)")
        }
    }

    @Test func weightsOnlyFileNeedsItsArchitecture() throws {
        let result = try recur(["predict", Fixtures.path("formats/k3_named.weights.h5"), "--input", "-"], input: "1,2,3\n")
        #expect(result.status == 65)
        #expect(result.stderr.contains("weights only") && result.stderr.contains("--config"), "\(result.stderr)")
    }

    /// `export` writes each format by the output's name; each predicts what the source predicts.
    @Test(arguments: ["formats/k3_mixed.keras", "external/m1_simplernn.h5"])
    func exportedFormatsPredictTheSame(source: String) throws {
        let folder = temporaryFolder()
        let io = String(source.prefix { $0 != "." }) + ".io.h5"
        let input = try Self.windows(io, in: folder)
        let original = try recur(["predict", Fixtures.path(source), "--input", input])
        #expect(original.status == 0, "\(original.stderr)")
        for name in ["m.keras", "m.weights.h5", "m.h5"] {
            let export = try recur(["export", Fixtures.path(source), "--output", folder + "/" + name])
            #expect(export.status == 0 && export.stderr.isEmpty, "\(name): \(export.stderr)")
        }
        for arguments in [["m.keras"], ["m.weights.h5", "--config", "m.keras"], ["m.weights.h5", "--config", "m.h5"], ["m.weights.h5", "--config", Fixtures.path(source)]] {
            let result = try recur(["predict"] + arguments + ["--input", input], in: folder)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stdout == original.stdout, "\(arguments)")
        }
    }

    /// A model trained from `--arch` is saved as a `.keras` archive, and its weights, exported
    /// alone, read back with the same layer list.
    @Test func trainWritesAnArchive() throws {
        let folder = temporaryFolder()
        let arch = "GRU(4), Dense(1), Scale(100)"
        let train = try recur([
            "train", "--arch", arch, "--series", Self.courseSeries, "--batch", "128", "--lr", "1e-5",
            "--seed", "3", "--epochs", "1", "--output", folder + "/m.keras", "--quiet",
        ])
        #expect(train.status == 0, "\(train.stderr)")
        let inspect = try recur(["inspect", folder + "/m.keras", "--window", "20"])
        #expect(inspect.status == 0 && inspect.stdout.contains("GRU"), "\(inspect.stderr)")
        let export = try recur(["export", folder + "/m.keras", "--output", folder + "/m.weights.h5"])
        #expect(export.status == 0, "\(export.stderr)")
        let window = (0..<20).map { String($0) }.joined(separator: ",") + "\n"
        let archive = try recur(["predict", folder + "/m.keras", "--input", "-"], input: window)
        let weights = try recur(["predict", folder + "/m.weights.h5", "--config", arch, "--input", "-"], input: window)
        #expect(archive.status == 0 && weights.status == 0, "\(weights.stderr)")
        #expect(!archive.stdout.isEmpty && weights.stdout == archive.stdout)
    }

    @Test func trainRefusesAWeightsOnlyOutput() throws {
        let folder = temporaryFolder()
        let result = try recur(["train", "--arch", "Dense(1)", "--epochs", "1", "--output", folder + "/m.weights.h5"])
        #expect(result.status == 64)
        #expect(result.stderr.contains(".keras"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    /// `--config` belongs to every command that loads a model.
    @Test func otherCommandsTakeTheArchitecture() throws {
        let weights = Fixtures.path("external/m1_simplernn.weights.h5")
        let config = Fixtures.path("external/m1_simplernn.keras")
        let inspect = try recur(["inspect", weights, "--config", config, "--window", "20"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let forecast = try recur(["forecast", weights, "--config", config, "--series", Self.courseSeries])
        let reference = try recur(["forecast", Fixtures.path("external/m1_simplernn.h5"), "--series", Self.courseSeries])
        #expect(forecast.status == 0 && forecast.stdout.contains("MAE:"), "\(forecast.stderr)")
        let errors = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("MAE:") || $0.hasPrefix("MSE:") } }
        #expect(errors(forecast.stdout) == errors(reference.stdout) && !errors(reference.stdout).isEmpty)
    }
}
