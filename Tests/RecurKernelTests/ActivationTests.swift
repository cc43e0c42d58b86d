import Foundation
import RecurTestSupport
import Testing
@testable import RecurKernel

/// Each activation against Keras's definition written out in float64 here, and each derivative
/// against a float64 central difference of that definition.
@Suite struct ActivationTests {
    static func reference(_ activation: Activation, _ x: Double) -> Double {
        let sigmoid = { (v: Double) in 1 / (1 + Foundation.exp(-v)) }
        let softplus = { (v: Double) in Foundation.log1p(Foundation.exp(-abs(v))) + max(v, 0) }
        switch activation {
        case .linear: return x
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return sigmoid(x)
        case .relu: return max(x, 0)
        case .hardSigmoid: return min(max(x + 3, 0), 6) / 6
        case .hardSigmoidKeras2: return min(max(0.2 * x + 0.5, 0), 1)
        case .elu: return x > 0 ? x : Foundation.expm1(x)
        case .selu: return 1.0507009873554804934193349852946 * (x > 0 ? x : 1.6732632423543772848170429916717 * Foundation.expm1(x))
        case .softsign: return x / (1 + abs(x))
        case .softplus: return softplus(x)
        case .swish: return x * sigmoid(x)
        case .relu6: return min(max(x, 0), 6)
        case .exponential: return Foundation.exp(x)
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
        case .hardSwish: return x * min(max(x + 3, 0), 6) / 6
        case .mish: return x * Foundation.tanh(softplus(x))
        case .leakyRelu: return x >= 0 ? x : 0.2 * x
        case .logSigmoid: return -softplus(-x)
        case .hardTanh: return min(max(x, -1), 1)
        case .tanhShrink: return x - Foundation.tanh(x)
        case .softShrink: return x > 0.5 ? x - 0.5 : (x < -0.5 ? x + 0.5 : 0)
        case .hardShrink: return abs(x) > 0.5 ? x : 0
        case .sparsePlus: return x <= -1 ? 0 : (x >= 1 ? x : (x + 1) * (x + 1) / 4)
        case .squarePlus: return (x + (x * x + 4).squareRoot()) / 2
        }
    }

    static let all: [Activation] = (0...UInt8.max).compactMap(Activation.init(rawValue:))

    /// Points from -9 to 9, avoiding the kinks where a one-sided derivative is ambiguous.
    static let points: [Double] = stride(from: -9.0, through: 9.0, by: 0.0371).map { $0 }

    @Test(arguments: all)
    func valueMatchesDefinition(activation: Activation) {
        for x in Self.points {
            let got = Double(activation(Float(x)))
            let want = Self.reference(activation, Double(Float(x)))
            // A few float32 roundings of the result: 4 ulp relative, with an absolute floor.
            #expect(abs(got - want) <= 5e-7 * max(abs(want), 1), "\(activation) at \(x): \(got), want \(want)")
        }
    }

    @Test(arguments: all)
    func derivativeMatchesDifference(activation: Activation) {
        let kinks: [Double] = [0, -1, 1, -0.5, 0.5, -3, 3, -2.5, 2.5, 6]
        for x in Self.points where kinks.allSatisfy({ abs($0 - x) > 1e-3 }) {
            let h = 1e-5
            let want = (Self.reference(activation, x + h) - Self.reference(activation, x - h)) / (2 * h)
            let y = activation(Float(x))
            let got = Double(activation.derivative(at: Float(x), output: y))
            #expect(abs(got - want) <= 2e-5 * max(abs(want), 1), "\(activation)' at \(x): \(got), want \(want)")
        }
    }

    /// tanh and sigmoid are TensorFlow's to the bit: the values `tools/make_activation_fixtures.py`
    /// had `tf.math.tanh` and `tf.math.sigmoid` compute, through the vector path (a whole buffer,
    /// tail included) and one value at a time.
    @Test func tanhAndSigmoidAreTensorFlows() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("activations/tf_tanh_sigmoid.f32")))
        let all = data.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        let count = all.count / 3
        try #require(count > 10_000 && all.count == 3 * count)
        let x = Array(all[0..<count])
        for (activation, offset) in [(Activation.tanh, count), (.sigmoid, 2 * count)] {
            let want = all[offset..<offset + count]
            var vector = [Float](repeating: .nan, count: count)
            x.withUnsafeBufferPointer { source in
                vector.withUnsafeMutableBufferPointer { activation.apply(source.baseAddress!, to: $0.baseAddress!, count: count) }
            }
            var wrong = 0
            for (i, expected) in want.enumerated() {
                let scalar = activation(x[i])
                if vector[i].bitPattern != expected.bitPattern || scalar.bitPattern != expected.bitPattern {
                    if wrong < 5 { Issue.record("\(activation)(\(x[i])): \(vector[i]) (one at a time \(scalar)), TensorFlow \(expected)") }
                    wrong += 1
                }
            }
            #expect(wrong == 0, "\(activation): \(wrong) of \(count) values differ from TensorFlow's")
        }
    }

    @Test func everyCaseIsCovered() {
        #expect(Self.all.count == 24)
    }
}
