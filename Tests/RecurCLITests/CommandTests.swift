import Foundation
import RecurTestSupport
import Testing

@Suite struct PredictCommandTests {
    @Test(arguments: ["m1_simplernn", "m3_bilstm2", "m5_gru", "m8_lstm_nolambda"])
    func matchesKerasThroughAFile(stem: String) throws {
        let io = Fixtures.path("external/\(stem).io.h5")
        let inputs = try readDataset(io, "inputs"), outputs = try readDataset(io, "outputs")
        let folder = temporaryFolder()
        let inputPath = folder + "/windows.csv"
        try predictInput(inputs).write(toFile: inputPath, atomically: true, encoding: .utf8)
        let result = try recur(["predict", Fixtures.path("external/\(stem).h5"), "--input", inputPath, "--batch", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = parseRows(result.stdout)
        #expect(rows.count == inputs.shape[0])
        #expect(worstError(rows.flatMap { $0 }, outputs.values) <= 1)
    }

    @Test func readsStandardInputAndSkipsBlankLines() throws {
        let io = Fixtures.path("external/m1_simplernn.io.h5")
        let inputs = try readDataset(io, "inputs"), outputs = try readDataset(io, "outputs")
        let text = predictInput(inputs).replacingOccurrences(of: "\n", with: "\r\n\n  \n")
        let result = try recur(["predict", Fixtures.path("external/m1_simplernn.h5"), "--input", "-"], input: text)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(worstError(parseRows(result.stdout).flatMap { $0 }, outputs.values) <= 1)
    }

    /// `%.9g` output parses back to the very float32 the model produced, so predict is lossless.
    @Test func outputParsesBackToTheSameFloats() throws {
        let result = try recur(["predict", Fixtures.path("external/m8_lstm_nolambda.h5"), "--input", "-"],
                               input: (1...20).map { String(Double($0) * 3.7) }.joined(separator: ",") + "\n")
        let text = result.stdout.trimmingCharacters(in: .newlines)
        let value = try #require(Float(text), "predict printed \(text); stderr: \(result.stderr)")
        #expect(String(format: "%.9g", value) == text)
    }

    @Test func badFieldNamesItsLine() throws {
        let result = try recur(["predict", Fixtures.path("external/m1_simplernn.h5"), "--input", "-"],
                               input: String(repeating: "1,", count: 19) + "1\n" + String(repeating: "1,", count: 10) + "x" + String(repeating: ",1", count: 9) + "\n")
        #expect(result.status == 65)
        #expect(result.stderr == "recur: standard input line 2: field 11 'x' is not a number\n")
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: ["nan", "inf", "1e39", "-Infinity"])
    func nonFiniteFieldIsRefused(field: String) throws {
        let result = try recur(["predict", Fixtures.path("external/m1_simplernn.h5"), "--input", "-"],
                               input: String(repeating: "1,", count: 19) + field + "\n")
        #expect(result.status == 65)
        #expect(result.stderr.contains("line 1: field 20"))
    }

    @Test func wrongLengthIsRefused() throws {
        let result = try recur(["predict", Fixtures.path("external/m1_simplernn.h5"), "--input", "-"], input: "1,2,3\n1,2\n")
        #expect(result.status == 65)
        #expect(result.stderr.contains("line 2: 2 values"))
    }

    @Test func missingModelIs66() throws {
        let result = try recur(["predict", "/nonexistent/model.h5", "--input", "-"], input: "1\n")
        #expect(result.status == 66)
        #expect(result.stderr == "recur: /nonexistent/model.h5: No such file or directory\n")
    }

    @Test func missingInputOptionIsUsage() throws {
        let result = try recur(["predict", Fixtures.path("external/m1_simplernn.h5")])
        #expect(result.status == 64)
    }

    @Test func unrecognisedLambdaCanBeMappedByHand() throws {
        // A wrong mapping must change the numbers: scale by 10 instead of 100.
        let io = Fixtures.path("external/m1_simplernn.io.h5")
        let inputs = try readDataset(io, "inputs"), outputs = try readDataset(io, "outputs")
        let result = try recur(["predict", Fixtures.path("external/m1_simplernn.h5"), "--input", "-", "--lambda", "lambda_1=scale:10"],
                               input: predictInput(inputs))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(worstError(parseRows(result.stdout).flatMap { $0.map { $0 * 10 } }, outputs.values) <= 1)
        let wrong = try recur(["predict", Fixtures.path("external/m1_simplernn.h5"), "--input", "-", "--lambda", "nope=scale:10"], input: "1\n")
        #expect(wrong.status == 64)
        #expect(wrong.stderr.contains("no Lambda layer named 'nope'"))
    }
}

@Suite struct InspectCommandTests {
    /// The table is Keras's `model.summary()`, character for character.
    @Test(arguments: ["m1_simplernn", "m3_bilstm2", "m5_gru", "m8_lstm_nolambda"])
    func tableMatchesKerasSummary(stem: String) throws {
        let keras = try String(contentsOfFile: Fixtures.path("external/\(stem).summary.txt"), encoding: .utf8)
        let result = try recur(["inspect", Fixtures.path("external/\(stem).h5")])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix(keras))
        #expect(result.stdout.contains("Arena for batch 1, window 20:"))
        #expect(result.stdout.contains("Keras 3.15.1"))
    }
}

@Suite struct ForecastCommandTests {
    @Test func writesTheValidationRangeAtomically() throws {
        let folder = temporaryFolder()
        let csv = folder + "/forecast.csv"
        try "old contents\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let result = try recur(["forecast", Fixtures.path("external/m1_simplernn.h5"), "--series",
                                Fixtures.repository + "/models/course_series.csv", "--output", csv])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "time,value,forecast")
        #expect(lines.count == 1 + 461)
        #expect(lines[1].hasPrefix("1000,"))
        #expect(result.stdout.hasPrefix("MAE: "))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".recur-") }
        #expect(leftovers.isEmpty)
    }

    @Test func splitPastTheEndIsUsage() throws {
        let result = try recur(["forecast", Fixtures.path("external/m1_simplernn.h5"), "--series",
                                Fixtures.repository + "/models/course_series.csv", "--split", "5000"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("past the end"))
    }

    @Test func badSeriesLineIsNamed() throws {
        let folder = temporaryFolder()
        try "value\n1\n2\noops\n".write(toFile: folder + "/s.csv", atomically: true, encoding: .utf8)
        let result = try recur(["forecast", Fixtures.path("external/m1_simplernn.h5"), "--series", folder + "/s.csv", "--split", "2", "--window", "1"])
        #expect(result.status == 65)
        #expect(result.stderr == "recur: \(folder)/s.csv line 4: 'oops' is not a number\n")
    }
}

@Suite struct StatefulPredictTests {
    /// A stateful model run by `predict` carries its state from one line to the next, as
    /// Keras's `predict` does across calls: one line per step gives Keras's step outputs.
    @Test func linesContinueTheState() throws {
        let io = Fixtures.path("stateful/keras3/stateful_lstm.io.h5")
        let sequence = try readDataset(io, "sequence"), want = try readDataset(io, "step_outputs")
        let input = sequence.values.map { String(format: "%.9g", $0) }.joined(separator: "\n") + "\n"
        let result = try recur(["predict", Fixtures.path("stateful/keras3/stateful_lstm.h5"), "--input", "-"], input: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(worstError(parseRows(result.stdout).flatMap { $0 }, want.values) <= 1)
    }

    @Test func partialBatchIsRefused() throws {
        let result = try recur(["predict", Fixtures.path("stateful/keras3/stateful_lstm_batch2.h5"), "--input", "-"], input: "1,2\n3,4\n5,6\n")
        #expect(result.status == 65)
        #expect(result.stderr.contains("whole batches of 2"))
    }
}

/// The main job: `recur forecast` on each shipped model prints the validation MAE that Keras's
/// own forecast loop gave (models/reference.json), to four significant digits.
@Suite struct CourseForecastTests {
    static let models = ["e1_simplernn", "e2_bilstm1", "e3_bilstm2", "e4_bilstm3"]

    @Test(arguments: models)
    func maeMatchesKeras(model: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.repository + "/models/reference.json"))
        let reference = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let entry = (reference["models"] as! [String: Any])[model] as! [String: Any]
        let keras = entry["forecast_mae_keras"] as! Double
        let result = try recur(["forecast", Fixtures.repository + "/models/\(model).h5"], in: Fixtures.repository)
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("MAE: ") }, "\(result.stderr)")
        let mae = try #require(Double(line.dropFirst(5)), "\(line)")
        #expect(String(format: "%.4g", mae) == String(format: "%.4g", keras), "recur \(mae), Keras \(keras)")
    }

    /// With no arguments, the shipped default model on the shipped series.
    @Test func defaultsRunTheShippedModel() throws {
        let result = try recur(["forecast"], in: Fixtures.repository)
        #expect(result.status == 0, "\(result.stderr)")
        let explicit = try recur(["forecast", "models/e3_bilstm2.h5", "--series", "models/course_series.csv", "--window", "20", "--split", "1000"], in: Fixtures.repository)
        #expect(result.stdout == explicit.stdout)
    }
}
