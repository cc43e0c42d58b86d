import Foundation
import RecurTestSupport
import Testing

/// `--json`: one JSON object on one line, whose numbers are the ones the plain output and Keras
/// give.
@Suite struct JSONTests {
    static let courseSeries = Fixtures.repository + "/models/course_series.csv"

    /// Parses the only line of `stdout` as a JSON object.
    func object(_ result: Result) throws -> [String: Any] {
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasSuffix("}\n") && result.stdout.split(separator: "\n").count == 1)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// The errors are the plain output's; the naive forecast's are computed here from the CSV.
    @Test func forecastPrintsTheErrorsAndTheNaiveBaseline() throws {
        let model = Fixtures.path("external/m3_bilstm2.h5")
        let json = try object(try recur(["forecast", model, "--series", Self.courseSeries, "--json"]))
        let plain = try recur(["forecast", model, "--series", Self.courseSeries])
        let lines = plain.stdout.split(separator: "\n")
        #expect(String(format: "%.7g", json["mae"] as! Double) == lines[0].dropFirst(5))
        #expect(String(format: "%.7g", json["mse"] as! Double) == lines[1].dropFirst(5))
        #expect(json["window"] as? Int == 20 && json["split"] as? Int == 1000 && json["count"] as? Int == 461)
        #expect(json["model"] as? String == model && json["column"] as? String == "value")

        let values = try String(contentsOfFile: Self.courseSeries, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { Double(Float(Double(String($0.split(separator: ",")[1]))!)) }
        let errors = (1000..<values.count).map { values[$0] - values[$0 - 1] }
        let naiveMAE = errors.map(abs).reduce(0, +) / Double(errors.count)
        let naiveMSE = errors.map { $0 * $0 }.reduce(0, +) / Double(errors.count)
        #expect(abs(json["naive_mae"] as! Double - naiveMAE) < 1e-9)
        #expect(abs(json["naive_mse"] as! Double - naiveMSE) < 1e-9)
    }

    /// Keras's summary text (made by Keras) is the oracle for the layers and their counts.
    @Test(arguments: ["m1_simplernn", "m3_bilstm2", "m5_gru", "m8_lstm_nolambda"])
    func inspectMatchesKerasSummary(stem: String) throws {
        let keras = try String(contentsOfFile: Fixtures.path("external/\(stem).summary.txt"), encoding: .utf8)
        let rows = keras.split(separator: "\n").filter { $0.hasPrefix("│") }.map { row in
            row.split(separator: "│").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let json = try object(try recur(["inspect", Fixtures.path("external/\(stem).h5"), "--json"]))
        let layers = try #require(json["layers"] as? [[String: Any]])
        #expect(layers.count == rows.count)
        for (layer, row) in zip(layers, rows) {
            #expect("\(layer["name"] as! String) (\(layer["class"] as! String))" == row[0])
            let shape = (layer["output_shape"] as! [Any]).map { ($0 as? Int).map(String.init) ?? "None" }
            #expect("(" + shape.joined(separator: ", ") + ")" == row[1])
            #expect(layer["params"] as? Int == Int(row[2].replacingOccurrences(of: ",", with: "")))
        }
        let total = keras.split(separator: "\n").first { $0.hasPrefix(" Total params: ") }!
        #expect("\(json["total_params"] as! Int)" == total.dropFirst(" Total params: ".count).prefix { $0 != " " }.replacingOccurrences(of: ",", with: ""))
        #expect(json["keras_version"] as? String == "3.15.1")
    }

    /// The arena's regions add up to its total; training adds gradients (one per weight) and
    /// the optimizer's slots (Adam: two per weight).
    @Test func inspectSplitsTheArena() throws {
        let model = Fixtures.path("external/m3_bilstm2.h5")
        for arguments in [[], ["--training", "--optimizer", "adam", "--batch", "32"], ["--training", "--optimizer", "sgd", "--momentum", "0"]] {
            let json = try object(try recur(["inspect", model, "--json"] + arguments))
            let arena = try #require(json["arena"] as? [String: Any])
            let bytes = try #require(arena["bytes"] as? [String: Int])
            #expect(Set(bytes.keys) == ["weights", "gradients", "optimizer_slots", "activations", "scratch", "total"])
            // The weights region is rounded up to 16 floats.
            let parameterBytes = (json["total_params"] as! Int) * 4
            #expect(bytes["weights"]! >= parameterBytes && bytes["weights"]! < parameterBytes + 64)
            #expect(bytes["weights"]! + bytes["gradients"]! + bytes["optimizer_slots"]! + bytes["activations"]! + bytes["scratch"]! == bytes["total"])
            let slots = arguments.contains("adam") ? 2 : 0
            #expect(arena["slots_per_weight"] as? Int == slots)
            #expect(bytes["gradients"] == (arguments.isEmpty ? 0 : bytes["weights"]))
            #expect(bytes["optimizer_slots"] == slots * bytes["weights"]!)
            // The plain output shows the same numbers.
            let plain = try recur(["inspect", model] + arguments)
            #expect(plain.stdout.contains("(\(bytes["total"]!) bytes)\n"))
            let activations = plain.stdout.split(separator: "\n").first { $0.hasPrefix("  activations ") }
            #expect(activations?.split(separator: " ").dropFirst().first?.replacingOccurrences(of: ",", with: "") == "\(bytes["activations"]!)")
        }
    }

    @Test func trainPrintsTheHistory() throws {
        let folder = temporaryFolder()
        let json = try object(try recur([
            "train", "--arch", "SimpleRNN(4), Dense(1), Scale(100)", "--series", Self.courseSeries, "--batch", "128",
            "--lr", "1e-5", "--seed", "9", "--epochs", "3", "--output", folder + "/m.h5", "--json",
        ]))
        #expect(json["epochs"] as? Int == 3 && json["seed"] as? Int == 9 && json["steps_per_epoch"] as? Int == 8)
        let history = try #require(json["history"] as? [String: [Double]])
        #expect(Set(history.keys) == ["loss", "mae", "mse", "learning_rate", "seconds"])
        #expect(history.values.allSatisfy { $0.count == 3 })
        #expect(history["learning_rate"] == [1e-5, 1e-5, 1e-5])
        // The validation errors are those of the saved model, as `forecast` measures them.
        let check = try object(try recur(["forecast", folder + "/m.h5", "--series", Self.courseSeries, "--window", "20", "--json"]))
        #expect(json["mae"] as? Double == check["mae"] as? Double)
    }

    /// `bench --json` keeps the keys it has always had, in order.
    @Test func benchKeepsItsKeys() throws {
        let result = try recur(["bench", Fixtures.path("external/m1_simplernn.h5"), "--iterations", "20", "--batch", "4", "--json"])
        let json = try object(result)
        let keys = ["model", "window", "batch1_median_us", "batch1_p99_us", "batch", "windows_per_second", "mallocs_per_window", "arena_bytes"]
        #expect(Set(json.keys) == Set(keys))
        let positions = keys.map { result.stdout.range(of: "\"\($0)\": ")!.lowerBound }
        #expect(positions == positions.sorted())
    }

    /// `bench-gemm` (tools/bench_peers.py's view of the kernel's matrix product): its shape back,
    /// a positive rate, both layouts of A; refused shapes; and it stays out of `recur --help`.
    @Test func benchGEMMReportsItsShapeAndRate() throws {
        for transposed in [false, true] {
            let json = try object(try recur(["bench-gemm", "7", "33", "5", "--seconds", "0.01"] + (transposed ? ["--transposed-a"] : [])))
            #expect(json["m"] as? Int == 7 && json["n"] as? Int == 33 && json["k"] as? Int == 5)
            #expect(json["transposed_a"] as? Bool == transposed)
            #expect((json["calls"] as? Int ?? 0) >= 5)
            #expect((json["gflops_median"] as? Double ?? 0) > 0)
        }
        #expect(try recur(["bench-gemm", "0", "4", "4"]).status == 64)
        #expect(try !recur(["--help"]).stdout.contains("bench-gemm"))
    }
}
