// Dense matrix products on row-major float buffers with leading dimensions: `C += A·B` and
// `C += Aᵀ·B`, which are all a forward and a backward pass need (products with a transposed B
// use a transposed copy of the weights, see ``Network/transposeWeights()``). Each accumulates
// into C: callers that want `C = …` clear C or fill it with a bias first.
//
// One micro-kernel serves both forms: A is read one scalar at a time (broadcast), so whether
// its rows or its columns are contiguous only changes two strides. A tile of C stays in vector
// registers while the shared dimension is walked; every element of C is summed in the same
// order (p = 0, 1, …) whatever tile it falls in, so a row's result does not depend on the batch
// — nor on the vector width, which is 16 lanes where the CPU has AVX-512 (RECUR_AVX512, set by
// the package for such a host) and 8 elsewhere.

#if RECUR_AVX512
@usableFromInline typealias Vector = SIMD16<Float>
#else
@usableFromInline typealias Vector = SIMD8<Float>
#endif
/// Eight lanes: the narrower step for columns left over from full vectors.
@usableFromInline typealias HalfVector = SIMD8<Float>

@inlinable @inline(__always)
func load<V: SIMD>(_ p: UnsafePointer<Float>, as _: V.Type = V.self) -> V where V.Scalar == Float {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

@inlinable @inline(__always)
func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
}

/// The first half of a broadcast vector: the same register, where a second broadcast would
/// cost an instruction beside every multiply-add of a half vector.
@inlinable @inline(__always)
func lowLanes(_ v: Vector) -> HalfVector {
    #if RECUR_AVX512
    return v.lowHalf
    #else
    return v
    #endif
}

/// `s + x·b`, fused into one rounding where the build's CPU has FMA (RECUR_FMA, set by the
/// package when it compiles for a host that has it), else a multiply and an add. Either way
/// every element of a product is summed the same way wherever it falls in a tile.
@inlinable @inline(__always)
func multiplyAdd<V: SIMD>(_ s: V, _ x: V, _ b: V) -> V where V.Scalar == Float {
    #if RECUR_FMA
    return s.addingProduct(x, b)
    #else
    return s + x * b
    #endif
}

@inlinable @inline(__always)
func multiplyAdd(_ s: Float, _ x: Float, _ b: Float) -> Float {
    #if RECUR_FMA
    return s.addingProduct(x, b)
    #else
    return s + x * b
    #endif
}

/// `C[m×n] += A[m×k] · B[k×n]`.
///
/// - Parameters:
///   - lda, ldb, ldc: floats from one row to the next in each matrix.
@inlinable
public func matmulAccumulate(
    m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int,
    _ b: UnsafePointer<Float>, ldb: Int,
    _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    multiplyAccumulate(m: m, n: n, k: k, a, rowStride: lda, columnStride: 1, b, ldb: ldb, c, ldc: ldc)
}

/// `C[m×n] += Aᵀ · B`, where `A` is stored `[k×m]` and `B` is `[k×n]` (a weight gradient:
/// inputs transposed times output gradients).
@inlinable
public func matmulTransposedAAccumulate(
    m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int,
    _ b: UnsafePointer<Float>, ldb: Int,
    _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    multiplyAccumulate(m: m, n: n, k: k, a, rowStride: 1, columnStride: lda, b, ldb: ldb, c, ldc: ldc)
}

/// `C += A·B` with `A[i, p]` at `a[i · rowStride + p · columnStride]`.
@inlinable
func multiplyAccumulate(
    m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, rowStride: Int, columnStride: Int,
    _ b: UnsafePointer<Float>, ldb: Int,
    _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let width = Vector.scalarCount
    var i = 0
    // Four rows of A share each load of B.
    while i + 4 <= m {
        let a0 = a + i * rowStride, a1 = a0 + rowStride, a2 = a1 + rowStride, a3 = a2 + rowStride
        let c0 = c + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
        var j = 0
        while j + 3 * width <= n {
            var s00: Vector = load(c0 + j), s01: Vector = load(c0 + j + width), s02: Vector = load(c0 + j + 2 * width)
            var s10: Vector = load(c1 + j), s11: Vector = load(c1 + j + width), s12: Vector = load(c1 + j + 2 * width)
            var s20: Vector = load(c2 + j), s21: Vector = load(c2 + j + width), s22: Vector = load(c2 + j + 2 * width)
            var s30: Vector = load(c3 + j), s31: Vector = load(c3 + j + width), s32: Vector = load(c3 + j + 2 * width)
            var bp = b + j
            var ap = 0
            for _ in 0..<k {
                let b0: Vector = load(bp), b1: Vector = load(bp + width), b2: Vector = load(bp + 2 * width)
                let x0 = Vector(repeating: a0[ap]), x1 = Vector(repeating: a1[ap])
                let x2 = Vector(repeating: a2[ap]), x3 = Vector(repeating: a3[ap])
                s00 = multiplyAdd(s00, x0, b0); s01 = multiplyAdd(s01, x0, b1); s02 = multiplyAdd(s02, x0, b2)
                s10 = multiplyAdd(s10, x1, b0); s11 = multiplyAdd(s11, x1, b1); s12 = multiplyAdd(s12, x1, b2)
                s20 = multiplyAdd(s20, x2, b0); s21 = multiplyAdd(s21, x2, b1); s22 = multiplyAdd(s22, x2, b2)
                s30 = multiplyAdd(s30, x3, b0); s31 = multiplyAdd(s31, x3, b1); s32 = multiplyAdd(s32, x3, b2)
                bp += ldb
                ap += columnStride
            }
            store(s00, c0 + j); store(s01, c0 + j + width); store(s02, c0 + j + 2 * width)
            store(s10, c1 + j); store(s11, c1 + j + width); store(s12, c1 + j + 2 * width)
            store(s20, c2 + j); store(s21, c2 + j + width); store(s22, c2 + j + 2 * width)
            store(s30, c3 + j); store(s31, c3 + j + width); store(s32, c3 + j + 2 * width)
            j += 3 * width
        }
        // Fewer than three vectors of columns are left (all of a SimpleRNN(40)'s 16 + 16 + 8):
        // in one walk over k, so that their chains run side by side.
        let full = (n - j) / width
        let half = width > HalfVector.scalarCount && (n - j) % width >= HalfVector.scalarCount
        switch full {
        case 0: if half { fourRowsWalk(Vectors0.self, half: true, from: j, k: k, a0, a1, a2, a3, columnStride: columnStride, b, ldb: ldb, c0, c1, c2, c3) }
        case 1: fourRowsWalk(Vectors1.self, half: half, from: j, k: k, a0, a1, a2, a3, columnStride: columnStride, b, ldb: ldb, c0, c1, c2, c3)
        default: fourRowsWalk(Vectors2.self, half: half, from: j, k: k, a0, a1, a2, a3, columnStride: columnStride, b, ldb: ldb, c0, c1, c2, c3)
        }
        j += full * width + (half ? HalfVector.scalarCount : 0)
        if j < n {
            fourRowsTail(n: n, from: j, k: k, a0, a1, a2, a3, columnStride: columnStride, b, ldb: ldb, c0, c1, c2, c3)
        }
        i += 4
    }
    while i < m {
        multiplyAccumulateRow(n: n, k: k, a + i * rowStride, columnStride: columnStride, b, ldb: ldb, c + i * ldc, into: c + i * ldc, Sums.self)
        i += 1
    }
}

/// Four rows of `Count.value` (at most two) vectors of columns from `start`, then a half vector
/// if `half`, over all of k.
@inlinable @inline(__always)
func fourRowsWalk<Count: VectorCount>(
    _: Count.Type, half: Bool, from start: Int, k: Int,
    _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>,
    columnStride: Int, _ b: UnsafePointer<Float>, ldb: Int,
    _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>, _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>
) {
    let w = Vector.scalarCount, full = Count.value
    let zero = Vector(repeating: 0), halfZero = HalfVector(repeating: 0)
    let j = start, jh = start + full * w
    var s00 = full > 0 ? load(c0 + j) : zero, s01 = full > 1 ? load(c0 + j + w) : zero
    var s10 = full > 0 ? load(c1 + j) : zero, s11 = full > 1 ? load(c1 + j + w) : zero
    var s20 = full > 0 ? load(c2 + j) : zero, s21 = full > 1 ? load(c2 + j + w) : zero
    var s30 = full > 0 ? load(c3 + j) : zero, s31 = full > 1 ? load(c3 + j + w) : zero
    var t0: HalfVector = half ? load(c0 + jh) : halfZero, t1: HalfVector = half ? load(c1 + jh) : halfZero
    var t2: HalfVector = half ? load(c2 + jh) : halfZero, t3: HalfVector = half ? load(c3 + jh) : halfZero
    var bp = b + j
    var ap = 0
    for _ in 0..<k {
        let x0 = Vector(repeating: a0[ap]), x1 = Vector(repeating: a1[ap])
        let x2 = Vector(repeating: a2[ap]), x3 = Vector(repeating: a3[ap])
        if full > 0 {
            let b0: Vector = load(bp)
            s00 = multiplyAdd(s00, x0, b0); s10 = multiplyAdd(s10, x1, b0)
            s20 = multiplyAdd(s20, x2, b0); s30 = multiplyAdd(s30, x3, b0)
            if full > 1 {
                let b1: Vector = load(bp + w)
                s01 = multiplyAdd(s01, x0, b1); s11 = multiplyAdd(s11, x1, b1)
                s21 = multiplyAdd(s21, x2, b1); s31 = multiplyAdd(s31, x3, b1)
            }
        }
        if half {
            let bh: HalfVector = load(bp + full * w)
            t0 = multiplyAdd(t0, lowLanes(x0), bh); t1 = multiplyAdd(t1, lowLanes(x1), bh)
            t2 = multiplyAdd(t2, lowLanes(x2), bh); t3 = multiplyAdd(t3, lowLanes(x3), bh)
        }
        bp += ldb
        ap += columnStride
    }
    if full > 0 { store(s00, c0 + j); store(s10, c1 + j); store(s20, c2 + j); store(s30, c3 + j) }
    if full > 1 { store(s01, c0 + j + w); store(s11, c1 + j + w); store(s21, c2 + j + w); store(s31, c3 + j + w) }
    if half { store(t0, c0 + jh); store(t1, c1 + jh); store(t2, c2 + jh); store(t3, c3 + jh) }
}

/// What a row's walk does with its sums before it stores them: nothing (`Sums`: `C += A·B`), or
/// a function applied lane by lane (`TanhOfSums`: a SimpleRNN's `h = tanh(z + h_prev U)` from
/// the registers, without storing z and reading it back).
@usableFromInline protocol RowEpilogue {
    static func finish(_ v: Vector) -> Vector
    static func finishHalf(_ v: HalfVector) -> HalfVector
    static func finish(_ v: Float) -> Float
}

@usableFromInline enum Sums: RowEpilogue {
    @inlinable @inline(__always) static func finish(_ v: Vector) -> Vector { v }
    @inlinable @inline(__always) static func finishHalf(_ v: HalfVector) -> HalfVector { v }
    @inlinable @inline(__always) static func finish(_ v: Float) -> Float { v }
}

/// tanh of each sum, the same bits as `Activation.tanh.apply` on the stored sums: the function
/// works lane by lane, so a half vector or a single column padded with zeros gives each value
/// what a full vector gives it.
@usableFromInline enum TanhOfSums: RowEpilogue {
    @inlinable @inline(__always) static func finish(_ v: Vector) -> Vector { vectorTanh(v) }
    @inlinable @inline(__always) static func finishHalf(_ v: HalfVector) -> HalfVector {
        #if RECUR_AVX512
        return vectorTanh(Lanes(lowHalf: v, highHalf: HalfVector(repeating: 0))).lowHalf
        #else
        return vectorTanh(v)
        #endif
    }
    @inlinable @inline(__always) static func finish(_ v: Float) -> Float { fastTanh(v) }
}

/// One row of `C += A·B` (batch-1 inference lives here: a matrix-vector product). A row has
/// no other rows to hide the multiply-add latency behind, so each pass keeps eight vectors of
/// columns in flight (all 128 gate columns of a 32-unit LSTM at 16 lanes), and what is left —
/// the 40 columns of a SimpleRNN(40), say — goes in one more pass of at most two vectors of up to
/// 64 lanes, rather than one pass per vector, each as long as k multiply-adds in a row.
///
/// The sums, `E` of them, go to `target` (which may be `c`).
@inlinable
func multiplyAccumulateRow<E: RowEpilogue>(
    n: Int, k: Int, _ a: UnsafePointer<Float>, columnStride: Int,
    _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, _: E.Type
) {
    let w = Vector.scalarCount
    var j = 0
    while j + 8 * w <= n {
        let cj = c + j
        var s0: Vector = load(cj), s1: Vector = load(cj + w), s2: Vector = load(cj + 2 * w), s3: Vector = load(cj + 3 * w)
        var s4: Vector = load(cj + 4 * w), s5: Vector = load(cj + 5 * w), s6: Vector = load(cj + 6 * w), s7: Vector = load(cj + 7 * w)
        var bp = b + j
        var ap = 0
        for _ in 0..<k {
            let x = Vector(repeating: a[ap])
            s0 = multiplyAdd(s0, x, load(bp)); s1 = multiplyAdd(s1, x, load(bp + w))
            s2 = multiplyAdd(s2, x, load(bp + 2 * w)); s3 = multiplyAdd(s3, x, load(bp + 3 * w))
            s4 = multiplyAdd(s4, x, load(bp + 4 * w)); s5 = multiplyAdd(s5, x, load(bp + 5 * w))
            s6 = multiplyAdd(s6, x, load(bp + 6 * w)); s7 = multiplyAdd(s7, x, load(bp + 7 * w))
            bp += ldb
            ap += columnStride
        }
        let tj = target + j
        store(E.finish(s0), tj); store(E.finish(s1), tj + w); store(E.finish(s2), tj + 2 * w); store(E.finish(s3), tj + 3 * w)
        store(E.finish(s4), tj + 4 * w); store(E.finish(s5), tj + 5 * w); store(E.finish(s6), tj + 6 * w); store(E.finish(s7), tj + 7 * w)
        j += 8 * w
    }
    // Fewer than eight vectors of columns are left: all of them in one walk over k, so that
    // their chains of multiply-adds run side by side (each column's sum keeps its order).
    j = restOfRow(n: n, from: j, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self)
    multiplyAccumulateTail(n: n, from: j, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self)
}


/// How many whole vectors `restOfRow` walks: a type per count, so that an optimised build has
/// one copy of the walk per count with its branches folded away. The types are not generic, so
/// an unoptimised build instantiates nothing at run time either (no allocation on a first call).
@usableFromInline protocol VectorCount { static var value: Int { get } }
@usableFromInline enum Vectors0: VectorCount { @inlinable static var value: Int { 0 } }
@usableFromInline enum Vectors1: VectorCount { @inlinable static var value: Int { 1 } }
@usableFromInline enum Vectors2: VectorCount { @inlinable static var value: Int { 2 } }
@usableFromInline enum Vectors3: VectorCount { @inlinable static var value: Int { 3 } }
@usableFromInline enum Vectors4: VectorCount { @inlinable static var value: Int { 4 } }
@usableFromInline enum Vectors5: VectorCount { @inlinable static var value: Int { 5 } }
@usableFromInline enum Vectors6: VectorCount { @inlinable static var value: Int { 6 } }
@usableFromInline enum Vectors7: VectorCount { @inlinable static var value: Int { 7 } }

/// Columns `start..<n` of one row, fewer than eight vectors of them, in one walk over k, so
/// that their chains of multiply-adds run side by side. Returns the first column left (fewer
/// than eight).
@inlinable @inline(__always)
func restOfRow<E: RowEpilogue>(
    n: Int, from start: Int, k: Int, _ a: UnsafePointer<Float>, columnStride: Int,
    _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, _: E.Type
) -> Int {
    let w = Vector.scalarCount, h = HalfVector.scalarCount
    let full = (n - start) / w
    let half = w > h && (n - start) % w >= h
    switch full {
    case 0: if half { rowWalk(Vectors0.self, half: true, from: start, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self) }
    case 1: rowWalk(Vectors1.self, half: half, from: start, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self)
    case 2: rowWalk(Vectors2.self, half: half, from: start, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self)
    case 3: rowWalk(Vectors3.self, half: half, from: start, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self)
    case 4: rowWalk(Vectors4.self, half: half, from: start, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self)
    case 5: rowWalk(Vectors5.self, half: half, from: start, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self)
    case 6: rowWalk(Vectors6.self, half: half, from: start, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self)
    default: rowWalk(Vectors7.self, half: half, from: start, k: k, a, columnStride: columnStride, b, ldb: ldb, c, into: target, E.self)
    }
    return start + full * w + (half ? h : 0)
}

/// `Count.value` vectors of columns from `start`, then a half vector if `half`, over all of k.
@inlinable @inline(__always)
func rowWalk<Count: VectorCount, E: RowEpilogue>(
    _: Count.Type, half: Bool, from start: Int, k: Int, _ a: UnsafePointer<Float>, columnStride: Int,
    _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, _: E.Type
) {
    let w = Vector.scalarCount, full = Count.value
    let cj = c + start
    let zero = Vector(repeating: 0)
    var s0 = full > 0 ? load(cj) : zero, s1 = full > 1 ? load(cj + w) : zero
    var s2 = full > 2 ? load(cj + 2 * w) : zero, s3 = full > 3 ? load(cj + 3 * w) : zero
    var s4 = full > 4 ? load(cj + 4 * w) : zero, s5 = full > 5 ? load(cj + 5 * w) : zero
    var s6 = full > 6 ? load(cj + 6 * w) : zero
    var t: HalfVector = half ? load(cj + full * w) : HalfVector(repeating: 0)
    var bp = b + start
    var ap = 0
    for _ in 0..<k {
        let x = Vector(repeating: a[ap])
        if full > 0 { s0 = multiplyAdd(s0, x, load(bp)) }
        if full > 1 { s1 = multiplyAdd(s1, x, load(bp + w)) }
        if full > 2 { s2 = multiplyAdd(s2, x, load(bp + 2 * w)) }
        if full > 3 { s3 = multiplyAdd(s3, x, load(bp + 3 * w)) }
        if full > 4 { s4 = multiplyAdd(s4, x, load(bp + 4 * w)) }
        if full > 5 { s5 = multiplyAdd(s5, x, load(bp + 5 * w)) }
        if full > 6 { s6 = multiplyAdd(s6, x, load(bp + 6 * w)) }
        if half { t = multiplyAdd(t, lowLanes(x), load(bp + full * w)) }
        bp += ldb
        ap += columnStride
    }
    let tj = target + start
    if full > 0 { store(E.finish(s0), tj) }
    if full > 1 { store(E.finish(s1), tj + w) }
    if full > 2 { store(E.finish(s2), tj + 2 * w) }
    if full > 3 { store(E.finish(s3), tj + 3 * w) }
    if full > 4 { store(E.finish(s4), tj + 4 * w) }
    if full > 5 { store(E.finish(s5), tj + 5 * w) }
    if full > 6 { store(E.finish(s6), tj + 6 * w) }
    if half { store(E.finishHalf(t), tj + full * w) }
}

/// Columns `from..<n` (fewer than eight) of four rows, a column at a time, the four rows' sums
/// side by side (a `Dense(1)` over a batch is all tail: one chain of k multiply-adds per row).
@inlinable
func fourRowsTail(
    n: Int, from start: Int, k: Int,
    _ a0: UnsafePointer<Float>, _ a1: UnsafePointer<Float>, _ a2: UnsafePointer<Float>, _ a3: UnsafePointer<Float>,
    columnStride: Int, _ b: UnsafePointer<Float>, ldb: Int,
    _ c0: UnsafeMutablePointer<Float>, _ c1: UnsafeMutablePointer<Float>, _ c2: UnsafeMutablePointer<Float>, _ c3: UnsafeMutablePointer<Float>
) {
    var j = start
    while j < n {
        var s0: Float = c0[j], s1: Float = c1[j], s2: Float = c2[j], s3: Float = c3[j]
        var bp = b + j
        var ap = 0
        for _ in 0..<k {
            let x = bp.pointee
            s0 = multiplyAdd(s0, a0[ap], x)
            s1 = multiplyAdd(s1, a1[ap], x)
            s2 = multiplyAdd(s2, a2[ap], x)
            s3 = multiplyAdd(s3, a3[ap], x)
            bp += ldb
            ap += columnStride
        }
        c0[j] = s0
        c1[j] = s1
        c2[j] = s2
        c3[j] = s3
        j += 1
    }
}

/// Columns `from..<n` (fewer than eight) of one row, one at a time, `E` of the sums to `target`.
@inlinable
func multiplyAccumulateTail<E: RowEpilogue>(
    n: Int, from start: Int, k: Int, _ a: UnsafePointer<Float>, columnStride: Int,
    _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, _: E.Type
) {
    var j = start
    while j < n {
        var s: Float = c[j]
        var bp = b + j
        var ap = 0
        for _ in 0..<k {
            s = multiplyAdd(s, a[ap], bp.pointee)
            bp += ldb
            ap += columnStride
        }
        target[j] = E.finish(s)
        j += 1
    }
}

/// `target[c · rows + r] = source[r · columns + c]`: a `[rows × columns]` matrix transposed
/// (only the source's columns `only`, when given).
@inlinable
public func transpose(
    _ source: UnsafePointer<Float>, rows: Int, columns: Int, into target: UnsafeMutablePointer<Float>, only: Range<Int>? = nil
) {
    let part = only ?? 0..<columns
    for r in 0..<rows {
        for c in part { target[c * rows + r] = source[r * columns + c] }
    }
}
