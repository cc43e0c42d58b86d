import ArgumentParser
import CIOSupport
import RecurKernel
import RecurKeras

/// `recur bench-gemm M N K`: the kernel's matrix product alone, `C[M×N] += A[M×K] · B[K×N]`,
/// timed over many calls. tools/bench_peers.py runs it at the shapes training uses, beside
/// numpy's single-threaded SGEMM in the same run (docs/performance.md). Not in `recur --help`:
/// it measures the engine, not a model.
struct BenchGEMM: RecurCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-gemm",
        abstract: "Time the kernel's matrix product C[M×N] += A[M×K]·B[K×N] (a developer's benchmark).",
        shouldDisplay: false)

    @Argument(help: "Rows of A and C.") var m: Int
    @Argument(help: "Columns of B and C.") var n: Int
    @Argument(help: "Columns of A, rows of B.") var k: Int

    @Flag(help: "A is stored transposed, [K×M] (the product of a weight gradient, Xᵀ·dZ).")
    var transposedA = false

    @Option(parsing: .unconditional, help: "Seconds to time for (at least 5 calls).")
    var seconds = 0.5

    func validate() throws {
        // Each at most 2^28 first, so that the products below cannot overflow.
        for (name, value) in [("M", m), ("N", n), ("K", k)] {
            try OptionBounds.check(name, value, in: 1...(1 << 28))
        }
        guard m * k <= 1 << 28, k * n <= 1 << 28, m * n <= 1 << 28 else {
            throw ValidationError("each matrix may hold at most 2^28 floats")
        }
        try OptionBounds.check("--seconds", seconds, in: 0...3600, above: true)
    }

    func execute() throws(RecurError) {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        // Small values, so that the sums stay finite however many calls accumulate.
        for i in 0..<m * k { a[i] = Float(i % 7) * 1e-3 }
        for i in 0..<k * n { b[i] = Float(i % 5) * 1e-3 }
        c.initialize(repeating: 0, count: m * n)
        func call() {
            if transposedA {
                matmulTransposedAAccumulate(m: m, n: n, k: k, a, lda: m, b, ldb: n, c, ldc: n)
            } else {
                matmulAccumulate(m: m, n: n, k: k, a, lda: k, b, ldb: n, c, ldc: n)
            }
        }
        call()
        var times: [Double] = []
        let budget = UInt64(seconds * 1e9)
        let begin = recur_monotonic_nanoseconds()
        repeat {
            let start = recur_monotonic_nanoseconds()
            call()
            times.append(Double(recur_monotonic_nanoseconds() - start) / 1e9)
        } while recur_monotonic_nanoseconds() - begin < budget || times.count < 5
        times.sort()
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let median = times[times.count / 2]
        JSON.print([
            ("m", .int(m)), ("n", .int(n)), ("k", .int(k)), ("transposed_a", .bool(transposedA)),
            ("calls", .int(times.count)), ("median_s", .rounded(median, digits: 6)),
            ("gflops_median", .rounded(flops / median / 1e9, digits: 4)),
            ("gflops_best", .rounded(flops / times[0] / 1e9, digits: 4)),
        ])
    }
}
