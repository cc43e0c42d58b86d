import Foundation
import RecurTestSupport
import Testing

/// `recur stream` end to end: its numbers are `recur predict`'s, character for character, on the
/// same windows.
@Suite struct StreamCommandTests {
    static let m1 = Fixtures.path("external/m1_simplernn.h5")
    static let fixedWindow = Fixtures.path("stream/fixed_window.h5")
    static let twoOutputs = Fixtures.path("stream/two_outputs.h5")

    /// Output line i is the forecast from samples i ..< i+W, exactly as predict prints it.
    @Test(arguments: [
        ("external/m1_simplernn.h5", 20, 120, true),
        ("external/m3_bilstm2.h5", 20, 40, true),
        ("external/m8_lstm_nolambda.h5", 20, 60, true),
        // The file fixes its window (12): no --window needed.
        ("stream/fixed_window.h5", 12, 120, false),
    ])
    func matchesPredictBitForBit(model: String, window: Int, samples: Int, givesWindow: Bool) throws {
        let path = Fixtures.path(model)
        let values = Array(courseSeriesText.prefix(samples))
        let result = try recur(["stream", path] + (givesWindow ? ["--window", "\(window)"] : []),
                               input: values.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let expected = try predictLines(path, slidingWindows(values, window))
        #expect(expected.count == samples - window + 1)
        #expect(result.stdout.split(separator: "\n").map(String.init) == expected)
    }

    @Test func variableLengthModelNeedsAWindow() throws {
        let result = try recur(["stream", Self.m1], input: "1\n")
        #expect(result.status == 64)
        #expect(result.stderr == "recur: \(Self.m1) takes windows of any length; say how long with --window\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func windowThatContradictsTheFileIsUsage() throws {
        let result = try recur(["stream", Self.fixedWindow, "--window", "5"], input: "1\n")
        #expect(result.status == 64)
        #expect(result.stderr == "recur: \(Self.fixedWindow) takes windows of 12 steps, not 5\n")
    }

    @Test func missingWarmupFileIs66() throws {
        let result = try recur(["stream", Self.m1, "--window", "20", "--warmup", "/nonexistent/history.csv"], input: "1\n")
        #expect(result.status == 66)
        #expect(result.stderr.contains("/nonexistent/history.csv"))
    }

    /// History fills the window, so that the first line read already gives a forecast; a short
    /// history fills it partly.
    @Test func warmupFillsTheWindow() throws {
        // Texts that are exact float32 values, as the warm-up file's float64 values are rounded once.
        let values = courseSeriesText.prefix(60).map { String(format: "%.9g", Float(Double($0)!)) }
        let folder = temporaryFolder()
        let history = folder + "/history.csv"
        try ("time,value\n" + values[0..<30].enumerated().map { "\($0.offset),\($0.element)\n" }.joined())
            .write(toFile: history, atomically: true, encoding: .utf8)
        let live = Array(values[30..<40])
        let result = try recur(["stream", Self.m1, "--window", "20", "--warmup", history], input: live.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let expected = try predictLines(Self.m1, slidingWindows(Array(values[11..<40]), 20))
        #expect(expected.count == live.count)
        #expect(result.stdout.split(separator: "\n").map(String.init) == expected)

        let short = folder + "/short.csv"
        try values[0..<5].joined(separator: "\n").write(toFile: short, atomically: true, encoding: .utf8)
        let partly = try recur(["stream", Self.m1, "--window", "20", "--warmup", short], input: values[5..<22].joined(separator: "\n") + "\n")
        #expect(partly.status == 0, "\(partly.stderr)")
        #expect(partly.stdout.split(separator: "\n").map(String.init) == (try predictLines(Self.m1, slidingWindows(Array(values[0..<22]), 20))))
    }

    /// `--column 2` takes the value after a timestamp, in the input and in the warm-up file; a
    /// line without that field, or with it empty, is reported and skipped.
    @Test func columnTakesOneFieldOfEachLine() throws {
        let values = courseSeriesText.prefix(40).map { String(format: "%.9g", Float(Double($0)!)) }
        let stamped = values.enumerated().map { "2024-03-01T10:\($0.offset):00,\($0.element),sensor-7" }
        let folder = temporaryFolder()
        let history = folder + "/history.csv"
        try stamped[0..<10].joined(separator: "\n").write(toFile: history, atomically: true, encoding: .utf8)
        var input = Array(stamped[10..<40])
        input.insert("2024-03-01T10:99:00", at: 15)
        input.insert("2024-03-01T10:99:01,,sensor-7", at: 5)
        let result = try recur(["stream", Self.m1, "--window", "20", "--column", "2", "--warmup", history],
                               input: input.joined(separator: "\n") + "\n")
        #expect(result.status == 65)
        #expect(result.stderr == """
            recur: line 6: field 2 is empty
            recur: line 17: has 1 field, not the 2 that --column asks for
            recur: 2 lines of standard input were skipped

            """)
        #expect(result.stdout.split(separator: "\n").map(String.init) == (try predictLines(Self.m1, slidingWindows(values, 20))))
    }

    /// Each line holds the next H forecasts, each made from the window that ends with the ones
    /// before it: the same as predicting step by step, feeding predict's printed output back.
    @Test func horizonFeedsForecastsBack() throws {
        let horizon = 3
        let values = Array(courseSeriesText.prefix(26))
        let result = try recur(["stream", Self.m1, "--window", "20", "--horizon", "\(horizon)"], input: values.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")

        var windows = slidingWindows(values, 20)
        var steps: [[String]] = []
        for _ in 0..<horizon {
            let forecasts = try predictLines(Self.m1, windows)
            steps.append(forecasts)
            windows = zip(windows, forecasts).map { Array($0.dropFirst()) + [$1] }
        }
        let expected = windows.indices.map { line in steps.map { $0[line] }.joined(separator: ",") }
        #expect(expected.count == 7)
        #expect(result.stdout.split(separator: "\n").map(String.init) == expected)
    }

    @Test func modelWithTwoOutputsPrintsBothButHasNoHorizon() throws {
        let values = Array(courseSeriesText.prefix(10))
        let result = try recur(["stream", Self.twoOutputs, "--window", "4"], input: values.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines == (try predictLines(Self.twoOutputs, slidingWindows(values, 4))))
        #expect(lines.allSatisfy { $0.split(separator: ",").count == 2 })

        let refused = try recur(["stream", Self.twoOutputs, "--window", "4", "--horizon", "2"], input: "1\n")
        #expect(refused.status == 64)
        #expect(refused.stderr == "recur: \(Self.twoOutputs) outputs 2 values per window; --horizon feeds each forecast back as the next sample, so it needs a model that outputs one\n")
    }

    /// A bad line is named on standard error with its number and skipped: the window is as if
    /// the line were not there, and the status at the end is 65.
    @Test(arguments: [
        ("abc", "'abc' is not a number"),
        ("12 34", "'12 34' is not a number"),
        ("1.2.3", "'1.2.3' is not a number"),
        ("0x1p3", "'0x1p3' is not a number"),
        ("nan", "'nan' is not a finite number"),
        ("-inf", "'-inf' is not a finite number"),
        ("Infinity", "'Infinity' is not a finite number"),
        ("1e39", "'1e39' is not a finite float32"),
        ("-3.5e38", "'-3.5e38' is not a finite float32"),
        ("caf\u{E9}\u{1}", "'caf???' is not a number"),
        (String(repeating: "1", count: 200), "'\(String(repeating: "1", count: 40))…' is too long to be a number"),
        // Longer than the line buffer, whole in one read and spread over several.
        (String(repeating: "7", count: 5000), "is longer than 4096 bytes"),
        (String(repeating: "x", count: 200_000), "is longer than 4096 bytes"),
    ])
    func badLineIsReportedAndSkipped(line: String, message: String) throws {
        let values = Array(courseSeriesText.prefix(26))
        var input = values
        input.insert(line, at: 22)
        let result = try recur(["stream", Self.m1, "--window", "20"], input: input.joined(separator: "\n") + "\n")
        #expect(result.status == 65)
        #expect(result.stderr == "recur: line 23: \(message)\nrecur: 1 line of standard input was skipped\n")
        #expect(result.stdout.split(separator: "\n").map(String.init) == (try predictLines(Self.m1, slidingWindows(values, 20))))
    }

    @Test func strictStopsAtTheFirstBadLine() throws {
        let values = Array(courseSeriesText.prefix(30))
        var input = values
        input.insert("oops", at: 22)
        input.insert("again", at: 26)
        let result = try recur(["stream", Self.m1, "--window", "20", "--strict"], input: input.joined(separator: "\n") + "\n")
        #expect(result.status == 65)
        #expect(result.stderr == "recur: line 23: 'oops' is not a number\nrecur: stopped at line 23, the first line that is not a number (--strict)\n")
        #expect(result.stdout.split(separator: "\n").map(String.init) == (try predictLines(Self.m1, slidingWindows(Array(values[0..<22]), 20))))
    }

    /// Blank lines (empty, spaces, tabs, a lone carriage return) are ignored; spaces and `\r`
    /// around a number are not an error; a last line without a newline counts.
    @Test func blankLinesSpacesAndCarriageReturnsAreTolerated() throws {
        let values = Array(courseSeriesText.prefix(25))
        var text = ""
        for (index, value) in values.enumerated() {
            text += index % 3 == 0 ? "  \(value) \r\n" : "\(value)\r\n"
            if index % 4 == 0 { text += ["\n", "   \r\n", "\t\n", "\r\n"][index / 4 % 4] }
        }
        text += "  42.5\r"
        let result = try recur(["stream", Self.m1, "--window", "20"], input: text)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        #expect(result.stdout.split(separator: "\n").map(String.init) == (try predictLines(Self.m1, slidingWindows(values + ["42.5"], 20))))
    }

    @Test func statsCountSamplesSkipsAndForecasts() throws {
        let values = Array(courseSeriesText.prefix(30))
        let result = try recur(["stream", Self.m1, "--window", "20", "--stats"], input: (values + ["x"]).joined(separator: "\n") + "\n\n")
        #expect(result.status == 65)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        #expect(lines[0] == "recur: line 31: 'x' is not a number")
        #expect(lines[1...3] == ["samples read: 30", "lines skipped: 1", "forecasts written: 11"])
        #expect(lines[4].hasPrefix("microseconds per sample, read to flush: p50 "))
        #expect(lines[4].contains(", p99 ") && lines[4].contains(", max "))
    }
}
