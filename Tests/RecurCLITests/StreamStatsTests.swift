@testable import RecurCLI
import Testing

/// The fixed histogram behind `recur stream --stats`: percentiles within its stated 1/32.
@Suite struct StreamStatsTests {
    @Test func percentilesAreWithinABucketOfTheTruth() {
        var histogram = LatencyHistogram()
        // 1 µs to 100 µs in 10 ns steps, shuffled by a stride coprime with the count.
        let count = 9901
        for index in 0..<count { histogram.record(UInt64(1000 + (index * 7919 % count) * 10)) }
        #expect(histogram.total == UInt64(count))
        #expect(histogram.maximum == 100_000)
        for (quantile, truth) in [(0.5, 50_500.0), (0.99, 99_010.0), (1.0, 100_000.0)] {
            let estimate = Double(histogram.quantile(quantile))
            #expect(abs(estimate - truth) <= truth / 32, "p\(quantile * 100): \(estimate) for \(truth)")
        }
    }

    @Test func everyValueFallsInTheBucketThatSpansIt() {
        for value: UInt64 in [0, 1, 63, 64, 65, 127, 128, 1000, 123_456_789, UInt64.max] {
            let (lower, width) = LatencyHistogram.range(of: LatencyHistogram.bucket(of: value))
            #expect(lower <= value && value - lower < width, "\(value) in [\(lower), +\(width))")
        }
        #expect(LatencyHistogram.bucket(of: .max) == LatencyHistogram.bucketCount - 1)
    }

    @Test func emptyHistogramSaysZero() {
        let histogram = LatencyHistogram()
        #expect(histogram.quantile(0.5) == 0)
    }
}
