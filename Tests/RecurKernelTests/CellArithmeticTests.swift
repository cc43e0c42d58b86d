import Testing
@testable import RecurKernel

/// The vector forms of a recurrent cell's element-wise arithmetic give, value for value, the
/// bits of the same formula one value at a time: whole vectors, the half vector and the
/// one-at-a-time tail alike (every count from 0 to 49), so a state does not depend on where its
/// values sit or on the vector width.
@Suite struct CellArithmeticTests {
    static let counts = Array(0..<50)

    /// `count` floats in [-2, 2), from a seed.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 4000 - 2000) / 1000
        }
    }

    /// Runs `body` with five input buffers and one output buffer of `count` floats.
    static func run(
        _ count: Int, _ body: (UnsafeMutablePointer<Float>, [UnsafePointer<Float>]) -> Void
    ) -> (output: [Float], inputs: [[Float]]) {
        let inputs = (0..<5).map { values(count, seed: UInt64(count * 10 + $0)) }
        var output = values(count, seed: UInt64(count * 10 + 7))
        let buffers = inputs.map { input -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(from: input, count: count)
            return p
        }
        defer { buffers.forEach { $0.deallocate() } }
        output.withUnsafeMutableBufferPointer { body($0.baseAddress!, buffers.map { UnsafePointer($0) }) }
        return (output, inputs)
    }

    @Test(arguments: counts)
    func sumOfProductsIsTheScalarFormula(count: Int) {
        let (out, x) = Self.run(count) { o, p in sumOfProducts(o, p[0], p[1], p[2], p[3], count: count) }
        for j in 0..<count { #expect(out[j] == x[0][j] * x[1][j] + x[2][j] * x[3][j]) }
    }

    @Test(arguments: counts)
    func productSumAndAddAreTheScalarFormulas(count: Int) {
        let (products, x) = Self.run(count) { o, p in product(o, p[0], p[1], count: count) }
        for j in 0..<count { #expect(products[j] == x[0][j] * x[1][j]) }
        let (sums, y) = Self.run(count) { o, p in sum(o, p[0], p[1], count: count) }
        for j in 0..<count { #expect(sums[j] == y[0][j] + y[1][j]) }
        let start = Self.values(count, seed: UInt64(count * 10 + 7))
        let (added, z) = Self.run(count) { o, p in add(o, p[0], count: count) }
        for j in 0..<count { #expect(added[j] == start[j] + z[0][j]) }
        let (accumulated, u) = Self.run(count) { o, p in addProduct(o, p[0], p[1], count: count) }
        for j in 0..<count { #expect(accumulated[j] == start[j] + u[0][j] * u[1][j]) }
    }

    @Test(arguments: counts)
    func derivativeProductsAreTheScalarFormulas(count: Int) {
        let (tanh, x) = Self.run(count) { o, p in multiplyByDerivative(o, output: p[0], count: count, TanhLanes.self) }
        let start = Self.values(count, seed: UInt64(count * 10 + 7))
        for j in 0..<count { #expect(tanh[j] == start[j] * (1 - x[0][j] * x[0][j])) }
        let (sigmoid, y) = Self.run(count) { o, p in multiplyByDerivative(o, output: p[0], count: count, SigmoidLanes.self) }
        for j in 0..<count { #expect(sigmoid[j] == start[j] * (y[0][j] * (1 - y[0][j]))) }
    }

    @Test(arguments: counts)
    func interpolateIsTheScalarFormula(count: Int) {
        let (out, x) = Self.run(count) { o, p in interpolate(o, p[0], p[1], p[2], count: count) }
        for j in 0..<count { #expect(out[j] == x[0][j] * x[1][j] + (1 - x[0][j]) * x[2][j]) }
    }

    @Test(arguments: [1, 7, 8, 16, 20, 32, 40, 49])
    func lstmGateGradientsAreTheScalarFormulas(units: Int) {
        let gates = Self.values(4 * units, seed: 1), dh = Self.values(units, seed: 2), dtc = Self.values(units, seed: 3)
        let tc = Self.values(units, seed: 4), cPrev = Self.values(units, seed: 5), dcStart = Self.values(units, seed: 6)
        var dc = dcStart
        var dz = [Float](repeating: .nan, count: 4 * units)
        dc.withUnsafeMutableBufferPointer { dcp in
            dz.withUnsafeMutableBufferPointer { dzp in
                lstmGateGradients(units: units, dc: dcp.baseAddress!, dh: dh, gates: gates, dtc: dtc, tc: tc, cPrev: cPrev, dz: dzp.baseAddress!)
            }
        }
        for j in 0..<units {
            let dC = dcStart[j] + dh[j] * gates[3 * units + j] * dtc[j]
            #expect(dc[j] == dC * gates[units + j])
            #expect(dz[j] == dC * gates[2 * units + j])
            #expect(dz[units + j] == dC * cPrev[j])
            #expect(dz[2 * units + j] == dC * gates[j])
            #expect(dz[3 * units + j] == dh[j] * tc[j])
        }
    }

    /// The one-pass gradients of a tanh/sigmoid LSTM step are the separate passes' (tanh,
    /// its derivative, `lstmGateGradients`, each gate's derivative) to the bit.
    @Test(arguments: [1, 7, 8, 16, 20, 32, 40, 49])
    func lstmTanhSigmoidGradientsAreTheSeparatePasses(units: Int) {
        let gates = Self.values(4 * units, seed: 31).map { ($0 + 2) / 4 }, dh = Self.values(units, seed: 32)
        let c = Self.values(units, seed: 33).map { $0 * 2 }, cPrev = Self.values(units, seed: 34), dcStart = Self.values(units, seed: 35)
        var dc = dcStart, dz = [Float](repeating: .nan, count: 4 * units)
        dc.withUnsafeMutableBufferPointer { dcp in
            dz.withUnsafeMutableBufferPointer { dzp in
                lstmTanhSigmoidGradients(units: units, c: c, dc: dcp.baseAddress!, dh: dh, gates: gates, cPrev: cPrev, dz: dzp.baseAddress!)
            }
        }
        var tc = [Float](repeating: 0, count: units), dtc = [Float](repeating: 1, count: units)
        var dcWant = dcStart, dzWant = [Float](repeating: .nan, count: 4 * units)
        tc.withUnsafeMutableBufferPointer { tcp in
            dtc.withUnsafeMutableBufferPointer { dtcp in
                Activation.tanh.apply(c, to: tcp.baseAddress!, count: units)
                Activation.tanh.multiplyByDerivative(dtcp.baseAddress!, pre: c, post: tcp.baseAddress!, count: units)
                dcWant.withUnsafeMutableBufferPointer { dcp in
                    dzWant.withUnsafeMutableBufferPointer { dzp in
                        let dz = dzp.baseAddress!
                        lstmGateGradients(units: units, dc: dcp.baseAddress!, dh: dh, gates: gates, dtc: dtcp.baseAddress!, tc: tcp.baseAddress!, cPrev: cPrev, dz: dz)
                        gates.withUnsafeBufferPointer { g in
                            let post = g.baseAddress!
                            Activation.sigmoid.multiplyByDerivative(dz, pre: post, post: post, count: 2 * units)
                            Activation.tanh.multiplyByDerivative(dz + 2 * units, pre: post + 2 * units, post: post + 2 * units, count: units)
                            Activation.sigmoid.multiplyByDerivative(dz + 3 * units, pre: post + 3 * units, post: post + 3 * units, count: units)
                        }
                    }
                }
            }
        }
        #expect(dc.map(\.bitPattern) == dcWant.map(\.bitPattern))
        #expect(dz.map(\.bitPattern) == dzWant.map(\.bitPattern))
    }

    @Test(arguments: [1, 7, 8, 16, 20, 32, 40, 49])
    func gruInterpolationGradientsAreTheScalarFormulas(units: Int) {
        let gates = Self.values(3 * units, seed: 11), dh = Self.values(units, seed: 12), hPrev = Self.values(units, seed: 13)
        var dz = [Float](repeating: .nan, count: 3 * units)
        var dPrevious = [Float](repeating: .nan, count: units)
        dz.withUnsafeMutableBufferPointer { dzp in
            dPrevious.withUnsafeMutableBufferPointer { dpp in
                gruInterpolationGradients(units: units, dh: dh, gates: gates, previous: hPrev, dz: dzp.baseAddress!, dPrevious: dpp.baseAddress!)
            }
        }
        for j in 0..<units {
            #expect(dz[j] == dh[j] * (hPrev[j] - gates[2 * units + j]))
            #expect(dz[2 * units + j] == dh[j] * (1 - gates[j]))
            #expect(dPrevious[j] == dh[j] * gates[j])
        }
        // The reset gate's place is left alone.
        for j in units..<2 * units { #expect(dz[j].isNaN) }
    }

    /// The fused LSTM cell gives the bits of the one value at a time formula (tanh and sigmoid
    /// one value at a time, then the products and the sum), with `c` written over `c_prev` as
    /// in a forecast, and the gates it keeps for the backward pass.
    @Test(arguments: [1, 3, 7, 8, 15, 16, 20, 31, 32, 40, 49])
    func lstmCellIsTheScalarFormula(units: Int) {
        let z = Self.values(4 * units, seed: 21).map { $0 * 4 }, cStart = Self.values(units, seed: 22)
        var gates = [Float](repeating: .nan, count: 4 * units), c = cStart, h = [Float](repeating: .nan, count: units)
        gates.withUnsafeMutableBufferPointer { g in
            c.withUnsafeMutableBufferPointer { cp in
                h.withUnsafeMutableBufferPointer { hp in
                    lstmCell(TanhLanes.self, SigmoidLanes.self, units: units, z: z, cPrev: cp.baseAddress!,
                             gates: g.baseAddress!, c: cp.baseAddress!, h: hp.baseAddress!)
                }
            }
        }
        for j in 0..<units {
            let i = fastSigmoid(z[j]), f = fastSigmoid(z[units + j]), g = fastTanh(z[2 * units + j]), o = fastSigmoid(z[3 * units + j])
            let cell = f * cStart[j] + i * g
            #expect(gates[j] == i && gates[units + j] == f && gates[2 * units + j] == g && gates[3 * units + j] == o)
            #expect(c[j] == cell)
            #expect(h[j] == o * fastTanh(cell))
        }
    }
}
