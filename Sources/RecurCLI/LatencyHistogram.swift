/// Durations in nanoseconds, counted into fixed log-linear buckets so that recording one never
/// allocates, however long the process runs.
///
/// Below 64 ns every nanosecond has a bucket; above, each power of two is split into 32 buckets,
/// so a percentile is known to within 1/32 (3%) of its value. The maximum is kept exactly.
struct LatencyHistogram: ~Copyable {
    static let subBuckets = 32
    static let linearLimit: UInt64 = 64
    /// 64 exact buckets, then 32 for each power of two from 2⁶ to 2⁶³.
    static let bucketCount = Int(linearLimit) + (64 - 6) * subBuckets

    private let counts: UnsafeMutablePointer<UInt64>
    private(set) var total: UInt64 = 0
    private(set) var maximum: UInt64 = 0

    init() {
        counts = .allocate(capacity: Self.bucketCount)
        counts.initialize(repeating: 0, count: Self.bucketCount)
    }

    deinit { counts.deallocate() }

    mutating func record(_ nanoseconds: UInt64) {
        counts[Self.bucket(of: nanoseconds)] += 1
        total += 1
        maximum = max(maximum, nanoseconds)
    }

    /// The duration at quantile `q` (0...1): the middle of the bucket that holds the sample of
    /// rank ⌈q·total⌉, never above the maximum; 0 when nothing was recorded.
    func quantile(_ q: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = max(1, UInt64((q * Double(total)).rounded(.up)))
        var seen: UInt64 = 0
        for index in 0..<Self.bucketCount {
            seen += counts[index]
            if seen >= rank {
                let (lower, width) = Self.range(of: index)
                return min(lower + width / 2, maximum)
            }
        }
        return maximum
    }

    static func bucket(of value: UInt64) -> Int {
        guard value >= linearLimit else { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount
        let fraction = Int(value >> (exponent - 5)) & (subBuckets - 1)
        return Int(linearLimit) + (exponent - 6) * subBuckets + fraction
    }

    /// The first value in bucket `index` and how many values it spans.
    static func range(of index: Int) -> (lower: UInt64, width: UInt64) {
        guard index >= Int(linearLimit) else { return (UInt64(index), 1) }
        let exponent = (index - Int(linearLimit)) / subBuckets + 6
        let fraction = UInt64((index - Int(linearLimit)) % subBuckets)
        let width = UInt64(1) << (exponent - 5)
        return ((UInt64(1) << exponent) + fraction * width, width)
    }
}
