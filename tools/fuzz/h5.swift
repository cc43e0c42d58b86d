// libFuzzer target: the whole import path from bytes. The input is written to a file in
// /dev/shm and loaded with KerasModel.load(path:), exactly as `recur predict` loads a model:
// the signature sniff, libhdf5 opening and walking the file, the model_config attribute, JSON,
// the Keras config, layer mapping, and reading every weight. A model that loads is also planned
// for its weights.
import Glibc
@testable import RecurKeras

private let path: String = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/recur-fuzz-h5-\(getpid()).h5"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzH5(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
    precondition(fwrite(data, 1, size, file) == size)
    fclose(file)
    defer { unlink(path) }
    guard let model = try? KerasModel.load(path: path) else { return 0 }
    _ = try? model.parameterCount()
    _ = model.trainingRefusal()
    return 0
}
