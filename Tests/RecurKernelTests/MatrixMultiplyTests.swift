import Testing
@testable import RecurKernel

/// The three matrix products against a float64 reference, over shapes that exercise every
/// tile path (multiples of 4 rows and 8/16/32 columns, and the remainders) and padded strides.
@Suite struct MatrixMultiplyTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 40, 40), (1, 128, 32), (3, 7, 5), (4, 8, 5), (4, 16, 9), (5, 33, 17), (8, 160, 64), (12, 40, 40),
        (13, 47, 3), (128, 96, 32), (8, 1, 64),
    ]

    struct Random {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 500
        }
    }

    /// A `rows × columns` matrix with `pad` unused floats after each row.
    static func matrix(_ rows: Int, _ columns: Int, pad: Int, _ random: inout Random) -> [Float] {
        (0..<rows * (columns + pad)).map { _ in random.next() }
    }

    /// Checks `got` against `C0 + reference`, scaled by the size of the products summed.
    static func check(_ got: [Float], initial: [Float], m: Int, n: Int, ldc: Int, reference: (Int, Int) -> (sum: Double, magnitude: Double)) {
        for i in 0..<m {
            for j in 0..<n {
                let (sum, magnitude) = reference(i, j)
                let want = Double(initial[i * ldc + j]) + sum
                let error = abs(Double(got[i * ldc + j]) - want)
                #expect(error <= 1e-6 * (magnitude + abs(Double(initial[i * ldc + j])) + 1), "C[\(i),\(j)] = \(got[i * ldc + j]), want \(want)")
            }
        }
    }

    @Test(arguments: shapes)
    func plainProduct(shape: (m: Int, n: Int, k: Int)) {
        let (m, n, k) = shape
        var random = Random(state: UInt64(m * 1000 + n * 10 + k))
        let (lda, ldb, ldc) = (k + 3, n + 1, n + 5)
        let a = Self.matrix(m, k, pad: 3, &random), b = Self.matrix(k, n, pad: 1, &random)
        let initial = Self.matrix(m, n, pad: 5, &random)
        var c = initial
        c.withUnsafeMutableBufferPointer { cp in
            matmulAccumulate(m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, cp.baseAddress!, ldc: ldc)
        }
        Self.check(c, initial: initial, m: m, n: n, ldc: ldc) { i, j in
            var sum = 0.0, magnitude = 0.0
            for p in 0..<k {
                let term = Double(a[i * lda + p]) * Double(b[p * ldb + j])
                sum += term
                magnitude += abs(term)
            }
            return (sum, magnitude)
        }
    }

    @Test(arguments: shapes)
    func transposedA(shape: (m: Int, n: Int, k: Int)) {
        let (m, n, k) = shape
        var random = Random(state: UInt64(m * 7 + n * 3 + k))
        let (lda, ldb, ldc) = (m + 2, n + 3, n)
        let a = Self.matrix(k, m, pad: 2, &random), b = Self.matrix(k, n, pad: 3, &random)
        let initial = Self.matrix(m, n, pad: 0, &random)
        var c = initial
        c.withUnsafeMutableBufferPointer { cp in
            matmulTransposedAAccumulate(m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, cp.baseAddress!, ldc: ldc)
        }
        Self.check(c, initial: initial, m: m, n: n, ldc: ldc) { i, j in
            var sum = 0.0, magnitude = 0.0
            for p in 0..<k {
                let term = Double(a[p * lda + i]) * Double(b[p * ldb + j])
                sum += term
                magnitude += abs(term)
            }
            return (sum, magnitude)
        }
    }

    @Test(arguments: shapes)
    func transposeSwapsRowsAndColumns(shape: (m: Int, n: Int, k: Int)) {
        var random = Random(state: UInt64(shape.m * 3 + shape.n))
        let source = Self.matrix(shape.m, shape.n, pad: 0, &random)
        var target = [Float](repeating: .nan, count: shape.m * shape.n)
        target.withUnsafeMutableBufferPointer { transpose(source, rows: shape.m, columns: shape.n, into: $0.baseAddress!) }
        for r in 0..<shape.m {
            for c in 0..<shape.n { #expect(target[c * shape.m + r] == source[r * shape.n + c]) }
        }
    }

    /// A transpose made in two parts of the source's columns is the whole transpose.
    @Test(arguments: shapes)
    func transposeInTwoParts(shape: (m: Int, n: Int, k: Int)) {
        var random = Random(state: UInt64(shape.m * 5 + shape.n))
        let source = Self.matrix(shape.m, shape.n, pad: 0, &random)
        var whole = [Float](repeating: .nan, count: shape.m * shape.n), parts = whole
        whole.withUnsafeMutableBufferPointer { transpose(source, rows: shape.m, columns: shape.n, into: $0.baseAddress!) }
        parts.withUnsafeMutableBufferPointer { target in
            for part in 0..<2 {
                transpose(source, rows: shape.m, columns: shape.n, into: target.baseAddress!, only: half(of: shape.n, part: part))
            }
        }
        #expect(parts == whole)
    }

    /// Every row's result is the same whatever tile it falls in, so a sample's output does not
    /// depend on the batch it is run in (column counts that reach every path: a tail alone, a
    /// half vector, one or two vectors with a half vector or a tail, whole tiles, eight vectors).
    @Test(arguments: [1, 3, 8, 20, 40, 47, 128])
    func rowsDoNotDependOnTheirNeighbours(n: Int) {
        var random = Random(state: 99)
        let k = 33
        let a = Self.matrix(9, k, pad: 0, &random), b = Self.matrix(k, n, pad: 0, &random)
        var all = [Float](repeating: 0, count: 9 * n)
        all.withUnsafeMutableBufferPointer { matmulAccumulate(m: 9, n: n, k: k, a, lda: k, b, ldb: n, $0.baseAddress!, ldc: n) }
        for row in 0..<9 {
            var one = [Float](repeating: 0, count: n)
            a.withUnsafeBufferPointer { ap in
                one.withUnsafeMutableBufferPointer { matmulAccumulate(m: 1, n: n, k: k, ap.baseAddress! + row * k, lda: k, b, ldb: n, $0.baseAddress!, ldc: n) }
            }
            #expect(Array(all[row * n..<(row + 1) * n]) == one)
        }
    }
}
