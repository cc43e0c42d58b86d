import CAllocCounter
import Foundation
@testable import RecurKeras

/// Where the test fixtures live (`Tests/Fixtures`), found from this file's path.
public enum Fixtures {
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        url.deleteLastPathComponent()
        url.deleteLastPathComponent()
        return url.appendingPathComponent("Fixtures").path
    }()

    /// The repository's root folder.
    public static let repository: String = {
        URL(fileURLWithPath: root).deletingLastPathComponent().deletingLastPathComponent().path
    }()

    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// Every `*.io.h5` under `folder` (relative to the fixtures root), sorted, as paths
    /// relative to the fixtures root.
    public static func ioFiles(in folder: String) -> [String] {
        let base = path(folder)
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        var found: [String] = []
        // `minimal/` holds hand-written files with a reference of their own.
        for case let entry as String in enumerator where entry.hasSuffix(".io.h5") && !entry.hasPrefix("minimal/") {
            found.append(folder + "/" + entry)
        }
        return found.sorted()
    }
}

/// A numeric dataset read from an HDF5 file.
public struct Dataset: Sendable {
    public let shape: [Int]
    public let values: [Float]
}

public enum FixtureError: Error, CustomStringConvertible {
    case missing(String)
    public var description: String {
        switch self { case .missing(let what): return what }
    }
}

/// Reads dataset `name` of the HDF5 file at `path` as float32.
public func readDataset(_ path: String, _ name: String) throws -> Dataset {
    try withHDF5 { () throws -> Dataset in
        let reader = try HDF5Reader(path: path)
        guard reader.exists(name) else { throw FixtureError.missing("\(path) has no dataset \(name)") }
        let dataset = try reader.openDataset(name)
        let info = try reader.datasetInfo(dataset)
        let count = info.shape.reduce(1, *)
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { try reader.readFloats(dataset, into: $0.baseAddress!, count: count) }
        return Dataset(shape: info.shape, values: values)
    }
}

/// Whether the HDF5 file at `path` has a dataset `name`.
public func hasDataset(_ path: String, _ name: String) -> Bool {
    withHDF5 { (try? HDF5Reader(path: path))?.exists(name) ?? false }
}

/// A string-array attribute of the root group of `path`.
public func rootStrings(_ path: String, _ name: String) throws -> [String] {
    try withHDF5 { () throws -> [String] in
        let reader = try HDF5Reader(path: path)
        return try reader.stringArrayAttribute(name, on: reader.file.id) ?? []
    }
}

/// Heap allocations made by this thread while `body` runs.
public func allocations(_ body: () throws -> Void) rethrows -> Int64 {
    recur_alloc_counter_begin()
    defer { _ = recur_alloc_counter_end() }
    try body()
    return recur_alloc_counter_end()
}

/// Whether `got` matches Keras's `want` to float32 forward precision: every element within
/// `1e-5 · max(|want|, 1)`. Returns the worst ratio of error to allowance (≤ 1 passes).
public func worstError(_ got: [Float], _ want: [Float], relative: Double = 1e-5) -> Double {
    precondition(got.count == want.count)
    var worst = 0.0
    for (g, w) in zip(got, want) {
        let allowance = relative * max(abs(Double(w)), 1)
        worst = max(worst, abs(Double(g) - Double(w)) / allowance)
    }
    return worst
}

/// Runs `body`, ending the whole test process with a message if it has not returned after
/// `seconds`. For code that could hang in a C library, where a test's cancellation cannot reach:
/// the clock starts when `body` starts (Swift Testing's time limits count from when a test is
/// scheduled, so they fire when a loaded 2-core machine is busy with other suites), and the
/// watchdog runs on a Dispatch queue, outside the cooperative pool the tests share.
public func failingAfter<T, E: Error>(seconds: Int, _ what: String, _ body: () throws(E) -> T) throws(E) -> T {
    let watchdog = DispatchWorkItem {
        FileHandle.standardError.write(Data("\(what) did not return within \(seconds) s: a hang; stopping the tests\n".utf8))
        exit(70)
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds), execute: watchdog)
    defer { watchdog.cancel() }
    return try body()
}

/// A fresh folder under the temporary directory, `recur-NAME-…`.
public func temporaryFolder(_ name: String = "cli") -> String {
    let path = NSTemporaryDirectory() + "recur-\(name)-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `bytes` to `folder/name` and returns the path.
public func writeFile(_ folder: String, _ name: String, _ bytes: [UInt8]) -> String {
    let path = folder + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}
