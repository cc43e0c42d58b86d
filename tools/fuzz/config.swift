// libFuzzer target: a Keras model_config → recur's model description, as loading a file does
// after reading the attribute: JSON.parse, KerasModelConfig(json), mapLayer for every layer
// (Keras 2 and 3 conventions), then planning the layer table for the declared input (the
// parameter count, which is what weight reading checks against).
@testable import RecurKeras

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let json = try? JSON.parse(text), let config = try? KerasModelConfig(json) else { return 0 }
    for major in [2, 3] {
        var layers: [ModelLayer] = []
        for layer in config.layers {
            guard let mapped = try? mapLayer(layer, MappingContext(kerasMajor: major)) else { break }
            layers.append(mapped)
        }
        guard layers.count == config.layers.count else { continue }
        let model = KerasModel(path: "fuzz.h5", inputDims: config.inputDims ?? [nil], layers: layers, weights: [])
        _ = try? model.parameterCount()
        _ = try? model.expectedWeights()
        _ = model.trainingRefusal()
    }
    return 0
}
