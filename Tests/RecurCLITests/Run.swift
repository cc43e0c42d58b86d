import Foundation
import RecurTestSupport

/// The `recur` executable built beside the test bundle.
let recurBinary: String = {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    return executable.deletingLastPathComponent().appendingPathComponent("recur").path
}()

struct Result {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `recur` with `arguments` (and `input` on standard input) and waits for it.
func recur(_ arguments: [String], input: String? = nil, in folder: String? = nil) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: recurBinary)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
    // Standard error goes to a file, so that reading standard output to its end cannot
    // deadlock against a child blocked on a full error pipe.
    let errorPath = NSTemporaryDirectory() + "recur-stderr-" + UUID().uuidString
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errorPath) }
    let output = Pipe(), stdin = Pipe()
    process.standardOutput = output
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errData = FileManager.default.contents(atPath: errorPath) ?? Data()
    return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}

/// Fixture rows as predict input: one sample per line, `%.9g`, time-major.
func predictInput(_ dataset: Dataset) -> String {
    let width = dataset.values.count / dataset.shape[0]
    return (0..<dataset.shape[0]).map { row in
        dataset.values[row * width..<(row + 1) * width].map { String(format: "%.9g", $0) }.joined(separator: ",")
    }.joined(separator: "\n") + "\n"
}

func parseRows(_ text: String) -> [[Float]] {
    text.split(separator: "\n").map { $0.split(separator: ",").map { Float(String($0))! } }
}
