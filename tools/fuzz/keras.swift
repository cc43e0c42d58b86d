// libFuzzer target: the .keras reader. The input is read as a zip archive in memory
// (ZipArchive: the central directory, every member stored or deflated, checked against its
// CRC-32, with a limit of 1 MB each), and raw deflate data is inflated on its own; then the
// bytes are written to a .keras file in /dev/shm and loaded with KerasModel.load(path:), as
// `recur predict model.keras` does (config.json, the weights' HDF5 image, every weight).
import Glibc
@testable import RecurKeras

private let path: String = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(directory)/recur-fuzz-keras-\(getpid()).keras"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeras(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let archive = try? ZipArchive(bytes: bytes) {
        for member in archive.members {
            _ = try? archive.contents(of: member, limit: 1 << 20)
        }
    }
    _ = try? Inflater.inflate(bytes[...], size: 1 << 16)

    guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
    precondition(fwrite(data, 1, size, file) == size)
    fclose(file)
    defer { unlink(path) }
    guard let model = try? KerasModel.load(path: path) else { return 0 }
    _ = try? model.parameterCount()
    return 0
}
