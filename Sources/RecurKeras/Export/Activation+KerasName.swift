import RecurKernel

extension Activation {
    /// The name a Keras layer configuration gives this activation: the inverse of
    /// `Activation(kerasName:kerasMajor:)` for the Kerases in ``kerasMajors``.
    var kerasName: String {
        switch self {
        case .linear: return "linear"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .relu: return "relu"
        case .hardSigmoid, .hardSigmoidKeras2: return "hard_sigmoid"
        case .elu: return "elu"
        case .selu: return "selu"
        case .softsign: return "softsign"
        case .softplus: return "softplus"
        case .swish: return "swish"
        case .relu6: return "relu6"
        case .exponential: return "exponential"
        case .gelu: return "gelu"
        case .hardSwish: return "hard_silu"
        case .mish: return "mish"
        case .leakyRelu: return "leaky_relu"
        case .logSigmoid: return "log_sigmoid"
        case .hardTanh: return "hard_tanh"
        case .tanhShrink: return "tanh_shrink"
        case .softShrink: return "soft_shrink"
        case .hardShrink: return "hard_shrink"
        case .sparsePlus: return "sparse_plus"
        case .squarePlus: return "squareplus"
        }
    }

    /// The Keras major versions in which ``kerasName`` computes this function. Checked with
    /// `keras.activations.get` (3.15.1) and `tf_keras.activations.get` (2.21.0) on a grid of
    /// inputs: tf_keras lacks the newer names, and its `hard_sigmoid` is `clip(0.2x + 0.5)`.
    var kerasMajors: Set<Int> {
        switch self {
        case .hardSigmoidKeras2: return [2]
        case .hardSigmoid, .hardSwish, .logSigmoid, .hardTanh, .tanhShrink, .softShrink, .hardShrink, .sparsePlus, .squarePlus:
            return [3]
        default: return [2, 3]
        }
    }

    /// The function in words, for messages about `hard_sigmoid`.
    var formula: String? {
        switch self {
        case .hardSigmoid: return "relu6(x + 3) / 6"
        case .hardSigmoidKeras2: return "clip(0.2x + 0.5, 0, 1)"
        default: return nil
        }
    }
}
