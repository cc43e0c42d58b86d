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
