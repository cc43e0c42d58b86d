// libFuzzer target: the JSON parser Keras model configurations go through (JSON.parse).
// A parsed value must serialise and parse back to an equal value.
@testable import RecurKeras

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let value = try? JSON.parse(text) else { return 0 }
    let again = value.serialized()
    guard let reparsed = try? JSON.parse(again), reparsed == value else {
        fatalError("JSON round trip changed the value: \(again)")
    }
    return 0
}
