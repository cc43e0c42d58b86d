// Vectorised exp, tanh and sigmoid for float32, eight lanes at a time.
//
// libm's scalar tanhf and expf dominate a recurrent step when called per element (a profile of
// the course's Bidirectional LSTM showed 60% of the time in them). exp is Cephes-style: x is
// reduced to r = x − n·ln2 with |r| ≤ ln2/2 and a degree-6 polynomial gives e^r, exact to 1–2
// ulp; tanh is TensorFlow's own rational approximation. Every lane of a buffer goes through the
// same vector code (tails are padded), so a value's result does not depend on where it sits.

#if RECUR_AVX512
@usableFromInline typealias Lanes = SIMD16<Float>
@usableFromInline typealias HalfLanes = SIMD8<Float>
@usableFromInline typealias IntLanes = SIMD16<Int32>
#else
@usableFromInline typealias Lanes = SIMD8<Float>
@usableFromInline typealias HalfLanes = SIMD4<Float>
@usableFromInline typealias IntLanes = SIMD8<Int32>
#endif

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

/// tanh as TensorFlow computes it on a CPU (Eigen's `ptanh_float`): an odd degree-13 over an
/// even degree-6 rational function on x clamped to ±7.9, x itself below 0.0004. Besides one
/// division it is eleven multiply-adds — no exponential — and it keeps recur's gates nearer
/// Keras's than a different approximation would.
@inlinable @inline(__always)
func vectorTanh(_ a: Lanes) -> Lanes {
    let x = clamp(a, -7.90531110763549805, 7.90531110763549805)
    let x2 = x * x
    var p = x2 * Lanes(repeating: -2.76076847742355e-16) + Lanes(repeating: 2.00018790482477e-13)
    p = x2 * p + Lanes(repeating: -8.60467152213735e-11)
    p = x2 * p + Lanes(repeating: 5.12229709037114e-08)
    p = x2 * p + Lanes(repeating: 1.48572235717979e-05)
    p = x2 * p + Lanes(repeating: 6.37261928875436e-04)
    p = x2 * p + Lanes(repeating: 4.89352455891786e-03)
    p = x * p
    var q = x2 * Lanes(repeating: 1.19825839466702e-06) + Lanes(repeating: 1.18534705686654e-04)
    q = x2 * q + Lanes(repeating: 2.26843463243900e-03)
    q = x2 * q + Lanes(repeating: 4.89352518554385e-03)
    var result = p / q
    let magnitude = unsafeBitCast(unsafeBitCast(a, to: IntLanes.self) & IntLanes(repeating: 0x7FFF_FFFF), to: Lanes.self)
    result.replace(with: a, where: magnitude .< Lanes(repeating: 0.0004))
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

/// A function applied to a vector of lanes, as a type: `mapLanes` is specialised for each, so
/// the function is inlined into its loop. (Passed as a closure, tanh and sigmoid stayed calls
/// that take and return their vector split into four registers: a quarter of a batch-1 forecast.)
@usableFromInline protocol LaneFunction { static func apply(_ x: Lanes) -> Lanes }
@usableFromInline enum TanhLanes: LaneFunction {
    @inlinable @inline(__always) static func apply(_ x: Lanes) -> Lanes { vectorTanh(x) }
}
@usableFromInline enum SigmoidLanes: LaneFunction {
    @inlinable @inline(__always) static func apply(_ x: Lanes) -> Lanes { vectorSigmoid(x) }
}
@usableFromInline enum ReluLanes: LaneFunction {
    @inlinable @inline(__always) static func apply(_ x: Lanes) -> Lanes { x.replacing(with: 0, where: x .< 0) }
}

/// Applies `F` to `count` floats from `source` into `target` (which may be `source`), a vector
/// at a time; every value goes through the same vector code, wherever it sits.
@inlinable @inline(__always)
func mapLanes<F: LaneFunction>(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, _ count: Int, _: F.Type) {
    let w = Lanes.scalarCount
    var i = 0
    while i + w <= count {
        storeLanes(F.apply(loadLanes(source + i)), target + i)
        i += w
    }
    let rest = count - i
    guard rest > 0 else { return }
    if rest == HalfLanes.scalarCount {
        // The usual remainder (40 units are 16 + 16 + 8): half a vector in and out. Rows are
        // short, so a copy through memory (two calls to memcpy) would cost more than f.
        let half = UnsafeRawPointer(source + i).loadUnaligned(as: HalfLanes.self)
        let result = F.apply(Lanes(lowHalf: half, highHalf: HalfLanes(repeating: 0)))
        UnsafeMutableRawPointer(target + i).storeBytes(of: result.lowHalf, as: HalfLanes.self)
        return
    }
    // Else padded, copied in and out whole (element-wise insertion into a vector is a chain of
    // shuffles).
    let bytes = rest * MemoryLayout<Float>.stride
    var lanes = Lanes(repeating: 0)
    withUnsafeMutableBytes(of: &lanes) { $0.baseAddress!.copyMemory(from: source + i, byteCount: bytes) }
    let result = F.apply(lanes)
    withUnsafeBytes(of: result) { UnsafeMutableRawPointer(target + i).copyMemory(from: $0.baseAddress!, byteCount: bytes) }
}

/// Copies `count` floats between ranges that do not overlap, a vector at a time and with no call
/// to memmove: the rows a recurrent step copies are tens of floats, where the call costs more
/// than the copy.
@inlinable @inline(__always)
func copyFloats(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    let w = Lanes.scalarCount, h = HalfLanes.scalarCount
    var i = 0
    while i + w <= count {
        storeLanes(loadLanes(source + i), target + i)
        i += w
    }
    if i + h <= count {
        UnsafeMutableRawPointer(target + i).storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: HalfLanes.self), as: HalfLanes.self)
        i += h
    }
    while i < count {
        target[i] = source[i]
        i += 1
    }
}

/// Scalar forms that give the same bits as the vector forms.
@inlinable @inline(__always)
func fastTanh(_ x: Float) -> Float { vectorTanh(Lanes(repeating: x))[0] }

@inlinable @inline(__always)
func fastSigmoid(_ x: Float) -> Float { vectorSigmoid(Lanes(repeating: x))[0] }

// The element-wise arithmetic of a recurrent cell, a vector at a time: the same products and
// sums, rounded the same way, as one value at a time (Swift fuses no multiply with an add), so
// a state's bits do not depend on where its values sit. Written out, because the scalar loops
// were left scalar (their index arithmetic is checked), and in a batch-1 LSTM step they cost
// as much as the activations.

/// `out[j] = a[j] · b[j] + c[j] · d[j]` (an LSTM's `c = f c_prev + i g`).
@inlinable @inline(__always)
func sumOfProducts(
    _ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    _ c: UnsafePointer<Float>, _ d: UnsafePointer<Float>, count: Int
) {
    let w = Lanes.scalarCount
    var j = 0
    while j + w <= count {
        storeLanes(loadLanes(a + j) * loadLanes(b + j) + loadLanes(c + j) * loadLanes(d + j), out + j)
        j += w
    }
    while j < count {
        out[j] = a[j] * b[j] + c[j] * d[j]
        j += 1
    }
}

/// `out[j] = a[j] · b[j]` (`out` may be `a` or `b`).
@inlinable @inline(__always)
func product(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    let w = Lanes.scalarCount
    var j = 0
    while j + w <= count {
        storeLanes(loadLanes(a + j) * loadLanes(b + j), out + j)
        j += w
    }
    while j < count {
        out[j] = a[j] * b[j]
        j += 1
    }
}

/// `out[j] += a[j] · b[j]` (the product rounded, then the sum).
@inlinable @inline(__always)
func addProduct(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    let w = Lanes.scalarCount
    var j = 0
    while j + w <= count {
        storeLanes(loadLanes(out + j) + loadLanes(a + j) * loadLanes(b + j), out + j)
        j += w
    }
    while j < count {
        out[j] += a[j] * b[j]
        j += 1
    }
}

/// `out[j] += a[j]`.
@inlinable @inline(__always)
func add(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, count: Int) {
    let w = Lanes.scalarCount
    var j = 0
    while j + w <= count {
        storeLanes(loadLanes(out + j) + loadLanes(a + j), out + j)
        j += w
    }
    while j < count {
        out[j] += a[j]
        j += 1
    }
}

/// `out[j] = z[j] · h[j] + (1 − z[j]) · ĥ[j]` (a GRU's new state).
@inlinable @inline(__always)
func interpolate(_ out: UnsafeMutablePointer<Float>, _ z: UnsafePointer<Float>, _ h: UnsafePointer<Float>, _ candidate: UnsafePointer<Float>, count: Int) {
    let w = Lanes.scalarCount
    let one = Lanes(repeating: 1)
    var j = 0
    while j + w <= count {
        let update = loadLanes(z + j)
        storeLanes(update * loadLanes(h + j) + (one - update) * loadLanes(candidate + j), out + j)
        j += w
    }
    while j < count {
        let update = z[j]
        out[j] = update * h[j] + (1 - update) * candidate[j]
        j += 1
    }
}

/// `out[j] = a[j] + b[j]`.
@inlinable @inline(__always)
func sum(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
    let w = Lanes.scalarCount
    var j = 0
    while j + w <= count {
        storeLanes(loadLanes(a + j) + loadLanes(b + j), out + j)
        j += w
    }
    while j < count {
        out[j] = a[j] + b[j]
        j += 1
    }
}
