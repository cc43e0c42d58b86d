import Foundation
import RecurTestSupport
import Testing
@testable import RecurKeras

/// Inputs the fuzzers (tools/fuzz.sh) found that crashed or hung recur, kept so that they stay
/// fixed. Each must now be refused with one sentence naming the file, status 65.
///
/// The first ones are damaged global heaps (the "GCOL" collections that hold h5py's
/// variable-length strings: model_config, layer_names, weight_names), which libhdf5 1.10 reads
/// without checking: a free-space object of size 0 made it loop forever in
/// H5HG__cache_heap_deserialize, and an object larger than its collection made H5HG_read copy
/// tens of gigabytes past the heap's buffer. GlobalHeapCheck (HDF5.swift) now refuses them before
/// libhdf5 opens the file.
@Suite struct FuzzRegressionTests {
    static func expectRefused(_ path: String, mentioning words: [String]) {
        expectRefusal(65, words, naming: path) { () throws(RecurError) in
            try failingAfter(seconds: 60, "loading \(path)") { () throws(RecurError) in try KerasModel.load(path: path) }
        }
    }

    /// The fuzzer's own inputs (tools/fuzz.sh h5), as it wrote them.
    @Test(arguments: [
        ("heap_free_space_zero.h5", "loop forever"),  // was: a hang in H5HG__cache_heap_deserialize
        ("heap_object_past_end.h5", "past the end of the heap"),  // was: H5HG_read, memcpy of 2^35 bytes
    ])
    func fuzzerInput(name: String, reason: String) {
        Self.expectRefused(Fixtures.path("fuzz/h5/" + name), mentioning: ["damaged", "global heap", reason])
    }

    /// A valid model with one field of its global heap changed: each of the checks on its own.
    static let valid = Fixtures.path("bad/valid.h5")

    /// (what is damaged, byte offset from the collection's "GCOL", new little-endian value, the
    /// words of the refusal). The collection of valid.h5: header of 16 bytes (signature, version,
    /// reserved, size), then objects of a 16-byte header (index, references, reserved, size) and
    /// their data padded to 8 bytes; object 1 is the 314-byte model_config.
    static let damages: [(String, Int, UInt64, String)] = [
        ("collection smaller than its header", 8, 16, "less than any HDF5 writes"),
        ("collection past the end of the file", 8, 1 << 40, "past the end of the file"),
        ("object 1 larger than the collection", 16 + 8, 1 << 35, "past the end of the heap"),
        ("object size that is not a length", 16 + 8, UInt64.max, "absurd size"),
    ]

    @Test(arguments: damages)
    func damagedGlobalHeap(what: String, offset: Int, value: UInt64, words: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.valid)))
        let start = try #require(Self.collection(in: bytes))
        for byte in 0..<8 { bytes[start + offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
        let path = NSTemporaryDirectory() + "recur-fuzz-regression-\(getpid())-\(offset)-\(value).h5"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        Self.expectRefused(path, mentioning: ["global heap at byte \(start)", words])
    }

    /// A free-space object (index 0) of size 0, at the end of valid.h5's objects.
    @Test func emptyFreeSpace() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.valid)))
        let start = try #require(Self.collection(in: bytes))
        var position = start + 16
        while bytes[position] != 0 || bytes[position + 1] != 0 {
            let size = (0..<8).reduce(0) { $0 | Int(bytes[position + 8 + $1]) << (8 * $1) }
            position += 16 + (size + 7) / 8 * 8
        }
        for byte in 0..<8 { bytes[position + 8 + byte] = 0 }
        let path = NSTemporaryDirectory() + "recur-fuzz-regression-\(getpid())-free.h5"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        Self.expectRefused(path, mentioning: ["loop forever"])
    }

    /// Every model the tests read passes the check (it must never refuse a file Keras wrote).
    @Test func everyFixturePasses() throws {
        let root = Fixtures.root
        let files = FileManager.default.enumerator(atPath: root)!.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".h5") && !$0.hasPrefix("fuzz/") }
        #expect(files.count > 100)
        for file in files {
            #expect(GlobalHeapCheck.problem(inFileAt: root + "/" + file) == nil, "\(file)")
        }
    }

    static func collection(in bytes: [UInt8]) -> Int? {
        let signature = Array("GCOL".utf8)
        return (0..<bytes.count - 4).first { Array(bytes[$0..<$0 + 4]) == signature }
    }
}
