// Vectorised exp, tanh and sigmoid for float32, eight lanes at a time.
//
// libm's scalar tanhf and expf dominate a recurrent step when called per element (a profile of
// the course's Bidirectional LSTM showed 60% of the time in them). These are Cephes-style
// approximations: exp reduces x to r = x − n·ln2 with |r| ≤ ln2/2 and evaluates a degree-6
// polynomial, exact to 1–2 ulp; tanh uses an odd polynomial for |x| < 0.625 and
// 1 − 2/(e^{2|x|} + 1) above, within 3 ulp. Every lane of a buffer goes through the same
// vector code (tails are padded), so a value's result does not depend on where it sits.

@usableFromInline typealias Lanes = SIMD8<Float>
@usableFromInline typealias IntLanes = SIMD8<Int32>

/// `min(max(x, low), high)` lane by lane (the standard library's generic `clamped` is not
/// inlined and costs more than the whole exp).
@inlinable @inline(__always)
func clamp(_ x: Lanes, _ low: Float, _ high: Float) -> Lanes {
    var result = x
    result.replace(with: Lanes(repeating: low), where: x .< Lanes(repeating: low))
    result.replace(with: Lanes(repeating: high), where: x .> Lanes(repeating: high))
    return result
}

@inlinable @inline(__always)
func vectorExp(_ x: Lanes) -> Lanes {
    // Beyond ±88.7 float32 overflows or flushes to zero; clamp so the exponent bits stay valid.
    let clamped = clamp(x, -87.33654, 88.72283)
    // n = round(x / ln 2), by the 1.5·2²³ trick (no rounding instruction needed).
    let magic = Lanes(repeating: 12582912)
    let shifted = clamped * Lanes(repeating: 1.44269504088896341) + magic
    let n = shifted - magic
    // r = x − n ln 2, with ln 2 split in two for an exact product.
    var r = clamped - n * Lanes(repeating: 0.693359375)
    r = r - n * Lanes(repeating: -2.12194440e-4)
    let r2 = r * r
    var p = Lanes(repeating: 1.9875691500e-4)
    p = p * r + Lanes(repeating: 1.3981999507e-3)
    p = p * r + Lanes(repeating: 8.3334519073e-3)
    p = p * r + Lanes(repeating: 4.1665795894e-2)
    p = p * r + Lanes(repeating: 1.6666665459e-1)
    p = p * r + Lanes(repeating: 5.0000001201e-1)
    p = p * r2 + r + Lanes(repeating: 1)
    // 2ⁿ: n sits in the low mantissa bits of `shifted`.
    let exponent = (unsafeBitCast(shifted, to: IntLanes.self) &- unsafeBitCast(magic, to: IntLanes.self) &+ 127) &<< 23
    return p * unsafeBitCast(exponent, to: Lanes.self)
}

@inlinable @inline(__always)
func vectorTanh(_ x: Lanes) -> Lanes {
    let a = unsafeBitCast(unsafeBitCast(x, to: IntLanes.self) & IntLanes(repeating: 0x7FFF_FFFF), to: Lanes.self)
    // Small |x|: x + x³ P(x²) (Cephes tanhf).
    let z = x * x
    var p = Lanes(repeating: -5.70498872745e-3)
    p = p * z + Lanes(repeating: 2.06390887954e-2)
    p = p * z + Lanes(repeating: -5.37397155531e-2)
    p = p * z + Lanes(repeating: 1.33314422036e-1)
    p = p * z + Lanes(repeating: -3.33332819422e-1)
    let small = x + x * z * p
    // Large |x|: 1 − 2 / (e^{2|x|} + 1), with the sign of x; saturates to ±1 past 9.
    let e = vectorExp(Lanes(repeating: 2) * clamp(a, 0, 9.1))
    var large = Lanes(repeating: 1) - Lanes(repeating: 2) / (e + Lanes(repeating: 1))
    large.replace(with: -large, where: x .< Lanes(repeating: 0))
    var result = large
    result.replace(with: small, where: a .< Lanes(repeating: 0.625))
    return result
}

@inlinable @inline(__always)
func vectorSigmoid(_ x: Lanes) -> Lanes {
    Lanes(repeating: 1) / (Lanes(repeating: 1) + vectorExp(-x))
}

@inlinable @inline(__always)
func loadLanes(_ p: UnsafePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

@inlinable @inline(__always)
func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}

/// Applies `f` to `count` floats from `source` into `target` (which may be `source`), eight at
/// a time; the last partial group is padded, so every value takes the same path.
@inlinable @inline(__always)
func mapLanes(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, _ count: Int, _ f: (Lanes) -> Lanes) {
    var i = 0
    while i + 8 <= count {
        storeLanes(f(loadLanes(source + i)), target + i)
        i += 8
    }
    if i < count {
        var lanes = Lanes(repeating: 0)
        for j in 0..<(count - i) { lanes[j] = source[i + j] }
        let result = f(lanes)
        for j in 0..<(count - i) { target[i + j] = result[j] }
    }
}

/// Scalar forms that give the same bits as the vector forms.
@inlinable @inline(__always)
func fastTanh(_ x: Float) -> Float { vectorTanh(Lanes(repeating: x))[0] }

@inlinable @inline(__always)
func fastSigmoid(_ x: Float) -> Float { vectorSigmoid(Lanes(repeating: x))[0] }
