import Foundation
import RecurTestSupport
import Testing

/// The course series' values exactly as its CSV spells them (`%.17g`).
let courseSeriesText: [String] = {
    let text = (try? String(contentsOfFile: Fixtures.repository + "/models/course_series.csv", encoding: .utf8)) ?? ""
    return text.split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[1]) }
}()

/// Every run of `window` consecutive values, in order.
func slidingWindows(_ values: [String], _ window: Int) -> [[String]] {
    values.count < window ? [] : (0...(values.count - window)).map { Array(values[$0..<$0 + window]) }
}

struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}

/// `recur predict MODEL` on `windows` (each a list of number texts), one output line per window:
/// the oracle that `recur stream` must match character for character.
func predictLines(_ model: String, _ windows: [[String]]) throws -> [String] {
    guard !windows.isEmpty else { return [] }
    let result = try recur(["predict", model, "--input", "-"], input: windows.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n")
    guard result.status == 0 else { throw CommandFailure(description: "predict failed: \(result.stderr)") }
    return result.stdout.split(separator: "\n").map(String.init)
}

/// Runs `recur` with standard input read from a file and standard output and error written to
/// files, so that inputs and outputs of any size pass without a pipe to fill.
func recurThroughFiles(_ arguments: [String], input: Data, environment: [String: String] = [:], keepOutput: Bool = true) throws -> Result {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let inputPath = folder + "/in", outputPath = keepOutput ? folder + "/out" : "/dev/null", errorPath = folder + "/err"
    try input.write(to: URL(fileURLWithPath: inputPath))
    if keepOutput { _ = FileManager.default.createFile(atPath: outputPath, contents: nil) }
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: recurBinary)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inputPath))
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    try process.run()
    process.waitUntilExit()
    let output = keepOutput ? (FileManager.default.contents(atPath: outputPath) ?? Data()) : Data()
    let errors = FileManager.default.contents(atPath: errorPath) ?? Data()
    return Result(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self), stderr: String(decoding: errors, as: UTF8.self))
}

/// A running `recur` that a test talks to line by line through pipes, never waiting longer
/// than a deadline (so that a missing flush fails the test instead of hanging it).
final class RecurSession {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errorPath = temporaryFolder() + "/stderr"
    private var pending = Data()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: recurBinary)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    func send(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    func closeInput() throws {
        try input.fileHandleForWriting.close()
    }

    /// The next line of standard output, or nil if none is complete within `seconds`.
    func readLine(within seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        let fd = output.fileHandleForReading.fileDescriptor
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending = Data(pending[(newline + 1)...])
                return line
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(fd, &chunk, chunk.count)
            guard count > 0 else { return nil }
            pending.append(contentsOf: chunk[0..<count])
        }
    }

    /// The exit status, or nil (and the process killed) if it does not end within `seconds`.
    func waitForExit(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            guard Date() < deadline else {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return nil
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    var errorText: String {
        String(decoding: FileManager.default.contents(atPath: errorPath) ?? Data(), as: UTF8.self)
    }
}
