import Foundation
import RecurTestSupport
import Testing
@testable import RecurCLI

/// What a careless user or an attacker hands recur on the command line, in a file or from the
/// system around it (issue 18): one sentence, the documented status, never a crash.
@Suite struct HostileInputTests {
    static let model = Fixtures.repository + "/models/e1_simplernn.h5"
    static let series = Fixtures.repository + "/models/course_series.csv"

    /// One line on standard error, `recur: …`, at most 300 characters, no control characters.
    static func expectOneSentence(_ result: Result, status: Int32, _ context: String = "") {
        #expect(result.status == status, "\(context): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "\(context): \(result.stderr)")
        #expect(result.stderr.hasPrefix("recur: "), "\(context): \(result.stderr)")
        #expect(lines[0].unicodeScalars.count <= 300, "\(context)")
        #expect(!lines[0].unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "\(context)")
    }

    /// Every numeric option of every command, at values that overflowed, trapped or were read as
    /// options: refused with 64 and a sentence naming the option.
    @Test(arguments: [
        (["inspect", model, "--batch"], "--batch"), (["inspect", model, "--window"], "--window"),
        (["inspect", model, "--momentum"], "--momentum"), (["stream", model, "--window", "20", "--horizon"], "--horizon"),
        (["stream", model, "--window"], "--window"), (["stream", model, "--window", "20", "--column"], "--column"),
        (["bench", model, "--iterations"], "--iterations"), (["bench", model, "--batch"], "--batch"),
        (["predict", model, "--input", "-", "--batch"], "--batch"), (["forecast", model, "--split"], "--split"),
        (["train", "--arch", "SimpleRNN(4), Dense(1)", "--output", "/nonexistent/x.h5", "--epochs"], "--epochs"),
        (["train", "--arch", "SimpleRNN(4), Dense(1)", "--output", "/nonexistent/x.h5", "--lr"], "--lr"),
        (["train", "--arch", "SimpleRNN(4), Dense(1)", "--output", "/nonexistent/x.h5", "--delta"], "--delta"),
        (["lr-find", "--arch", "SimpleRNN(4), Dense(1)", "--per-decade"], "--per-decade"),
    ])
    func numericOptionsOutOfRange(arguments: [String], option: String) throws {
        // Whole numbers: none of these is in range (a split of 2^31 is past any series); reals
        // take 2^31 and 2^63 − 1, and momentum 0.
        let isReal = ["--lr", "--delta", "--per-decade", "--momentum"].contains(option)
        for value in ["0", "-1", "2147483648", "9223372036854775807", "nan", "inf", "1e308"] {
            if isReal && (value.count > 9 || (value == "0" && option == "--momentum")) { continue }
            let result = try recur(arguments + [value], input: "")
            Self.expectOneSentence(result, status: 64, "\(option) \(value)")
            #expect(result.stderr.contains(option), "\(option) \(value): \(result.stderr)")
        }
    }

    /// A negative value is out of range, not a missing value.
    @Test func negativeValueIsOutOfRange() throws {
        let result = try recur(["inspect", Self.model, "--window", "-1"])
        #expect(result.stderr == "recur: --window -1 is out of range: it must be a whole number in [1, 1048576]\n")
        #expect(result.status == 64)
    }

    /// swift-argument-parser's own errors: one sentence, 64; help still goes to standard output.
    @Test(arguments: [["inspect"], ["inspekt"], ["inspect", model, "--no-such-option"], ["inspect", model, "--window", "x"]])
    func parserErrorsAreOneSentence(arguments: [String]) throws {
        Self.expectOneSentence(try recur(arguments), status: 64, arguments.joined(separator: " "))
    }

    @Test func helpIsStillHelp() throws {
        let help = try recur(["help", "train"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE"))
    }

    /// A failed write to standard output is 73 for every command, as for an output file.
    @Test(arguments: [["help"], ["inspect", model], ["forecast", model], ["predict", model, "--input", "-"]])
    func standardOutputOnAFullDevice(arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: recurBinary)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
        let errors = Pipe(), input = Pipe()
        process.standardError = errors
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(((1...20).map(String.init).joined(separator: ",") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 73, "\(arguments): \(text)")
        #expect(text == "recur: standard output cannot be written: No space left on device\n")
    }

    /// What a file or a user says reaches the terminal escaped and cut short.
    @Test func echoedTextIsEscapedAndCut() {
        #expect(ConsoleText.line("class \u{1B}]0;pwned\u{07} here") == "class \\x1b]0;pwned\\x07 here")
        #expect(ConsoleText.line("one\nrecur: forged") == "one\\nrecur: forged")
        #expect(ConsoleText.line("del \u{7F} c1 \u{9B} bidi \u{202E}") == "del \\x7f c1 \\x9b bidi \\u{202e}")
        #expect(ConsoleText.line("café ✓") == "café ✓")
        let long = ConsoleText.line("start " + String(repeating: "x", count: 1_000_000) + " end")
        #expect(long.unicodeScalars.count == 300)
        #expect(long.hasPrefix("start ") && long.hasSuffix(" end") && long.contains("…"))
    }

    /// A layer name that holds terminal escapes and a newline: the error stays one safe line.
    @Test func escapesInAFileStayEscaped() throws {
        let folder = temporaryFolder()
        let config = #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "X\u001b]0;pwned\u0007\nrecur: forged", "config": {"name": "a"}}]}}"#
        let path = writeFile(folder, "config.json", Array(config.utf8))
        let result = try recur(["inspect", Fixtures.path("stream/tiny_rnn.h5"), "--config", path])
        Self.expectOneSentence(result, status: 65)
        #expect(result.stderr.contains("\\x1b]0;pwned\\x07\\nrecur: forged"), "\(result.stderr)")
    }

    /// Layer names from a file reach the summary table escaped too (Keras 3 binds weights by
    /// class and position, so the names can say anything).
    @Test func layerNamesInTheTableAreEscaped() throws {
        let text = try String(contentsOfFile: Fixtures.path("formats/k3_named.json"), encoding: .utf8)
            .replacingOccurrences(of: #""name": "enc""#, with: #""name": "e\u001b[31mnc""#)
        let config = writeFile(temporaryFolder(), "escaped.json", Array(text.utf8))
        let result = try recur(["inspect", Fixtures.path("formats/k3_named.weights.h5"), "--config", config])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("e\\x1b[31mnc"), "\(result.stdout)")
        #expect(!result.stdout.contains("\u{1B}"))
    }

    /// CRLF line ends and a byte-order mark: the same series as the plain file.
    @Test func windowsFilesReadAsTheSameSeries() throws {
        let plain = try String(contentsOfFile: Self.series, encoding: .utf8)
        let folder = temporaryFolder()
        let crlf = writeFile(folder, "crlf.csv", Array(plain.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        let bom = writeFile(folder, "bom.csv", [0xEF, 0xBB, 0xBF] + Array(plain.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        let expected = try recur(["forecast", Self.model, "--series", Self.series, "--window", "20"])
        #expect(expected.status == 0)
        for file in [crlf, bom] {
            let result = try recur(["forecast", Self.model, "--series", file, "--column", "value", "--window", "20", "--time-column", "time", "--plot", folder + "/p.svg"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == expected.stdout)
        }
        // predict's lines too.
        let windows = "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20"
        let lf = try recur(["predict", Self.model, "--input", "-"], input: windows + "\n" + windows + "\n")
        let crlfInput = try recur(["predict", Self.model, "--input", "-"], input: "\u{FEFF}" + windows + "\r\n" + windows + "\r\n")
        #expect(crlfInput.status == 0, "\(crlfInput.stderr)")
        #expect(crlfInput.stdout == lf.stdout)
    }

    /// A value beyond float32 in a series is refused with its line, not averaged into `inf`.
    @Test func valueBeyondFloat32IsRefused() throws {
        let folder = temporaryFolder()
        let path = writeFile(folder, "big.csv", Array("time,value\n0,1\n1,1e39\n".utf8))
        let result = try recur(["forecast", Self.model, "--series", path, "--window", "20"])
        Self.expectOneSentence(result, status: 65)
        #expect(result.stderr.contains("line 3: '1e39' is not a finite float32"), "\(result.stderr)")
    }

    /// A 20 MB field is refused at once (line length, linear time), quoted short.
    @Test func hugeFieldIsRefusedQuickly() throws {
        let folder = temporaryFolder()
        let path = writeFile(folder, "long.csv", Array(("value\n" + String(repeating: "1", count: 20 << 20) + "\n").utf8))
        let started = Date()
        let result = try recur(["forecast", Self.model, "--series", path, "--window", "20"])
        Self.expectOneSentence(result, status: 65)
        #expect(result.stderr.contains("line 2 is longer than"), "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    /// A FIFO that nobody writes to is refused after a bounded wait, not waited on forever.
    @Test func fifoWithoutAWriterIsRefused() throws {
        let folder = temporaryFolder()
        let fifo = folder + "/series.csv"
        #expect(mkfifo(fifo, 0o600) == 0)
        let result = try recur(["forecast", Self.model, "--series", fifo, "--window", "20"])
        Self.expectOneSentence(result, status: 66)
        #expect(result.stderr.contains("nothing arrived"), "\(result.stderr)")
    }

    /// Lambda constants that are not finite float32s, and division by zero, are refused.
    @Test(arguments: ["scale:nan", "scale:inf", "divide:0", "add:1e308"])
    func lambdaConstantsAreChecked(operation: String) throws {
        let result = try recur(["inspect", Fixtures.repository + "/models/e1_simplernn.h5", "--lambda", "lambda_1=" + operation])
        Self.expectOneSentence(result, status: 64, operation)
        #expect(result.stderr.contains("--lambda lambda_1=" + operation))
    }

    /// Times at float32's ends, or a billion apart by a unit, on the plot's axis: drawn, not
    /// trapped or looped over; times beyond float32 are refused with their line.
    @Test(arguments: [("-3e38", "3e38", Int32(0)), ("1e17", "1.00000000000000016e17", 0), ("-1e308", "1e308", 65)])
    func extremeTimesPlot(low: String, high: String, status: Int32) throws {
        let folder = temporaryFolder()
        let values = try String(contentsOfFile: Self.series, encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",")[1] }
        let rows = values.enumerated().map { "\($0.offset % 2 == 0 ? low : high),\($0.element)" }
        let path = writeFile(folder, "t.csv", Array(("time,value\n" + rows.joined(separator: "\n") + "\n").utf8))
        let result = try recur(["forecast", Self.model, "--series", path, "--column", "value", "--time-column", "time", "--plot", folder + "/t.svg", "--window", "20"])
        #expect(result.status == status, "\(result.stderr)")
        if status != 0 { #expect(result.stderr.contains("line 2: '\(low)' is not a finite float32"), "\(result.stderr)") }
    }

    /// A stateful model runs the batch it was built for in bench, whatever --batch asks.
    @Test func benchOfAStatefulModel() throws {
        let result = try recur(["bench", Fixtures.path("stateful/keras3/stateful_lstm.h5"), "--window", "4", "--iterations", "10", "--batch", "8", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// --max-memory bounds what recur allocates from the user's numbers, before it allocates.
    @Test func maxMemoryRefusesLargeArchitecturesBeforeAllocating() throws {
        let result = try recur(["train", "--arch", "LSTM(16384), Dense(1)", "--max-memory", "1G", "--series", Self.series, "--output", temporaryFolder() + "/x.h5"])
        Self.expectOneSentence(result, status: 65)
        #expect(result.stderr.contains("more than the limit of 1024.0 MB"), "\(result.stderr)")
        let stream = try recur(["stream", Self.model, "--window", "20", "--horizon", "1000000", "--max-memory", "1M"], input: "1\n")
        Self.expectOneSentence(stream, status: 65)
    }

    /// The preflight runs whatever the binary is called, and a model path that starts with `-`
    /// reaches it as a path.
    @Test func preflightCannotBeSkipped() throws {
        let folder = temporaryFolder()
        let copy = folder + "/recur-1.0"
        try FileManager.default.copyItem(atPath: recurBinary, toPath: copy)
        let crashing = Fixtures.path("crash/heap_index_out_of_table.h5")
        try FileManager.default.copyItem(atPath: crashing, toPath: folder + "/-x.h5")
        for (binary, arguments) in [(copy, ["inspect", crashing]), (recurBinary, ["inspect", "--", "-x.h5"])] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: folder)
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit && process.terminationStatus == 65, "\(binary) \(arguments): \(text)")
            #expect(text.contains("is damaged: reading it crashed the process that checks it"), "\(text)")
        }
    }
}
