import Foundation
import RecurTestSupport
import Testing

/// Faults: signals during training, divergence, and kills during writes.
@Suite(.serialized) struct FaultTests {
    static let series = Fixtures.repository + "/models/course_series.csv"

    /// Starts `recur` with `arguments` and returns the process, its stderr file and stdout pipe.
    static func start(_ arguments: [String]) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: recurBinary)
        process.arguments = arguments
        let errorPath = NSTemporaryDirectory() + "recur-fault-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, errorPath)
    }

    /// SIGINT and SIGTERM end training after the current step, with the best weights so far
    /// written to the output and the conventional status (128 + the signal).
    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func signalSavesTheBestWeights(signal: Int32, status: Int32) throws {
        let folder = temporaryFolder()
        let output = folder + "/model.h5"
        let (process, errors) = try Self.start([
            "train", "--arch", "SimpleRNN(8), Dense(1), Scale(100)", "--series", Self.series, "--epochs", "100000",
            "--lr", "1e-5", "--seed", "1", "--output", output,
        ])
        // Let a few epochs run, then interrupt.
        Thread.sleep(forTimeInterval: 1.5)
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus == status)
        let message = try String(contentsOfFile: errors, encoding: .utf8)
        #expect(message.contains("stopped by signal \(signal)"), "\(message)")
        #expect(message.contains(output))
        // The saved model loads and predicts.
        let predicted = try recur(["predict", output, "--input", "-"], input: (1...20).map(String.init).joined(separator: ",") + "\n")
        #expect(predicted.status == 0, "\(predicted.stderr)")
        #expect(Float(predicted.stdout.trimmingCharacters(in: .newlines))?.isFinite == true)
    }

    /// A learning rate far too high makes the loss overflow: training stops, names the epoch
    /// and step, keeps the last finite weights and suggests a lower rate.
    @Test func divergenceKeepsFiniteWeights() throws {
        let folder = temporaryFolder()
        let output = folder + "/model.h5"
        let result = try recur([
            "train", "--arch", "SimpleRNN(8, activation='relu'), Dense(1), Scale(100)", "--series", Self.series,
            "--epochs", "20", "--loss", "mse", "--lr", "1", "--momentum", "0.9", "--seed", "1", "--output", output, "--quiet",
        ])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("diverged at epoch"), "\(result.stderr)")
        #expect(result.stderr.contains("step"))
        #expect(result.stderr.contains("lower --lr"))
        let predicted = try recur(["predict", output, "--input", "-"], input: (1...20).map(String.init).joined(separator: ",") + "\n")
        #expect(predicted.status == 0, "\(predicted.stderr)")
    }

    /// Killing an export at any moment leaves either the old file or the whole new one, and
    /// no half-written file at the path.
    @Test func killDuringExportLeavesAWholeFile() throws {
        let folder = temporaryFolder()
        let target = folder + "/model.h5"
        let old = Data("the old file".utf8)
        let source = Fixtures.repository + "/models/e4_bilstm3.h5"
        for attempt in 0..<12 {
            try old.write(to: URL(fileURLWithPath: target))
            let (process, _) = try Self.start(["export", source, "--output", target])
            Thread.sleep(forTimeInterval: Double(attempt) * 0.004)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let now = try Data(contentsOf: URL(fileURLWithPath: target))
            if now != old {
                // The new file, complete: it loads.
                let inspected = try recur(["inspect", target])
                #expect(inspected.status == 0, "attempt \(attempt): \(inspected.stderr)")
            }
        }
    }
}

@Suite struct MemoryLimitTests {
    /// A model whose arena would pass --max-memory is refused before anything is allocated,
    /// with the size it needed.
    @Test func refusedBeforeAllocating() throws {
        let result = try recur(["predict", Fixtures.path("external/m3_bilstm2.h5"), "--input", "-", "--max-memory", "64K"],
                               input: (1...20).map(String.init).joined(separator: ",") + "\n")
        #expect(result.status == 65)
        #expect(result.stderr.contains("would take") || result.stderr.contains("needs"), "\(result.stderr)")
        #expect(result.stderr.contains("bytes"))
        #expect(result.stderr.contains("--max-memory"))
        let train = try recur(["train", "--arch", "LSTM(512), Dense(1)", "--series", Fixtures.repository + "/models/course_series.csv",
                               "--batch", "4096", "--epochs", "1", "--max-memory", "1M", "--output", temporaryFolder() + "/x.h5"])
        #expect(train.status == 65)
        #expect(train.stderr.contains("more than the limit of 1.0 MB"), "\(train.stderr)")
        let fits = try recur(["predict", Fixtures.path("external/m3_bilstm2.h5"), "--input", "-", "--max-memory", "4M"],
                             input: (1...20).map(String.init).joined(separator: ",") + "\n")
        #expect(fits.status == 0, "\(fits.stderr)")
        let bad = try recur(["predict", Fixtures.path("external/m3_bilstm2.h5"), "--input", "-", "--max-memory", "lots"], input: "1\n")
        #expect(bad.status == 64)
    }
}

@Suite struct PreflightTests {
    /// A file that crashes libhdf5 itself (a heap index it trusts) is refused as damaged: the
    /// preflight child dies, the command says so and exits 65.
    @Test(arguments: ["inspect", "predict", "forecast", "stream", "export"])
    func libraryCrashBecomesARefusal(command: String) throws {
        let file = Fixtures.path("crash/heap_index_out_of_table.h5")
        var arguments = [command, file]
        switch command {
        case "predict": arguments += ["--input", "-"]
        case "export": arguments += ["--output", temporaryFolder() + "/x.h5"]
        case "forecast": arguments += ["--series", Fixtures.repository + "/models/course_series.csv"]
        case "stream": arguments += ["--window", "20"]
        default: break
        }
        let result = try recur(arguments, input: "1\n")
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr == "recur: \(file) is damaged: reading it crashed the process that checks it (a segmentation fault)\n")
    }

    /// The child's own refusal is the command's, word for word, status and all.
    @Test func childRefusalIsRelayed() throws {
        let result = try recur(["inspect", Fixtures.path("bad/nan_weight.h5")])
        #expect(result.status == 65)
        #expect(result.stderr.hasPrefix("recur: \(Fixtures.path("bad/nan_weight.h5")): weight 'kernel' of layer 'lstm' holds nan"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
