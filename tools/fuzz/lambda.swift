// libFuzzer target: the Lambda bytecode recogniser on raw marshalled bytes, and the same bytes
// as the base64 text a config holds.
@testable import RecurKeras

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLambda(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? LambdaRecognizer.recognize(marshalled: bytes)
    if size < 4096 {
        _ = try? LambdaRecognizer.recognize(base64: String(decoding: bytes, as: UTF8.self))
    }
    return 0
}
