/// An element-wise activation, with Keras's definition in float32.
///
/// Keras 2 and Keras 3 disagree on `hard_sigmoid`; the importer picks the case by the Keras
/// version that wrote the file.
public enum Activation: UInt8, BitwiseCopyable, Sendable {
    case linear
    case tanh
    /// `1 / (1 + exp(-x))`, computed the way TensorFlow does (`FastMath.swift`).
    case sigmoid
    case relu
    /// Keras 3: `relu6(x + 3) / 6`.
    case hardSigmoid
    /// Keras 2 (tf_keras and standalone Keras): `clip(0.2 x + 0.5, 0, 1)`.
    case hardSigmoidKeras2
    /// `x` for `x > 0`, else `exp(x) - 1`.
    case elu
    /// `scale · elu_alpha(x)` with Keras's `alpha` and `scale`.
    case selu
    /// `x / (1 + |x|)`.
    case softsign
    /// `log(1 + exp(x))`.
    case softplus
    /// `x · sigmoid(x)` (Keras's `swish` and `silu`).
    case swish
    /// `min(max(x, 0), 6)`.
    case relu6
    case exponential
    /// `0.5 x (1 + erf(x / √2))`, Keras's default exact form.
    case gelu
    /// `x · relu6(x + 3) / 6` (Keras 3's `hard_silu`, `hard_swish`).
    case hardSwish
    /// `x · tanh(softplus(x))`.
    case mish
    /// `x` for `x ≥ 0`, else `0.2 x` (Keras 3's `leaky_relu` default slope).
    case leakyRelu
    /// `-softplus(-x)`.
    case logSigmoid
    /// `clip(x, -1, 1)`.
    case hardTanh
    /// `x - tanh(x)`.
    case tanhShrink
    /// `x ∓ 0.5` outside `[-0.5, 0.5]`, else 0.
    case softShrink
    /// `x` outside `[-0.5, 0.5]`, else 0.
    case hardShrink
    /// 0 below −1, `x` above 1, else `(x + 1)² / 4`.
    case sparsePlus
    /// `(x + √(x² + 4)) / 2`.
    case squarePlus
}

extension Activation {
    @usableFromInline static let seluAlpha: Float = 1.6732632423543772848170429916717
    @usableFromInline static let seluScale: Float = 1.0507009873554804934193349852946

    /// The activation of one value.
    @inlinable @inline(__always)
    public func callAsFunction(_ x: Float) -> Float {
        switch self {
        case .linear: return x
        case .tanh: return fastTanh(x)
        case .sigmoid: return fastSigmoid(x)
        case .relu: return x > 0 ? x : 0
        case .hardSigmoid: return Swift.min(Swift.max(x + 3, 0), 6) / 6
        case .hardSigmoidKeras2: return Swift.min(Swift.max(x * 0.2 + 0.5, 0), 1)
        case .elu: return x > 0 ? x : expm1f(x)
        case .selu: return Activation.seluScale * (x > 0 ? x : Activation.seluAlpha * expm1f(x))
        case .softsign: return x / (1 + Swift.abs(x))
        case .softplus: return Activation.softplusValue(x)
        case .swish: return x / (1 + expf(-x))
        case .relu6: return Swift.min(Swift.max(x, 0), 6)
        case .exponential: return expf(x)
        case .gelu: return 0.5 * x * (1 + erff(x * 0.70710678118654752440))
        case .hardSwish: return x * (Swift.min(Swift.max(x + 3, 0), 6) / 6)
        case .mish: return x * tanhf(Activation.softplusValue(x))
        case .leakyRelu: return x >= 0 ? x : 0.2 * x
        case .logSigmoid: return -Activation.softplusValue(-x)
        case .hardTanh: return Swift.min(Swift.max(x, -1), 1)
        case .tanhShrink: return x - tanhf(x)
        case .softShrink: return x > 0.5 ? x - 0.5 : (x < -0.5 ? x + 0.5 : 0)
        case .hardShrink: return x > 0.5 || x < -0.5 ? x : 0
        case .sparsePlus: return x <= -1 ? 0 : (x >= 1 ? x : (x + 1) * (x + 1) / 4)
        case .squarePlus: return (x + sqrtf(x * x + 4)) / 2
        }
    }

    /// `log(1 + exp(x))` without overflow for large `x` or loss for very negative `x`.
    @inlinable @inline(__always)
    static func softplusValue(_ x: Float) -> Float {
        x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x))
    }

    /// The derivative `dy/dx` at pre-activation `x`, given the output `y = f(x)`.
    ///
    /// Each case uses whichever of the two is cheaper and exact.
    @inlinable @inline(__always)
    public func derivative(at x: Float, output y: Float) -> Float {
        switch self {
        case .linear: return 1
        case .tanh: return 1 - y * y
        case .sigmoid: return y * (1 - y)
        case .relu: return x > 0 ? 1 : 0
        case .hardSigmoid: return x > -3 && x < 3 ? Float(1) / 6 : 0
        case .hardSigmoidKeras2: return x > -2.5 && x < 2.5 ? 0.2 : 0
        case .elu: return x > 0 ? 1 : y + 1
        case .selu: return x > 0 ? Activation.seluScale : y + Activation.seluScale * Activation.seluAlpha
        case .softsign:
            let d = 1 + Swift.abs(x)
            return 1 / (d * d)
        case .softplus: return 1 / (1 + expf(-x))
        case .swish:
            let s = 1 / (1 + expf(-x))
            return s * (1 + x * (1 - s))
        case .relu6: return x > 0 && x < 6 ? 1 : 0
        case .exponential: return y
        case .gelu:
            let pdf = expf(-0.5 * x * x) * 0.39894228040143267794
            return 0.5 * (1 + erff(x * 0.70710678118654752440)) + x * pdf
        case .hardSwish:
            if x <= -3 { return 0 }
            if x >= 3 { return 1 }
            return (2 * x + 3) / 6
        case .mish:
            let sp = Activation.softplusValue(x)
            let t = tanhf(sp)
            let s = 1 / (1 + expf(-x))
            return t + x * s * (1 - t * t)
        case .leakyRelu: return x >= 0 ? 1 : 0.2
        case .logSigmoid: return 1 / (1 + expf(x))
        case .hardTanh: return x > -1 && x < 1 ? 1 : 0
        case .tanhShrink:
            let t = tanhf(x)
            return t * t
        case .softShrink, .hardShrink: return x > 0.5 || x < -0.5 ? 1 : 0
        case .sparsePlus: return x <= -1 ? 0 : (x >= 1 ? 1 : (x + 1) / 2)
        case .squarePlus: return (1 + x / sqrtf(x * x + 4)) / 2
        }
    }

    /// Applies the activation in place to `count` values.
    @inlinable
    public func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        if self == .linear { return }
        apply(values, to: values, count: count)
    }

    /// `gradient[i] *= f'(pre[i])`, given the outputs `post[i] = f(pre[i])`, for `count`
    /// values; the case is chosen once, outside the loop; tanh's and sigmoid's run a vector at a time.
    @inlinable
    public func multiplyByDerivative(_ gradient: UnsafeMutablePointer<Float>, pre: UnsafePointer<Float>, post: UnsafePointer<Float>, count: Int) {
        switch self {
        case .linear: return
        case .tanh: RecurKernel.multiplyByDerivative(gradient, output: post, count: count, TanhLanes.self)
        case .sigmoid: RecurKernel.multiplyByDerivative(gradient, output: post, count: count, SigmoidLanes.self)
        case .relu: for i in 0..<count { gradient[i] = pre[i] > 0 ? gradient[i] : 0 }
        default:
            for i in 0..<count { gradient[i] *= derivative(at: pre[i], output: post[i]) }
        }
    }

    /// Writes `f(source[i])` to `target[i]` for `count` values (`target` may equal `source`).
    ///
    /// The case is chosen once, outside the loop; tanh, sigmoid and relu run a vector at a time.
    @inlinable
    public func apply(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .linear:
            if UnsafePointer(target) != source { target.update(from: source, count: count) }
        case .tanh: mapLanes(source, target, count, TanhLanes.self)
        case .sigmoid: mapLanes(source, target, count, SigmoidLanes.self)
        case .relu: mapLanes(source, target, count, ReluLanes.self)
        default:
            for i in 0..<count { target[i] = self(source[i]) }
        }
    }
}
