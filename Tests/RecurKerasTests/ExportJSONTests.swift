import Testing
@testable import RecurKeras

/// `JSON.serialized()`: what the exporter writes as `model_config`.
@Suite struct ExportJSONTests {
    @Test func keepsKeyOrderWithPythonSeparators() {
        let value = JSON.object([("b", .number(1)), ("a", .array([.bool(true), .null, .bool(false)])), ("c", .object([]))])
        #expect(value.serialized() == #"{"b": 1, "a": [true, null, false], "c": {}}"#)
    }

    @Test func integersHaveNoFraction() {
        #expect(JSON.array([.number(20), .number(-3), .number(0), .number(1e15)]).serialized() == "[20, -3, 0, 1000000000000000]")
        #expect(JSON.number(-0.0).serialized() == "-0.0")
        #expect(JSON.number(0.5).serialized() == "0.5")
    }

    /// Every double prints as text that parses back to the same bits.
    @Test func numbersParseBackExactly() throws {
        var values: [Double] = [
            0.1, 1.0 / 3, 1e-8, Double(Float(0.001)), 100, -0.0, 9_007_199_254_740_992, 1e300, -2.5e-310,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, Double(Float.greatestFiniteMagnitude),
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        while values.count < 2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Double(bitPattern: state)
            if value.isFinite { values.append(value) }
        }
        for value in values {
            let parsed = try JSON.parse(JSON.number(value).serialized())
            #expect(parsed.number?.bitPattern == value.bitPattern, "\(value) → \(JSON.number(value).serialized())")
        }
    }

    @Test func nonFiniteNumbersAreWrittenAsPythonDoes() throws {
        let value = JSON.array([.number(.nan), .number(.infinity), .number(-.infinity)])
        #expect(value.serialized() == "[NaN, Infinity, -Infinity]")
        let parsed = try JSON.parse(value.serialized())
        #expect(parsed == value)
    }

    /// Keras stores `model_config` as an ASCII attribute; Python's `json.dumps` escapes the rest.
    @Test func textIsASCIIAndParsesBack() throws {
        let string = "é\n\"x\"\\\t\u{01}\u{08}\u{0C}\r/😀"
        let text = JSON.string(string).serialized()
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
        #expect(text == #""\u00e9\n\"x\"\\\t\u0001\b\f\r/\ud83d\ude00""#)
        #expect(try JSON.parse(text) == .string(string))
    }

    /// A configuration Keras wrote reads back the same after a trip through the serialiser.
    @Test func kerasConfigSurvivesARoundTrip() throws {
        let text = #"{"class_name": "Sequential", "config": {"name": "sequential", "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [null, null, 1], "dtype": "float32"}}, {"class_name": "LSTM", "config": {"name": "lstm", "units": 32, "dropout": 0.0, "recurrent_initializer": {"class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0}}}}]}}"#
        let json = try JSON.parse(text)
        #expect(try JSON.parse(json.serialized()) == json)
    }
}
