import CMathShims

// Vectorised tanh and sigmoid for float32, a vector of lanes at a time.
//
// libm's scalar tanhf and expf dominate a recurrent step when called per element (a profile of
// the course's Bidirectional LSTM showed 60% of the time in them). Both are TensorFlow's own
// approximations, operation for operation, so that recur's gates are Keras's to the bit. Every
// lane of a buffer goes through the same vector code (tails are padded), so a value's result
// does not depend on where it sits.

#if RECUR_AVX512
@usableFromInline typealias Lanes = SIMD16<Float>
@usableFromInline typealias HalfLanes = SIMD8<Float>
@usableFromInline typealias IntLanes = SIMD16<Int32>
#else
@usableFromInline typealias Lanes = SIMD8<Float>
@usableFromInline typealias HalfLanes = SIMD4<Float>
@usableFromInline typealias IntLanes = SIMD8<Int32>
#endif

/// `x` with the lanes below `low` replaced by `low` and those above `high` by `high` (NaN
/// stays NaN). The lane selections are C (CMathShims.h says why).
@inlinable @inline(__always)
func clamp(_ x: Lanes, _ low: Float, _ high: Float) -> Lanes {
    #if RECUR_AVX512
    return recur_clamp16(x, low, high)
    #else
    return recur_clamp8(x, low, high)
    #endif
}

/// `x` with the lanes above `high` replaced by `high`.
@inlinable @inline(__always)
func cap(_ x: Lanes, _ high: Float) -> Lanes {
    #if RECUR_AVX512
    return recur_cap16(x, high)
    #else
    return recur_cap8(x, high)
    #endif
}

/// `r` with 0 in the lanes where `a < aLow` or `b < bLow`.
@inlinable @inline(__always)
func zeroWhereBelow(_ r: Lanes, _ a: Lanes, _ aLow: Float, _ b: Lanes, _ bLow: Float) -> Lanes {
    #if RECUR_AVX512
    return recur_zero_where_below16(r, a, aLow, b, bLow)
    #else
    return recur_zero_where_below8(r, a, aLow, b, bLow)
    #endif
}

/// tanh as TensorFlow 2.21 computes it on a CPU (Eigen's `ptanh_float`, built without fused
/// multiply-adds as TensorFlow's wheels are): x clamped to ±7.90738964, then an odd degree-9 over
/// an even degree-8 rational function, each multiply and add rounded on its own. The same bits
/// as `tf.math.tanh` (checked in the tests against values TensorFlow computed); besides one
/// division, three multiplies and seven multiply-adds, no exponential.
@inlinable @inline(__always)
func vectorTanh(_ a: Lanes) -> Lanes {
    let x = clamp(a, -7.90738964080810547, 7.90738964080810547)
    let x2 = x * x, x3 = x2 * x
    var p = x2 * Lanes(repeating: 1.394553628e-8) + Lanes(repeating: 2.102733560e-5)
    p = p * x2 + Lanes(repeating: 3.520756727e-3)
    p = p * x2 + Lanes(repeating: 1.340216100e-1)
    var q = x2 * Lanes(repeating: 8.015776984e-7) + Lanes(repeating: 3.326951409e-4)
    q = q * x2 + Lanes(repeating: 2.597254514e-2)
    q = q * x2 + Lanes(repeating: 4.673548340e-1)
    q = q * x2 + Lanes(repeating: 1)
    return (x3 * p + x) / q
}

/// The logistic function as TensorFlow 2.21 computes it on a CPU (Eigen's float
/// `scalar_logistic_op`, without fused multiply-adds): `e / (1 + e)` with `e = exp(x)` made as
/// `exp(x/2)²` (x/2 reduced by ln 2, a degree-5 polynomial), x capped at 16.6355324 where the
/// result is exactly 1. TensorFlow flushes subnormal results to zero, and so does this: 0 below
/// x ≈ −87.3. The same bits as `tf.math.sigmoid` (checked in the tests).
@inlinable @inline(__always)
func vectorSigmoid(_ a: Lanes) -> Lanes {
    let x = cap(a, 16.6355324) * Lanes(repeating: 0.5)
    // x/2 = m ln 2 + r, m = floor(x/2 · log₂e + 1/2), ln 2 subtracted in two parts.
    let m = (x * Lanes(repeating: 1.44269504088896341) + Lanes(repeating: 0.5)).rounded(.down)
    var r = m * Lanes(repeating: -0.693359375) + x
    r = m * Lanes(repeating: 2.12194440e-4) + r
    let r2 = r * r
    let even = r2 * Lanes(repeating: 4.1898667812347412109375e-2) + Lanes(repeating: 0.49999141693115234375)
    let odd = r2 * Lanes(repeating: 8.33471305668354034423828125e-3) + Lanes(repeating: 0.16666877269744873046875)
    let low = r + Lanes(repeating: 1)
    var p = r * odd + even
    p = r2 * p + low
    // 2ᵐ, from m's bits: added to 1.5·2²³, m sits in the low mantissa bits (no conversion that
    // could trap; where x is out of range the result is replaced below).
    let magic = Lanes(repeating: 12582912)
    let shifted = unsafeBitCast(m + magic, to: IntLanes.self) &- unsafeBitCast(magic, to: IntLanes.self)
    let half = p * unsafeBitCast((shifted &+ 127) &<< 23, to: Lanes.self)
    let e = half * half
    return zeroWhereBelow(e / (Lanes(repeating: 1) + e), a, -104, e, Float.leastNormalMagnitude)
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
/// A function whose derivative is written in its outputs `y` (the backward pass keeps them).
@usableFromInline protocol OutputDerivativeLanes: LaneFunction { static func derivative(output y: Lanes) -> Lanes }
@usableFromInline enum TanhLanes: OutputDerivativeLanes {
    @inlinable @inline(__always) static func apply(_ x: Lanes) -> Lanes { vectorTanh(x) }
    /// `1 − y²`.
    @inlinable @inline(__always) static func derivative(output y: Lanes) -> Lanes { Lanes(repeating: 1) - y * y }
}
@usableFromInline enum SigmoidLanes: OutputDerivativeLanes {
    @inlinable @inline(__always) static func apply(_ x: Lanes) -> Lanes { vectorSigmoid(x) }
    /// `y (1 − y)`.
    @inlinable @inline(__always) static func derivative(output y: Lanes) -> Lanes { y * (Lanes(repeating: 1) - y) }
}
@usableFromInline enum ReluLanes: LaneFunction {
    @inlinable @inline(__always) static func apply(_ x: Lanes) -> Lanes { zeroWhereBelow(x, x, 0, x, 0) }
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
    storeLanes(F.apply(loadLanes(source + i, count: rest)), target + i, count: rest)
}

/// The `count` floats at `p` (fewer than a vector's) in the first lanes, zeros in the rest.
@inlinable @inline(__always)
func loadLanes(_ p: UnsafePointer<Float>, count: Int) -> Lanes {
    if count == HalfLanes.scalarCount {
        // The usual remainder (40 units are 16 + 16 + 8): one half-vector load. Rows are short,
        // so a copy through memory (a call to memcpy) would cost more than the function applied.
        return Lanes(lowHalf: UnsafeRawPointer(p).loadUnaligned(as: HalfLanes.self), highHalf: HalfLanes(repeating: 0))
    }
    // Else copied in whole (element-wise insertion into a vector is a chain of shuffles).
    var lanes = Lanes(repeating: 0)
    withUnsafeMutableBytes(of: &lanes) { $0.baseAddress!.copyMemory(from: p, byteCount: count * MemoryLayout<Float>.stride) }
    return lanes
}

/// Stores the first `count` lanes of `v` (fewer than a vector's) at `p`.
@inlinable @inline(__always)
func storeLanes(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, count: Int) {
    if count == HalfLanes.scalarCount {
        UnsafeMutableRawPointer(p).storeBytes(of: v.lowHalf, as: HalfLanes.self)
        return
    }
    withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: count * MemoryLayout<Float>.stride) }
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

/// `gradient[j] *= F′` at outputs `y[j]` (tanh's `1 − y²`, the logistic function's `y (1 − y)`),
/// a vector at a time, the tail padded as in `mapLanes`.
@inlinable @inline(__always)
func multiplyByDerivative<F: OutputDerivativeLanes>(_ gradient: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int, _: F.Type) {
    let w = Lanes.scalarCount
    var j = 0
    while j + w <= count {
        storeLanes(loadLanes(gradient + j) * F.derivative(output: loadLanes(y + j)), gradient + j)
        j += w
    }
    let rest = count - j
    guard rest > 0 else { return }
    storeLanes(loadLanes(gradient + j, count: rest) * F.derivative(output: loadLanes(y + j, count: rest)), gradient + j, count: rest)
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

/// One vector of units of an LSTM cell from its four blocks of pre-activations: the gates are
/// `Gate` of i, f and o and `Act` of g, then `c = f c_prev + i g` and `h = o Act(c)`.
@inlinable @inline(__always)
func lstmLanes<Act: LaneFunction, Gate: LaneFunction>(
    _: Act.Type, _: Gate.Type, zi: Lanes, zf: Lanes, zg: Lanes, zo: Lanes, cPrev: Lanes
) -> (i: Lanes, f: Lanes, g: Lanes, o: Lanes, c: Lanes, h: Lanes) {
    // c's inputs first; o last, to run while tanh(c) waits on its chain.
    let i = Gate.apply(zi), f = Gate.apply(zf), g = Act.apply(zg)
    let cell = f * cPrev + i * g
    let o = Gate.apply(zo)
    return (i, f, g, o, cell, o * Act.apply(cell))
}

/// One row of an LSTM cell: `z` holds the four blocks i, f, g, o of the pre-activations, each
/// `units` long (see `lstmLanes`). The activated gates go to `gates` (the backward pass
/// reads them). Element for element the same arithmetic as activating the blocks and then
/// `sumOfProducts` and `product`, but a vector of units goes through all of it at once: the
/// gates stay in registers, and the activations, each a chain of dependent instructions, run
/// side by side instead of one block's after another's. `cPrev` may be `c`.
@inlinable
func lstmCell<Act: LaneFunction, Gate: LaneFunction>(
    _: Act.Type, _: Gate.Type, units: Int, z: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
    gates: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>
) {
    let w = Lanes.scalarCount
    let zi = z, zf = z + units, zg = z + 2 * units, zo = z + 3 * units
    let gi = gates, gf = gates + units, gg = gates + 2 * units, go = gates + 3 * units
    var j = 0
    while j + w <= units {
        let cell = lstmLanes(
            Act.self, Gate.self, zi: loadLanes(zi + j), zf: loadLanes(zf + j), zg: loadLanes(zg + j), zo: loadLanes(zo + j),
            cPrev: loadLanes(cPrev + j))
        storeLanes(cell.h, h + j)
        storeLanes(cell.c, c + j)
        storeLanes(cell.i, gi + j); storeLanes(cell.f, gf + j); storeLanes(cell.g, gg + j); storeLanes(cell.o, go + j)
        j += w
    }
    let n = units - j
    guard n > 0 else { return }
    let cell = lstmLanes(
        Act.self, Gate.self, zi: loadLanes(zi + j, count: n), zf: loadLanes(zf + j, count: n),
        zg: loadLanes(zg + j, count: n), zo: loadLanes(zo + j, count: n), cPrev: loadLanes(cPrev + j, count: n))
    storeLanes(cell.h, h + j, count: n)
    storeLanes(cell.c, c + j, count: n)
    storeLanes(cell.i, gi + j, count: n); storeLanes(cell.f, gf + j, count: n)
    storeLanes(cell.g, gg + j, count: n); storeLanes(cell.o, go + j, count: n)
}

/// Whether `lstmRow` takes a layer of `units`: whole vectors.
@inlinable
func lstmRowFits(units: Int) -> Bool { units % Vector.scalarCount == 0 }

/// One window's LSTM step when nothing is kept for a backward pass: for each vector of units,
/// the four blocks' sums `z + h_prev U` in one walk over `hPrev` (each column summed from z in
/// the order `multiplyAccumulateRow` sums it, so the same bits), then the cell on the registers
/// (`lstmLanes`); only c and h are stored. Two vectors of units go in each walk: eight chains
/// of multiply-adds side by side, as in `multiplyAccumulateRow` (a walk per vector, four chains,
/// was 9% slower for a 32-unit layer). `units` fits (`lstmRowFits`); `cPrev` may be `c`, and
/// `h` may be `z` (a vector of h is stored after every block's sums of its units are made).
@inlinable
func lstmRow<Act: LaneFunction, Gate: LaneFunction>(
    _: Act.Type, _: Gate.Type, units: Int, hPrev: UnsafePointer<Float>, recurrentKernel u: UnsafePointer<Float>,
    z: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>
) {
    let w = Vector.scalarCount
    var j = 0
    while j + 2 * w <= units {
        // Two vectors of units in one walk.
        let sums = gateSums(Vectors2.self, from: j, units: units, hPrev: hPrev, recurrentKernel: u, z: z)
        let v = j + w
        let first = lstmLanes(Act.self, Gate.self, zi: sums.0.i, zf: sums.0.f, zg: sums.0.g, zo: sums.0.o, cPrev: loadLanes(cPrev + j))
        let second = lstmLanes(Act.self, Gate.self, zi: sums.1.i, zf: sums.1.f, zg: sums.1.g, zo: sums.1.o, cPrev: loadLanes(cPrev + v))
        storeLanes(first.c, c + j); storeLanes(first.h, h + j)
        storeLanes(second.c, c + v); storeLanes(second.h, h + v)
        j += 2 * w
    }
    guard j < units else { return }
    // One vector of units is left.
    let sums = gateSums(Vectors1.self, from: j, units: units, hPrev: hPrev, recurrentKernel: u, z: z).0
    let cell = lstmLanes(Act.self, Gate.self, zi: sums.i, zf: sums.f, zg: sums.g, zo: sums.o, cPrev: loadLanes(cPrev + j))
    storeLanes(cell.c, c + j)
    storeLanes(cell.h, h + j)
}

/// The four blocks' sums `z + h_prev U` for the `Count.value` (one or two) vectors of units from
/// `j`, in one walk over the previous state (the second vector's are zeros for one). The vector
/// type is fixed: returned from an unspecialised generic function (a debug build), a tuple of a
/// generic type has its metadata made, and allocated, on the first call.
@inlinable @inline(__always)
func gateSums<Count: VectorCount>(
    _: Count.Type, from j: Int, units: Int, hPrev: UnsafePointer<Float>, recurrentKernel u: UnsafePointer<Float>,
    z: UnsafePointer<Float>
) -> ((i: Vector, f: Vector, g: Vector, o: Vector), (i: Vector, f: Vector, g: Vector, o: Vector)) {
    typealias V = Vector
    let w = V.scalarCount, two = Count.value > 1, zero = V(repeating: 0)
    var si: V = load(z + j), sf: V = load(z + units + j)
    var sg: V = load(z + 2 * units + j), so: V = load(z + 3 * units + j)
    var ti = two ? load(z + j + w) : zero, tf = two ? load(z + units + j + w) : zero
    var tg = two ? load(z + 2 * units + j + w) : zero, to = two ? load(z + 3 * units + j + w) : zero
    var bp = u + j
    for p in 0..<units {
        let x = V(repeating: hPrev[p])
        // Each block's two vectors side by side: for a 32-unit layer, 2% faster than one
        // vector's four blocks and then the other's.
        si = multiplyAdd(si, x, load(bp)); if two { ti = multiplyAdd(ti, x, load(bp + w)) }
        sf = multiplyAdd(sf, x, load(bp + units)); if two { tf = multiplyAdd(tf, x, load(bp + units + w)) }
        sg = multiplyAdd(sg, x, load(bp + 2 * units)); if two { tg = multiplyAdd(tg, x, load(bp + 2 * units + w)) }
        so = multiplyAdd(so, x, load(bp + 3 * units)); if two { to = multiplyAdd(to, x, load(bp + 3 * units + w)) }
        bp += 4 * units
    }
    return ((si, sf, sg, so), (ti, tf, tg, to))
}

