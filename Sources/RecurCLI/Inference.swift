import RecurKernel

/// Runs `count` samples through `network`, as many at a time as its plan allows.
///
/// - Parameters:
///   - fill: writes sample `i` (`plan.input.count` floats) at the pointer.
///   - take: reads the output of sample `i` (`plan.output.count` floats).
func runBatches(
    _ network: borrowing Network, count: Int,
    fill: (Int, UnsafeMutablePointer<Float>) -> Void,
    take: (Int, UnsafePointer<Float>) -> Void
) {
    let capacity = network.plan.batchCapacity
    let inputWidth = network.plan.input.count
    let outputWidth = network.plan.output.count
    var start = 0
    while start < count {
        let batch = min(capacity, count - start)
        for b in 0..<batch { fill(start + b, network.input + b * inputWidth) }
        network.forward(batch: batch)
        for b in 0..<batch { take(start + b, network.output + b * outputWidth) }
        start += batch
    }
}
