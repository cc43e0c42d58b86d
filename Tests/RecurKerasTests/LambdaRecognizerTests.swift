import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurKeras

/// One case of Tests/Fixtures/lambda/*.json, written by tools/make_lambda_fixtures.py.
/// (Nested in the suite's name space so that other test files in this module cannot clash with it.)
extension LambdaRecognizerTests {
    struct Fixture: Sendable, CustomTestStringConvertible {
        let file: String
        let name: String
        let source: String
        let base64: String
        let expect: String
        let reasonContains: String?

        var testDescription: String { "\(file) \(name): \(source)" }

        static let directory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/lambda")

        /// One file per CPython version the recogniser supports.
        static let versionFiles = ["py36", "py37", "py38", "py39", "py310", "py311", "py312", "py313"]
        /// Lambdas copied from the real Keras 3 model m1_simplernn.h5 (Python 3.11).
        static let kerasFiles = ["keras3_m1_simplernn"]

        static func load(_ file: String) throws -> [Fixture] {
            let data = try Data(contentsOf: directory.appendingPathComponent(file + ".json"))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: String]])
            return try object.keys.sorted().map { name in
                let entry = object[name]!
                return Fixture(
                    file: file, name: name,
                    source: try #require(entry["source"]), base64: try #require(entry["base64"]),
                    expect: try #require(entry["expect"]), reasonContains: entry["reason_contains"])
            }
        }

        /// Every case of every file; a missing or unreadable file is caught by `fixtureFilesArePresent`.
        static let all: [Fixture] = (versionFiles + kerasFiles).flatMap { (try? load($0)) ?? [] }

        /// The operation `expect` names, or nil for "refuse".
        var expectedOperation: LambdaOperation? {
            guard expect != "refuse" else { return nil }
            let parts = expect.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            if parts[0] == "expand_dims" { return Int(parts[1]).map { .expandDims(axis: $0) } }
            guard let value = Double(parts[1]) else { return nil }
            let operators: [String: ArithmeticOperator] = [
                "multiply": .multiply, "divide": .divide, "add": .add, "subtract": .subtract, "subtract_from": .subtractFrom,
            ]
            return operators[parts[0]].map { .arithmetic($0, value) }
        }
    }
}

@Suite("LambdaRecognizer")
struct LambdaRecognizerTests {
    @Test("Fixture file is present and complete", arguments: Fixture.versionFiles + Fixture.kerasFiles)
    func fixtureFilesArePresent(file: String) throws {
        let cases = try Fixture.load(file)
        #expect(cases.count >= (file.hasPrefix("py") ? 30 : 2))
        for fixture in cases where fixture.expect != "refuse" {
            #expect(fixture.expectedOperation != nil, "unparseable expect \(fixture.expect) in \(file)")
        }
    }

    @Test("Fixture lambdas are recognised or refused as expected", arguments: Fixture.all)
    func fixture(_ fixture: Fixture) throws {
        if let expected = fixture.expectedOperation {
            let operation = try LambdaRecognizer.recognize(base64: fixture.base64)
            #expect(operation == expected)
        } else {
            let error = #expect(throws: LambdaRecognitionError.self) {
                try LambdaRecognizer.recognize(base64: fixture.base64)
            }
            if let error, let fragment = fixture.reasonContains {
                #expect(error.reason.contains(fragment), "reason: \(error.reason)")
            }
        }
    }

    @Test("The course's two Keras 3 lambdas")
    func kerasModelLambdas() throws {
        let cases = Dictionary(uniqueKeysWithValues: try Fixture.load("keras3_m1_simplernn").map { ($0.name, $0) })
        let expand = try #require(cases["m1_simplernn/lambda"])
        let scale = try #require(cases["m1_simplernn/lambda_1"])
        #expect(try LambdaRecognizer.recognize(base64: expand.base64) == .expandDims(axis: -1))
        #expect(try LambdaRecognizer.recognize(base64: scale.base64) == .arithmetic(.multiply, 100.0))
    }

    /// Standalone Keras 2.3.1 on TensorFlow 1.15 under Python 3.7 (Tests/Fixtures/MANIFEST.md):
    /// `Lambda(lambda x: tf.expand_dims(x, axis=-1))` first and `Lambda(lambda x: x * 100.0)` last,
    /// stored as `[code, null, null]`, with 3.7 code objects (no co_posonlyargcount).
    @Test("The Keras 2.3.1 / Python 3.7 course models load with their Lambdas recognised",
          arguments: ["course_simplernn", "course_bilstm"])
    func legacyKerasCourseModels(name: String) throws {
        let model = try KerasModel.load(path: Fixtures.path("keras-legacy/keras2.3.1-tf1.15/\(name).h5"))
        let lambdas = model.layers.filter { $0.className == "Lambda" }
        #expect(lambdas.map(\.name) == ["lambda_1", "lambda_2"])
        let expand = try #require(lambdas.first?.kernel)
        #expect(expand.kind == .expandDims)
        #expect(expand.axis == -1)
        let scale = try #require(lambdas.last?.kernel)
        #expect(scale.kind == .elementwise)
        #expect(scale.operation == .multiply)
        #expect(scale.constant == 100)
        #expect(model.layers.first?.name == "lambda_1")
        #expect(model.layers.last?.name == "lambda_2")
    }

    /// The same two lambdas as Keras 2.3.1 wrote them (Python 3.7: CALL_FUNCTION_KW, BINARY_MULTIPLY).
    static let python37Expand =
        "4wEAAAAAAAAAAQAAAAQAAABTAAAAcw4AAAB0AGoBfABkAWQCjQJTACkDTun/////KQHaBGF4aXMp\nAtoCdGbaC2V4cGFuZF9kaW1zKQHaAXipAHIGAAAA+h10b29scy9tYWtlX2xlZ2FjeV9maXh0dXJl\ncy5wedoIPGxhbWJkYT5VAAAA8wAAAAA=\n"
    static let python37Scale =
        "4wEAAAAAAAAAAQAAAAIAAABTAAAAcwgAAAB8AGQBFABTACkCTucAAAAAAABZQKkAKQHaAXhyAgAA\nAHICAAAA+h10b29scy9tYWtlX2xlZ2FjeV9maXh0dXJlcy5wedoIPGxhbWJkYT5XAAAA8wAAAAA=\n"

    @Test("Python 3.7 lambdas from Keras 2.3.1 are recognised")
    func python37KerasLambdas() throws {
        #expect(try LambdaRecognizer.recognize(base64: Self.python37Expand) == .expandDims(axis: -1))
        #expect(try LambdaRecognizer.recognize(base64: Self.python37Scale) == .arithmetic(.multiply, 100.0))
    }

    /// The recogniser relies on each code-object layout reading only its own versions' blobs
    /// (3.6–3.7 and 3.11–3.13 even have the same number of leading ints); a blob that fits none of
    /// them is refused with what went wrong under every layout.
    @Test("Code objects of one layout are not read by another")
    func layoutsAreExclusive() throws {
        for file in Fixture.versionFiles + Fixture.kerasFiles {
            for fixture in try Fixture.load(file) {
                let bytes = try Self.marshalled(fixture.base64)
                let readers = CodeObject.Layout.allCases.filter { (try? MarshalReader.readCode(bytes, layout: $0)) != nil }
                #expect(readers.count == 1, "\(file) \(fixture.name) is read as \(readers.map(\.versionRange))")
                if let minor = Int(file.dropFirst(3)), file.hasPrefix("py3") {
                    let table = try #require(OpcodeTable.all.first { $0.minor == minor })
                    #expect(readers == [table.layout], "\(file) \(fixture.name)")
                }
            }
        }
        for blob in [Self.python37Expand, Self.python37Scale] {
            let bytes = try Self.marshalled(blob)
            #expect(CodeObject.Layout.allCases.filter { (try? MarshalReader.readCode(bytes, layout: $0)) != nil } == [.python36to37])
        }
        let error = #expect(throws: LambdaRecognitionError.self) {
            try LambdaRecognizer.recognize(marshalled: [0xE3] + [UInt8](repeating: 0, count: 40))
        }
        #expect(error?.reason.hasPrefix("its code is not a marshalled CPython 3.6–3.13 code object (as 3.6–3.7, ") == true)
        #expect(error?.reason.contains("; as 3.8–3.10, ") == true)
        #expect(error?.reason.contains("; as 3.11–3.13, ") == true)
    }

    @Test("Refusals name what was found")
    func refusalReasons() throws {
        let cases = Dictionary(uniqueKeysWithValues: try Fixture.load("py311").map { ($0.name, $0) })
        func reason(_ name: String) throws -> String {
            let fixture = try #require(cases[name])
            do {
                _ = try LambdaRecognizer.recognize(base64: fixture.base64)
                Issue.record("\(name) was recognised")
                return ""
            } catch {
                return error.reason
            }
        }
        #expect(try reason("refuse_reshape") == "its code calls tf.reshape, which recur does not map")
        #expect(try reason("refuse_closure").contains("closure over scale"))
        #expect(try reason("refuse_two_arguments").contains("2 arguments (x, y)"))
    }

    // MARK: Malformed input: every case must throw, never trap or hang.

    /// `lambda x: x * 100.0` as Keras 3 saved it in m1_simplernn.h5 (Python 3.11).
    static let courseScale =
        "4wEAAAAAAAAAAAAAAAIAAAADAAAA8wwAAACXAHwAZAF6BQAAUwCpAk7nAAAAAAAAWUCpACkB2gF4\ncwEAAAAg+gljb3Vyc2UucHn6CDxsYW1iZGE+cgcAAAAtAAAA8woAAACAAJBhmCWRaYAA8wAAAAA=\n"

    static func marshalled(_ base64: String) throws -> [UInt8] {
        [UInt8](try #require(Data(base64Encoded: base64, options: .ignoreUnknownCharacters)))
    }

    @Test("Every truncation of real blobs throws")
    func truncated() throws {
        for fixture in try Fixture.load("py36") + Fixture.load("py38") + Fixture.load("py313") + Fixture.load("keras3_m1_simplernn") {
            let bytes = try Self.marshalled(fixture.base64)
            for length in 0..<bytes.count {
                #expect(throws: LambdaRecognitionError.self, "\(fixture.file) \(fixture.name) cut to \(length)") {
                    try LambdaRecognizer.recognize(marshalled: Array(bytes[..<length]))
                }
            }
        }
    }

    @Test("Line breaks in the base64 do not matter")
    func lineBreaks() throws {
        let text = Self.courseScale
        let expected = LambdaOperation.arithmetic(.multiply, 100)
        #expect(try LambdaRecognizer.recognize(base64: text.filter { $0 != "\n" }) == expected)
        #expect(try LambdaRecognizer.recognize(base64: text.replacingOccurrences(of: "\n", with: "\r\n")) == expected)
    }

    @Test("Trailing bytes are refused")
    func trailing() throws {
        let bytes = try Self.marshalled(Self.courseScale)
        #expect(try LambdaRecognizer.recognize(marshalled: bytes) == .arithmetic(.multiply, 100))
        #expect(throws: LambdaRecognitionError.self) { try LambdaRecognizer.recognize(marshalled: bytes + [0x4E]) }
    }

    @Test("Single-byte corruptions never trap")
    func corrupted() throws {
        for fixture in try Fixture.load("py37") + Fixture.load("py310") + Fixture.load("py312") {
            let bytes = try Self.marshalled(fixture.base64)
            for index in bytes.indices {
                for value: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF, bytes[index] ^ 0x40] {
                    var copy = bytes
                    copy[index] = value
                    _ = try? LambdaRecognizer.recognize(marshalled: copy)
                }
            }
        }
    }

    @Test("Random bytes throw")
    func randomBytes() {
        var generator = SplitMix64(seed: 0x5EED)
        for round in 0..<2000 {
            let count = Int(generator.next() % 300)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Half the time start like a code object, so that the reader gets past the first byte.
            if round % 2 == 0, !bytes.isEmpty { bytes[0] = 0xE3 }
            #expect(throws: LambdaRecognitionError.self) { try LambdaRecognizer.recognize(marshalled: bytes) }
        }
    }

    @Test("Bad base64 throws", arguments: ["", "@@@@", "4wEA*AAA", "4wE", "4w==AAAA", "4wEAAA===", "4wEAAAAA\u{0}"])
    func badBase64(_ text: String) {
        #expect(throws: LambdaRecognitionError.self) { try LambdaRecognizer.recognize(base64: text) }
    }

    @Test("Deep nesting, huge declared lengths and reference loops throw")
    func hostileStructures() {
        let cases: [(String, [UInt8])] = [
            ("100k nested small tuples", Array(repeating: [0x29, 0x01], count: 100_000).flatMap { $0 } + [0x4E]),
            ("100k nested code objects", Array(repeating: [0xE3] + [UInt8](repeating: 0, count: 20), count: 100_000).flatMap { $0 }),
            ("tuple of 2^31-1 items", [0x28, 0xFF, 0xFF, 0xFF, 0x7F]),
            ("negative tuple length", [0x28, 0xFF, 0xFF, 0xFF, 0xFF]),
            ("string of 2^31-1 bytes", [0x73, 0xFF, 0xFF, 0xFF, 0x7F]),
            ("long of 2^31-1 digits", [0x6C, 0xFF, 0xFF, 0xFF, 0x7F]),
            ("reference to itself", [0xA9, 0x01, 0x72, 0x00, 0x00, 0x00, 0x00]),
            ("reference out of range", [0x72, 0x05, 0x00, 0x00, 0x00]),
            ("unterminated dict", [0x7B] + Array(repeating: 0x4E, count: 1001)),
            ("unknown type", [0x3F]),
            ("NULL", [0x30]),
        ]
        for (name, bytes) in cases {
            #expect(throws: LambdaRecognitionError.self, "\(name)") { try LambdaRecognizer.recognize(marshalled: bytes) }
        }
    }

    @Test("Oversized input is refused before decoding")
    func oversized() {
        #expect(throws: LambdaRecognitionError.self) {
            try LambdaRecognizer.recognize(marshalled: [UInt8](repeating: 0x4E, count: 2 << 20))
        }
        #expect(throws: LambdaRecognitionError.self) {
            try LambdaRecognizer.recognize(base64: String(repeating: "AAAA", count: 1 << 20))
        }
    }
}

extension LambdaRecognizerTests {
    /// A tiny deterministic generator, so that the random-bytes test is reproducible.
    struct SplitMix64 {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
