/// An optimizer with Keras 3's update rules and defaults, applied element by element to the
/// flat parameter vector (every rule is element-wise, so one loop serves all weights).
public enum Optimizer: BitwiseCopyable, Sendable, Equatable {
    /// `v = m·v − lr·g; w += v` (Nesterov: `w += m·v − lr·g`); plain `w −= lr·g` without momentum.
    case sgd(momentum: Float, nesterov: Bool)
    /// `m += (g − m)(1 − β₁); v += (g² − v)(1 − β₂); w −= m·α / (√v + ε)`,
    /// `α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)` (Keras's ε outside the root).
    case adam(beta1: Float, beta2: Float, epsilon: Float)
    /// `v = ρ v + (1 − ρ) g²; Δ = lr·g / √(v + ε)`; with momentum `u = μ u + Δ; w −= u`, else `w −= Δ`.
    case rmsprop(rho: Float, momentum: Float, epsilon: Float)

    public static let sgdDefault = Optimizer.sgd(momentum: 0, nesterov: false)
    public static let adamDefault = Optimizer.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-7)
    public static let rmspropDefault = Optimizer.rmsprop(rho: 0.9, momentum: 0, epsilon: 1e-7)

    /// Optimizer values kept per parameter.
    public var slotCount: Int {
        switch self {
        case .sgd(let momentum, _): return momentum > 0 ? 1 : 0
        case .adam: return 2
        case .rmsprop(_, let momentum, _): return momentum > 0 ? 2 : 1
        }
    }

    /// Applies one update to `count` parameters from their gradients.
    ///
    /// - Parameters:
    ///   - slots: `slotCount` arrays of `stride` floats each, zero before the first step.
    ///   - step: updates applied before this one (Keras's `iterations`).
    @inlinable
    public func update(
        parameters w: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, count: Int,
        slots: UnsafeMutablePointer<Float>, stride: Int, learningRate lr: Float, step: Int
    ) {
        switch self {
        case .sgd(let momentum, let nesterov):
            if momentum > 0 {
                let v = slots
                for i in 0..<count {
                    v[i] = v[i] * momentum - g[i] * lr
                    w[i] += nesterov ? v[i] * momentum - g[i] * lr : v[i]
                }
            } else {
                for i in 0..<count { w[i] -= g[i] * lr }
            }
        case .adam(let beta1, let beta2, let epsilon):
            let t = Float(step + 1)
            let alpha = lr * sqrtf(1 - powf(beta2, t)) / (1 - powf(beta1, t))
            let m = slots, v = slots + stride
            for i in 0..<count {
                m[i] += (g[i] - m[i]) * (1 - beta1)
                v[i] += (g[i] * g[i] - v[i]) * (1 - beta2)
                w[i] -= (m[i] * alpha) / (sqrtf(v[i]) + epsilon)
            }
        case .rmsprop(let rho, let momentum, let epsilon):
            let v = slots, u = slots + stride
            for i in 0..<count {
                v[i] = rho * v[i] + (1 - rho) * (g[i] * g[i])
                let increment = (lr * g[i]) / sqrtf(v[i] + epsilon)
                if momentum > 0 {
                    u[i] = momentum * u[i] + increment
                    w[i] -= u[i]
                } else {
                    w[i] -= increment
                }
            }
        }
    }
}

/// Keras's gradient clipping, applied before the update.
public enum GradientClipping: BitwiseCopyable, Sendable, Equatable {
    case none
    /// Each weight tensor's gradient scaled to norm at most `c` (`clipnorm`).
    case norm(Float)
    /// All gradients together scaled to norm at most `c` (`global_clipnorm`).
    case globalNorm(Float)
    /// Each value clipped to `[−c, c]` (`clipvalue`).
    case value(Float)
}
