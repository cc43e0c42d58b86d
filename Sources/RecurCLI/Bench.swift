import ArgumentParser
import CIOSupport
import Glibc
import RecurKernel
import RecurKeras

/// `recur bench MODEL`: time per window at batch 1, throughput at a larger batch, and heap
/// allocations per window.
struct Bench: RecurCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a model's forward pass: latency at batch 1, throughput batched, allocations.",
        discussion: """
            Times single windows (median and 99th percentile of many calls) and batches, on \
            windows cut from a sine wave. Allocations per window are counted when the malloc \
            counter is there: built into a static recur (tools/setup.sh), else the library beside \
            recur (libRecurMallocCounter.so), which recur preloads itself when it finds it.

            Example:
              recur bench models/e1_simplernn.h5 --window 20
            """)

    @Argument(help: ArgumentHelp("The Keras model file.", valueName: "model"), completion: .file())
    var model: String

    @Option(parsing: .unconditional, help: "Steps per window (default: the model's own, else \(Defaults.window)).")
    var window: Int?

    @Option(parsing: .unconditional, help: "Batch size for the throughput figure.")
    var batch = 128

    @Option(parsing: .unconditional, help: "Timed single-window calls.")
    var iterations = 20000

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        try OptionBounds.check("--window", window, in: OptionBounds.sizes)
        try OptionBounds.check("--batch", batch, in: OptionBounds.sizes)
        try OptionBounds.check("--iterations", iterations, in: 10...(1 << 24))
    }

    func execute() throws(RecurError) {
        MallocCounter.preloadIfAvailable()
        let model = try modelOptions.load(self.model)
        let window = self.window ?? model.fixedWindow ?? Defaults.window

        let single = try model.makeNetwork(window: window, batch: 1)
        fillSine(single.input, count: single.plan.input.count, phase: 0)
        for _ in 0..<200 { single.forward(batch: 1) }
        try MemoryBudget.reserve(MemoryBudget.bytes(iterations, of: MemoryLayout<UInt64>.size), for: "the timings of \(iterations) calls")
        var samples = [UInt64](repeating: 0, count: iterations)
        for index in 0..<iterations {
            let start = recur_monotonic_nanoseconds()
            single.forward(batch: 1)
            samples[index] = recur_monotonic_nanoseconds() - start
        }
        samples.sort()
        let median = Double(samples[iterations / 2]) / 1000
        let p99 = Double(samples[min(iterations - 1, iterations * 99 / 100)]) / 1000
        let mallocs = MallocCounter.count { for _ in 0..<1000 { single.forward(batch: 1) } }.map { Double($0) / 1000 }

        let batched = try model.makeNetwork(window: window, batch: batch)
        // A stateful model runs the batch it was built for, whatever --batch asks.
        let batch = batched.plan.batchCapacity
        for b in 0..<batch {
            fillSine(batched.input + b * batched.plan.input.count, count: batched.plan.input.count, phase: Double(b))
        }
        batched.forward(batch: batch)
        var rounds = 0
        let begin = recur_monotonic_nanoseconds()
        var elapsed: UInt64 = 0
        repeat {
            batched.forward(batch: batch)
            rounds += 1
            elapsed = recur_monotonic_nanoseconds() - begin
        } while elapsed < 500_000_000 || rounds < 5
        let perSecond = Double(rounds * batch) / (Double(elapsed) / 1e9)

        let mallocText = mallocs.map { NumberText.format($0, digits: 3) } ?? "not counted (no malloc counter: not built in, and no libRecurMallocCounter.so beside recur)"
        if json {
            JSON.print([
                ("model", .string(model.path)), ("window", .int(window)),
                ("batch1_median_us", .rounded(median, digits: 6)), ("batch1_p99_us", .rounded(p99, digits: 6)),
                ("batch", .int(batch)), ("windows_per_second", .rounded(perSecond, digits: 6)),
                ("mallocs_per_window", mallocs.map { .rounded($0, digits: 6) } ?? .null),
                ("arena_bytes", .int(single.plan.totalBytes)),
            ])
        } else {
            Console.out("""
                \(model.path), window \(window)
                  batch 1:    median \(NumberText.format(median, digits: 4)) µs, p99 \(NumberText.format(p99, digits: 4)) µs per window (\(iterations) calls)
                  batch \(batch): \(NumberText.format(perSecond, digits: 4)) windows/s
                  heap allocations per window: \(mallocText)
                  arena: \(single.plan.totalBytes) bytes at batch 1

                """)
        }
    }

    func fillSine(_ target: UnsafeMutablePointer<Float>, count: Int, phase: Double) {
        for i in 0..<count { target[i] = Float(50 + 30 * sin((Double(i) + phase) * 0.3)) }
    }
}

/// The malloc counter: the one built into a static recur (CIOSupport's `--wrap` counter), or
/// `libRecurMallocCounter.so` when it is loaded into this process. Either must first see the one
/// allocation of `recur_alloc_control()`, or it does not count.
enum MallocCounter {
    typealias Begin = @convention(c) () -> Void
    typealias End = @convention(c) () -> Int64

    /// Re-executes this process with the counter preloaded, if the library sits beside the
    /// binary and is not loaded yet. Returns only when it does not re-execute.
    static func preloadIfAvailable() {
        guard recur_builtin_alloc_counter() == 0,
            dlsym(UnsafeMutableRawPointer(bitPattern: 0), "recur_alloc_counter_begin") == nil,
            getenv("RECUR_NO_PRELOAD") == nil
        else { return }
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return }
        let executable = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let library = String(executable[..<executable.lastIndex(of: "/")!]) + "/libRecurMallocCounter.so"
        guard access(library, R_OK) == 0 else { return }
        setenv("LD_PRELOAD", library, 1)
        setenv("RECUR_NO_PRELOAD", "1", 1)
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments.append(nil)
        execv(executable, &arguments)
    }

    /// Allocations made by this thread while `body` ran; nil when there is no counter, or when
    /// it does not see the control allocation.
    static func count(_ body: () -> Void) -> Int64? {
        guard let (begin, end) = counter() else { return nil }
        begin()
        recur_alloc_control()
        guard end() >= 1 else { return nil }
        begin()
        body()
        return end()
    }

    /// The built-in counter's functions, else the preloaded library's.
    private static func counter() -> (begin: Begin, end: End)? {
        if recur_builtin_alloc_counter() != 0 {
            return (recur_builtin_alloc_counter_begin, recur_builtin_alloc_counter_end)
        }
        guard let begin = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "recur_alloc_counter_begin"),
            let end = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "recur_alloc_counter_end")
        else { return nil }
        return (unsafeBitCast(begin, to: Begin.self), unsafeBitCast(end, to: End.self))
    }
}
