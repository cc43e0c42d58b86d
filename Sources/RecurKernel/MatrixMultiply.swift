// Dense matrix products on row-major float buffers with leading dimensions: `C += A·B` and
// `C += Aᵀ·B`, which are all a forward and a backward pass need (products with a transposed B
// use a transposed copy of the weights, see ``Network/transposeWeights()``). Each accumulates
// into C: callers that want `C = …` clear C or fill it with a bias first.
//
// One micro-kernel serves both forms: A is read one scalar at a time (broadcast), so whether
// its rows or its columns are contiguous only changes two strides. A tile of C stays in vector
// registers while the shared dimension is walked; every element of C is summed in the same
// order (p = 0, 1, …) whatever tile it falls in, so a row's result does not depend on the batch.

@usableFromInline typealias Vector = SIMD8<Float>

@inlinable @inline(__always)
func load(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inlinable @inline(__always)
func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
}

/// `s + x·b`, fused into one rounding where the build's CPU has FMA (RECUR_FMA, set by the
/// package when it compiles for a host that has it), else a multiply and an add. Either way
/// every element of a product is summed the same way wherever it falls in a tile.
@inlinable @inline(__always)
func multiplyAdd(_ s: Vector, _ x: Vector, _ b: Vector) -> Vector {
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
    var i = 0
    // Four rows of A share each load of B.
    while i + 4 <= m {
        let a0 = a + i * rowStride, a1 = a0 + rowStride, a2 = a1 + rowStride, a3 = a2 + rowStride
        let c0 = c + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
        var j = 0
        while j + 24 <= n {
            var s00 = load(c0 + j), s01 = load(c0 + j + 8), s02 = load(c0 + j + 16)
            var s10 = load(c1 + j), s11 = load(c1 + j + 8), s12 = load(c1 + j + 16)
            var s20 = load(c2 + j), s21 = load(c2 + j + 8), s22 = load(c2 + j + 16)
            var s30 = load(c3 + j), s31 = load(c3 + j + 8), s32 = load(c3 + j + 16)
            var bp = b + j
            var ap = 0
            for _ in 0..<k {
                let b0 = load(bp), b1 = load(bp + 8), b2 = load(bp + 16)
                let x0 = Vector(repeating: a0[ap]), x1 = Vector(repeating: a1[ap])
                let x2 = Vector(repeating: a2[ap]), x3 = Vector(repeating: a3[ap])
                s00 = multiplyAdd(s00, x0, b0); s01 = multiplyAdd(s01, x0, b1); s02 = multiplyAdd(s02, x0, b2)
                s10 = multiplyAdd(s10, x1, b0); s11 = multiplyAdd(s11, x1, b1); s12 = multiplyAdd(s12, x1, b2)
                s20 = multiplyAdd(s20, x2, b0); s21 = multiplyAdd(s21, x2, b1); s22 = multiplyAdd(s22, x2, b2)
                s30 = multiplyAdd(s30, x3, b0); s31 = multiplyAdd(s31, x3, b1); s32 = multiplyAdd(s32, x3, b2)
                bp += ldb
                ap += columnStride
            }
            store(s00, c0 + j); store(s01, c0 + j + 8); store(s02, c0 + j + 16)
            store(s10, c1 + j); store(s11, c1 + j + 8); store(s12, c1 + j + 16)
            store(s20, c2 + j); store(s21, c2 + j + 8); store(s22, c2 + j + 16)
            store(s30, c3 + j); store(s31, c3 + j + 8); store(s32, c3 + j + 16)
            j += 24
        }
        while j + 8 <= n {
            var s0 = load(c0 + j), s1 = load(c1 + j), s2 = load(c2 + j), s3 = load(c3 + j)
            var bp = b + j
            var ap = 0
            for _ in 0..<k {
                let b0 = load(bp)
                s0 = multiplyAdd(s0, Vector(repeating: a0[ap]), b0); s1 = multiplyAdd(s1, Vector(repeating: a1[ap]), b0)
                s2 = multiplyAdd(s2, Vector(repeating: a2[ap]), b0); s3 = multiplyAdd(s3, Vector(repeating: a3[ap]), b0)
                bp += ldb
                ap += columnStride
            }
            store(s0, c0 + j); store(s1, c1 + j); store(s2, c2 + j); store(s3, c3 + j)
            j += 8
        }
        if j < n {
            for r in 0..<4 {
                multiplyAccumulateTail(n: n, from: j, k: k, a + (i + r) * rowStride, columnStride: columnStride, b, ldb: ldb, c + (i + r) * ldc)
            }
        }
        i += 4
    }
    while i < m {
        multiplyAccumulateRow(n: n, k: k, a + i * rowStride, columnStride: columnStride, b, ldb: ldb, c + i * ldc)
        i += 1
    }
}

/// One row of `C += A·B` (batch-1 inference lives here: a matrix-vector product).
@inlinable
func multiplyAccumulateRow(
    n: Int, k: Int, _ a: UnsafePointer<Float>, columnStride: Int,
    _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>
) {
    var j = 0
    while j + 32 <= n {
        var s0 = load(c + j), s1 = load(c + j + 8), s2 = load(c + j + 16), s3 = load(c + j + 24)
        var bp = b + j
        var ap = 0
        for _ in 0..<k {
            let x = Vector(repeating: a[ap])
            s0 = multiplyAdd(s0, x, load(bp)); s1 = multiplyAdd(s1, x, load(bp + 8))
            s2 = multiplyAdd(s2, x, load(bp + 16)); s3 = multiplyAdd(s3, x, load(bp + 24))
            bp += ldb
            ap += columnStride
        }
        store(s0, c + j); store(s1, c + j + 8); store(s2, c + j + 16); store(s3, c + j + 24)
        j += 32
    }
    while j + 8 <= n {
        var s0 = load(c + j)
        var bp = b + j
        var ap = 0
        for _ in 0..<k {
            s0 = multiplyAdd(s0, Vector(repeating: a[ap]), load(bp))
            bp += ldb
            ap += columnStride
        }
        store(s0, c + j)
        j += 8
    }
    multiplyAccumulateTail(n: n, from: j, k: k, a, columnStride: columnStride, b, ldb: ldb, c)
}

/// Columns `from..<n` (fewer than eight) of one row, one at a time.
@inlinable
func multiplyAccumulateTail(
    n: Int, from start: Int, k: Int, _ a: UnsafePointer<Float>, columnStride: Int,
    _ b: UnsafePointer<Float>, ldb: Int, _ c: UnsafeMutablePointer<Float>
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
        c[j] = s
        j += 1
    }
}

/// `target[c · rows + r] = source[r · columns + c]`: a `[rows × columns]` matrix transposed.
@inlinable
public func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into target: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        for c in 0..<columns { target[c * rows + r] = source[r * columns + c] }
    }
}
