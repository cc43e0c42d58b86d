// Dense matrix products on row-major float buffers with leading dimensions, the three forms
// that forward and backward passes need. Each accumulates into C (`C += …`): callers that want
// `C = …` clear C or fill it with a bias first. SIMD over the output columns keeps a tile of C in
// registers while the shared dimension is walked.

@usableFromInline typealias Vector = SIMD8<Float>

@inlinable @inline(__always)
func load(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inlinable @inline(__always)
func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
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
    var i = 0
    // Four rows of A share each load of B.
    while i + 4 <= m {
        let a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
        let c0 = c + i * ldc, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc
        var j = 0
        while j + 16 <= n {
            var s00 = load(c0 + j), s01 = load(c0 + j + 8)
            var s10 = load(c1 + j), s11 = load(c1 + j + 8)
            var s20 = load(c2 + j), s21 = load(c2 + j + 8)
            var s30 = load(c3 + j), s31 = load(c3 + j + 8)
            var bp = b + j
            for p in 0..<k {
                let b0 = load(bp), b1 = load(bp + 8)
                let x0 = Vector(repeating: a0[p]), x1 = Vector(repeating: a1[p])
                let x2 = Vector(repeating: a2[p]), x3 = Vector(repeating: a3[p])
                s00 += x0 * b0; s01 += x0 * b1
                s10 += x1 * b0; s11 += x1 * b1
                s20 += x2 * b0; s21 += x2 * b1
                s30 += x3 * b0; s31 += x3 * b1
                bp += ldb
            }
            store(s00, c0 + j); store(s01, c0 + j + 8)
            store(s10, c1 + j); store(s11, c1 + j + 8)
            store(s20, c2 + j); store(s21, c2 + j + 8)
            store(s30, c3 + j); store(s31, c3 + j + 8)
            j += 16
        }
        if j < n {
            matmulRowsAccumulate(rows: 4, n: n, from: j, k: k, a0, lda: lda, b, ldb: ldb, c0, ldc: ldc)
        }
        i += 4
    }
    while i < m {
        matmulRowsAccumulate(rows: 1, n: n, from: 0, k: k, a + i * lda, lda: lda, b, ldb: ldb, c + i * ldc, ldc: ldc)
        i += 1
    }
}

/// Columns `from..<n` of `rows` rows of `C += A · B`, one row at a time.
@inlinable
func matmulRowsAccumulate(
    rows: Int, n: Int, from start: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int,
    _ b: UnsafePointer<Float>, ldb: Int,
    _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for r in 0..<rows {
        let ar = a + r * lda
        let cr = c + r * ldc
        var j = start
        while j + 32 <= n {
            var s0 = load(cr + j), s1 = load(cr + j + 8), s2 = load(cr + j + 16), s3 = load(cr + j + 24)
            var bp = b + j
            for p in 0..<k {
                let x = Vector(repeating: ar[p])
                s0 += x * load(bp); s1 += x * load(bp + 8); s2 += x * load(bp + 16); s3 += x * load(bp + 24)
                bp += ldb
            }
            store(s0, cr + j); store(s1, cr + j + 8); store(s2, cr + j + 16); store(s3, cr + j + 24)
            j += 32
        }
        while j + 8 <= n {
            var s0 = load(cr + j)
            var bp = b + j
            for p in 0..<k {
                s0 += Vector(repeating: ar[p]) * load(bp)
                bp += ldb
            }
            store(s0, cr + j)
            j += 8
        }
        while j < n {
            var s: Float = cr[j]
            var bp = b + j
            for p in 0..<k {
                s += ar[p] * bp.pointee
                bp += ldb
            }
            cr[j] = s
            j += 1
        }
    }
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
    // Row p of A and row p of B form a rank-one update of C; C stays in cache for small layers.
    for p in 0..<k {
        let ap = a + p * lda
        let bp = b + p * ldb
        for i in 0..<m {
            let x = ap[i]
            if x == 0 { continue }
            let ci = c + i * ldc
            let xv = Vector(repeating: x)
            var j = 0
            while j + 8 <= n {
                store(load(ci + j) + xv * load(bp + j), ci + j)
                j += 8
            }
            while j < n {
                ci[j] += x * bp[j]
                j += 1
            }
        }
    }
}

/// `C[m×n] += A · Bᵀ`, where `A` is `[m×k]` and `B` is stored `[n×k]` (an input gradient:
/// output gradients times the weights transposed).
@inlinable
public func matmulTransposedBAccumulate(
    m: Int, n: Int, k: Int,
    _ a: UnsafePointer<Float>, lda: Int,
    _ b: UnsafePointer<Float>, ldb: Int,
    _ c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for i in 0..<m {
        let ai = a + i * lda
        let ci = c + i * ldc
        for j in 0..<n {
            let bj = b + j * ldb
            var sv = Vector(repeating: 0)
            var p = 0
            while p + 8 <= k {
                sv += load(ai + p) * load(bj + p)
                p += 8
            }
            var s = sv.sum()
            while p < k {
                s += ai[p] * bj[p]
                p += 1
            }
            ci[j] += s
        }
    }
}
