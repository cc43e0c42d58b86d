import Foundation
import RecurTestSupport
import Testing

/// `recur stream` as a long-running process at the end of a pipe: flushing, a reader that goes
/// away, and stop signals. Every wait has a deadline, so a failure cannot hang the suite.
@Suite struct StreamProcessTests {
    static let m1 = Fixtures.path("external/m1_simplernn.h5")

    /// A consumer that sends one line and waits sees its forecast without sending more and
    /// without closing standard input.
    @Test func pipeConsumerGetsEachForecastAtOnce() throws {
        // Texts that are exact float32 values, as the warm-up file's float64 values are rounded once.
        let values = courseSeriesText.prefix(23).map { String(format: "%.9g", Float(Double($0)!)) }
        let folder = temporaryFolder()
        try values[0..<20].joined(separator: "\n").write(toFile: folder + "/history.csv", atomically: true, encoding: .utf8)
        let expected = try predictLines(Self.m1, slidingWindows(values, 20))

        let session = try RecurSession(["stream", Self.m1, "--window", "20", "--warmup", folder + "/history.csv"])
        for (index, value) in values[20...].enumerated() {
            session.send(value + "\n")
            let line = session.readLine(within: 20)
            #expect(line == expected[index + 1], "no forecast within 20 s of sending line \(index + 1): \(session.errorText)")
            if line == nil { return }
        }
        try session.closeInput()
        #expect(session.waitForExit(within: 20) == 0)
        #expect(session.errorText.isEmpty)
    }

    /// `| head -1`: the reader goes away after one line while input keeps coming; recur ends at
    /// once, quietly, with status 0.
    @Test func closedStandardOutputEndsQuietly() throws {
        let folder = temporaryFolder()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", """
            yes 1.5 | timeout 60 "$RECUR" stream "$MODEL" --window 3 2> "$FOLDER/stderr" | head -1 > "$FOLDER/stdout"
            echo "${PIPESTATUS[1]}" > "$FOLDER/status"
            """]
        process.environment = ["RECUR": recurBinary, "MODEL": Fixtures.path("stream/tiny_rnn.h5"), "FOLDER": folder, "PATH": "/usr/bin:/bin"]
        try process.run()
        process.waitUntilExit()
        let read = { (name: String) in (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)) ?? "" }
        #expect(read("status") == "0\n")
        #expect(read("stderr") == "")
        #expect(read("stdout").split(separator: "\n").count == 1)
    }

    /// SIGTERM or SIGINT while recur waits in read(2) ends it cleanly: status 0, the statistics
    /// printed, nothing else said. With a Bidirectional model the kernel runs a second thread,
    /// which must not take the signal away from the wait.
    @Test(arguments: [(SIGTERM, "external/m1_simplernn.h5"), (SIGINT, "external/m1_simplernn.h5"), (SIGTERM, "external/m3_bilstm2.h5")])
    func stopSignalDuringABlockingReadEndsCleanly(signal: Int32, model: String) throws {
        let values = Array(courseSeriesText.prefix(20))
        let session = try RecurSession(["stream", Fixtures.path(model), "--window", "20", "--stats"])
        session.send(values.joined(separator: "\n") + "\n")
        // The forecast proves the loop has run; with nothing more to read it blocks in read(2).
        #expect(session.readLine(within: 20) != nil)
        usleep(100_000)
        kill(session.process.processIdentifier, signal)
        #expect(session.waitForExit(within: 20) == 0)
        let errors = session.errorText.split(separator: "\n").map(String.init)
        #expect(errors.first == "samples read: 20")
        #expect(errors.count == 4, "\(errors)")
    }
}
