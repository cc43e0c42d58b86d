// libFuzzer target: the --arch specification parser (ArchitectureSpec), then planning the model
// it describes as `recur train --arch` does (the parameter count; the weights themselves are not
// allocated here, their size is bounded by the resource limits of issue 7).
@testable import RecurKeras

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArch(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let spec = try? ArchitectureSpec(text) else { return 0 }
    let model = KerasModel(path: "--arch", inputDims: [nil], layers: spec.layers, weights: [])
    _ = try? model.parameterCount()
    return 0
}
