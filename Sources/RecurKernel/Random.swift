/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64): the same seed
/// gives the same numbers on every machine, which makes `--seed` runs repeatable bit for bit.
public struct RandomNumbers: BitwiseCopyable, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    @inlinable
    public mutating func unit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in `0..<bound` (bound > 0), without modulo bias.
    @inlinable
    public mutating func below(_ bound: Int) -> Int {
        let b = UInt64(bound)
        let threshold = (0 &- b) % b
        while true {
            let r = next()
            let (high, low) = r.multipliedFullWidth(by: b)
            if low >= threshold { return Int(high) }
        }
    }

    /// A standard normal value (Box–Muller).
    @inlinable
    public mutating func normal() -> Double {
        var u = unit()
        while u <= 0 { u = unit() }
        let v = unit()
        return sqrt(-2 * log(u)) * cosine(2 * Double.pi * v)
    }
}

/// cos(x) for x in [0, 2π], by a Taylor series after reduction to [−π/4, π/4] (the kernel has no
/// libm cos; accuracy 1e-15, far beyond what initialisation needs).
@inlinable
func cosine(_ x: Double) -> Double {
    var y = x
    while y > Double.pi { y -= 2 * Double.pi }
    while y < -Double.pi { y += 2 * Double.pi }
    // cos(y) = −cos(y − π) folds |y| > π/2.
    var sign = 1.0
    if y > Double.pi / 2 { y -= Double.pi; sign = -1 } else if y < -Double.pi / 2 { y += Double.pi; sign = -1 }
    let y2 = y * y
    var term = 1.0, sum = 1.0
    var n = 0.0
    for _ in 0..<14 {
        term *= -y2 / ((n + 1) * (n + 2))
        sum += term
        n += 2
    }
    return sign * sum
}
