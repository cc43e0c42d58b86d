import Foundation
import Glibc
@testable import RecurCLI
import RecurKeras
import RecurTestSupport
import Testing

/// Zero heap allocations per sample, end to end: in the loop itself (counted on this thread),
/// and in the whole `recur stream` process (counted from outside with the preloaded counter).
@Suite struct StreamAllocationTests {
    /// Small enough that a debug build streams a million samples in seconds.
    static let model = Fixtures.path("stream/tiny_rnn.h5")

    /// `samples` lines of course values (a multiple of 1,000), with a bad line after every
    /// 1,000th sample when `badLines`.
    static func input(samples: Int, badLines: Bool) -> Data {
        precondition(samples % 1000 == 0)
        let block = Data((courseSeriesText.prefix(1000).map { $0.prefix(10) + "\n" }.joined() + (badLines ? "n/a\n" : "")).utf8)
        var data = Data(capacity: block.count * samples / 1000)
        for _ in 0..<samples / 1000 { data.append(block) }
        return data
    }

    static func openInput(_ data: Data, in folder: String, name: String) throws -> Int32 {
        let path = folder + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return open(path, O_RDONLY)
    }

    static let configurations: [StreamLoop.Configuration] = [
        StreamLoop.Configuration(window: 4),
        StreamLoop.Configuration(window: 4, horizon: 3, column: 1, measuresLatency: true),
    ]

    /// After a warm-up run, a run over 100,000 samples (bad lines, their reports, forecasts and
    /// writes included) allocates exactly as much as a run over 1,000: nothing.
    @Test(arguments: configurations)
    func loopAllocatesNothingPerSample(configuration: StreamLoop.Configuration) throws {
        let keras = try KerasModel.load(path: Self.model, lambdaOverrides: [:])
        var loop = StreamLoop(network: try keras.makeNetwork(window: 4, batch: 1), configuration: configuration)
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = open("/dev/null", O_WRONLY)
        let warmUp = try Self.openInput(Self.input(samples: 1000, badLines: true), in: folder, name: "warm-up")
        let small = try Self.openInput(Self.input(samples: 1000, badLines: true), in: folder, name: "small")
        let large = try Self.openInput(Self.input(samples: 100_000, badLines: true), in: folder, name: "large")
        defer { for fd in [sink, warmUp, small, large] { close(fd) } }

        let warmUpEnding = loop.run(input: warmUp, output: sink, errors: sink, stop: nil)
        #expect(warmUpEnding == .endOfInput)
        var smallEnding: StreamLoop.Ending?, largeEnding: StreamLoop.Ending?
        let smallCount = allocations { smallEnding = loop.run(input: small, output: sink, errors: sink, stop: nil) }
        let before = loop.forecastsWritten
        let largeCount = allocations { largeEnding = loop.run(input: large, output: sink, errors: sink, stop: nil) }
        #expect(smallEnding == .endOfInput && largeEnding == .endOfInput)
        #expect(loop.forecastsWritten - before == 100_000)
        #expect(loop.linesSkipped == 1 + 1 + 100)
        #expect(largeCount == smallCount)
        #expect(largeCount == 0)
    }

    /// Positive control: the same counter, on this thread, over the same input handled the
    /// usual way (an array per line, as predict makes) sees allocations for every sample; so the
    /// zero above is a measurement, not a counter that is not there.
    @Test func counterSeesPerSampleAllocationsInTheUsualWay() throws {
        let text = String(decoding: Self.input(samples: 100_000, badLines: false), as: UTF8.self)
        var parsed = 0
        let count = allocations {
            for line in text.split(separator: "\n") {
                if case .success(let value) = NumberText.parseFloat(ArraySlice(line.utf8)) {
                    parsed += NumberText.format(value).isEmpty ? 0 : 1
                }
            }
        }
        #expect(parsed == 100_000)
        #expect(count >= 100_000)
    }

    /// The whole process, counted by the preloaded counter from load to exit: a million samples
    /// cost the same number of mallocs as a thousand, up to a small constant (start-up work such
    /// as the numbers in the statistics). The positive control is `recur predict`, which
    /// allocates per line and must show it.
    @Test func wholeProcessMallocsDoNotGrowWithSamples() throws {
        let library = URL(fileURLWithPath: recurBinary).deletingLastPathComponent().appendingPathComponent("libRecurMallocCounter.so").path
        #expect(FileManager.default.fileExists(atPath: library), "\(library) is built with the package")
        func mallocs(_ arguments: [String], _ input: Data) throws -> Int? {
            let result = try recurThroughFiles(arguments, input: input,
                environment: ["LD_PRELOAD": library, "RECUR_MALLOC_REPORT": "1"], keepOutput: false)
            #expect(result.status == 0, "\(result.stderr)")
            let report = result.stderr.split(separator: "\n").last { $0.hasPrefix("mallocs: ") }
            return report.flatMap { Int($0.dropFirst("mallocs: ".count)) }
        }
        let stream = ["stream", Self.model, "--window", "1", "--stats"]
        let few = try #require(try mallocs(stream, Self.input(samples: 1000, badLines: false)))
        let many = try #require(try mallocs(stream, Self.input(samples: 1_000_000, badLines: false)))
        #expect(few > 0)
        #expect(abs(many - few) <= 64, "1,000 samples: \(few) mallocs; 1,000,000 samples: \(many)")

        let window = courseSeriesText[0] + "\n"
        let predictFew = try #require(try mallocs(["predict", Self.model, "--input", "-"], Data(String(repeating: window, count: 1000).utf8)))
        let predictMany = try #require(try mallocs(["predict", Self.model, "--input", "-"], Data(String(repeating: window, count: 10_000).utf8)))
        #expect(predictMany - predictFew >= 9000)
    }
}
