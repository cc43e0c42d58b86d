// forecast MODEL WINDOW < samples: reads one number per line, prints the forecast from each
// window of WINDOW samples (`recur predict` on the windows, `recur stream` on the samples), using
// recur's Swift libraries directly: RecurKeras reads the model, RecurKernel's StreamForecaster
// runs it sample by sample in memory allocated once. The lines are `recur stream`'s, byte for byte.
import Glibc
import RecurKernel
import RecurKeras

/// As recur prints a float: `%.9g`, which parses back to the same float32.
func formatted(_ value: Float) -> String {
    var buffer = [CChar](repeating: 0, count: 32)
    _ = withVaList([Double(value)]) { vsnprintf(&buffer, buffer.count, "%.9g", $0) }
    return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let window = Int(arguments[2]), window > 0 else {
    print("usage: forecast MODEL WINDOW < samples")
    exit(64)
}
do {
    let model = try KerasModel.load(path: arguments[1])
    let network = try model.makeNetwork(window: window, batch: 1)
    let outputs = network.plan.output.count
    let scratch = UnsafeMutablePointer<Float>.allocate(
        capacity: StreamForecaster.scratchCount(window: window, carriedStateCount: network.carriedStateCount))
    let forecasts = UnsafeMutablePointer<Float>.allocate(capacity: outputs)
    var forecaster = StreamForecaster(for: network, window: window, scratch: scratch)
    while let line = readLine() {
        guard let sample = Float(line) else { continue }
        if forecaster.push(sample, horizon: 1, into: forecasts, on: network) {
            print((0..<outputs).map { formatted(forecasts[$0]) }.joined(separator: ","))
        }
    }
} catch {
    print("forecast: \(error.message)")
    exit(error.exitCode)
}
