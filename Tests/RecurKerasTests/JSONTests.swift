import RecurTestSupport
import Testing
@testable import RecurKeras

@Suite struct JSONTests {
    @Test func parsesWhatKerasWrites() throws {
        let json = try JSON.parse(#"{"class_name": "Sequential", "config": {"name": "s", "layers": [{"a": -1.5e-3, "b": [true, false, null], "c": "\u00e9\n\"x\""}], "nan": NaN, "inf": -Infinity}}"#)
        #expect(json["class_name"] == .string("Sequential"))
        let layer = json["config"]?["layers"]?.array?.first
        #expect(layer?["a"]?.number == -1.5e-3)
        #expect(layer?["b"] == .array([.bool(true), .bool(false), .null]))
        #expect(layer?["c"]?.string == "é\n\"x\"")
        #expect(json["config"]?["nan"]?.number?.isNaN == true)
        #expect(json["config"]?["inf"]?.number == -.infinity)
        #expect(json["config"]?.keys == ["name", "layers", "nan", "inf"])
    }

    /// A key given twice: the last value, in the first one's place, as Python's json.loads gives
    /// (`json.loads('{"units": 40, "b": 1, "units": 2147483648}')` is
    /// `{'units': 2147483648, 'b': 1}`), which is what Keras reads.
    @Test func duplicateKeysTakeTheLastValue() throws {
        let json = try JSON.parse(#"{"units": 40, "b": 1, "units": 2147483648}"#)
        #expect(json.keys == ["units", "b"])
        #expect(json["units"]?.number == 2147483648)
        #expect(json == .object([("units", .number(2147483648)), ("b", .number(1))]))
    }

    /// A configuration whose layer says `units` twice gets the last, as Keras: here a size recur
    /// refuses by name, where taking the first would have built another model than Keras's.
    @Test func duplicateUnitsInALayerAreKerasOnes() throws {
        let text = #"{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 20, 1]}}, {"class_name": "Dense", "config": {"name": "dense", "units": 40, "units": 2147483648}}]}}"#
        let path = writeFile(temporaryFolder(), "dup.json", Array(text.utf8))
        let error = #expect(throws: RecurError.self) {
            _ = try KerasModel.load(weights: Fixtures.path("stream/tiny_rnn.h5"), architecture: .file(path))
        }
        #expect(error?.message.contains("'units'") == true, "\(error?.message ?? "")")
    }

    @Test func surrogatePairs() throws {
        #expect(try JSON.parse(#""\ud83d\ude00""#) == .string("😀"))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1.", "-", "[1] 2", "\"\\ud800\"", "{\"a\":1,}", "01x"])
    func refusesMalformedText(text: String) {
        #expect(throws: JSONError.self) { try JSON.parse(text) }
    }

    @Test func refusesDeepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONError.self) { try JSON.parse(deep) }
    }
}
