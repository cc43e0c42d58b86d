// libFuzzer target: the stream line parser. The input's first byte picks the loop's settings
// (window, horizon, --column, --strict, one or two outputs); the rest is standard input. It goes
// through StreamLoop.run (compiled into this harness from Sources/RecurCLI/StreamLoop.swift and the files it uses)
// from a memory file, so line splitting, over-long lines, fields, recur_parse_float, the
// forecast formatting and the reports of bad lines all run; output and reports go to
// /dev/null. Each line is also given to recur_parse_float and recur_parse_double directly.
import CIOSupport
import Glibc
import RecurKernel

private let devNull = open("/dev/null", O_WRONLY)
/// An unlinked file in memory (memfd_create is not visible to Swift's Glibc module).
private let memoryFile: Int32 = {
    var template = Array("/dev/shm/recur-fuzz-stream-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(fd >= 0, "cannot make a file in /dev/shm")
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    return fd
}()

private func makeNetwork(window: Int, outputs: Int) -> Network {
    let layers: [Layer] = [
        .expandDims(), .recurrent(.simple, units: 3), .dense(units: outputs),
    ]
    let network = try! Network(layers: layers, input: .vector(window), batch: 1)
    for index in network.parameters.indices { network.parameters[index] = Float(index % 7) * 0.1 - 0.3 }
    return network
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStream(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let settings = data[0]
    let body = UnsafeBufferPointer(start: data + 1, count: size - 1)

    // The parsers on their own, line by line (as a whole buffer too, when short).
    var start = 0
    for index in 0...body.count where index == body.count || body[index] == 0x0A {
        body.baseAddress.map { base in
            let line = UnsafeRawPointer(base + start).assumingMemoryBound(to: CChar.self)
            var f: Float = 0
            var d: Double = 0
            let fs = recur_parse_float(line, index - start, &f)
            let ds = recur_parse_double(line, index - start, &d)
            if fs == RECUR_PARSE_OK && !f.isFinite { fatalError("recur_parse_float accepted \(f)") }
            if ds == RECUR_PARSE_OK && !d.isFinite { fatalError("recur_parse_double accepted \(d)") }
        }
        start = index + 1
    }

    // The loop, as `recur stream` runs it.
    var configuration = StreamLoop.Configuration(window: Int(settings & 3) + 1)
    configuration.horizon = Int((settings >> 2) & 1) + 1
    let column = Int((settings >> 3) & 3)
    configuration.column = column == 0 ? nil : column
    configuration.strict = settings & 0x20 != 0
    configuration.measuresLatency = settings & 0x40 != 0
    let outputs = configuration.horizon == 1 && settings & 0x80 != 0 ? 2 : 1
    var loop = StreamLoop(network: makeNetwork(window: configuration.window, outputs: outputs), configuration: configuration)
    if settings & 0x10 != 0 { loop.warm(with: [1, 2, 3, 4, 5]) }

    _ = ftruncate(memoryFile, 0)
    _ = lseek(memoryFile, 0, SEEK_SET)
    if let base = body.baseAddress, body.count > 0 {
        var written = 0
        while written < body.count {
            let n = write(memoryFile, base + written, body.count - written)
            precondition(n > 0)
            written += n
        }
    }
    _ = lseek(memoryFile, 0, SEEK_SET)
    var stop: Int32 = 0
    let ending = loop.run(input: memoryFile, output: devNull, errors: devNull, stop: &stop)
    switch ending {
    case .endOfInput: precondition(!configuration.strict || loop.linesSkipped == 0)
    case .badLine: precondition(configuration.strict && loop.linesSkipped == 1)
    default: fatalError("stream loop ended with \(ending)")
    }
    return 0
}
