/// A regression loss with Keras's definition and reduction: the mean over the batch of the
/// mean over each sample's output values (`sum_over_batch_size`), which is the mean over all
/// `batch · outputs` values.
public enum Loss: BitwiseCopyable, Sendable, Equatable {
    /// `(p − y)²`
    case meanSquaredError
    /// `|p − y|`
    case meanAbsoluteError
    /// `½ e²` for `|e| ≤ δ`, else `δ (|e| − ½ δ)` (Keras's `Huber(delta)`).
    case huber(delta: Float)

    /// The loss of one value's error `e = p − y`, and its derivative with respect to `p`.
    @inlinable @inline(__always)
    func value(error e: Float) -> (loss: Float, slope: Float) {
        switch self {
        case .meanSquaredError:
            return (e * e, 2 * e)
        case .meanAbsoluteError:
            // TensorFlow's gradient of |e| at 0 is 0.
            return (Swift.abs(e), e > 0 ? 1 : (e < 0 ? -1 : 0))
        case .huber(let delta):
            let a = Swift.abs(e)
            if a <= delta { return (0.5 * e * e, e) }
            return (delta * a - 0.5 * delta * delta, e > 0 ? delta : -delta)
        }
    }

    /// The mean loss over `count` predictions, writing `∂loss/∂prediction` into `gradient`.
    ///
    /// - Returns: the loss, and the sums of absolute and squared errors (for the MAE and MSE
    ///   metrics), accumulated in float64.
    @inlinable
    public func evaluate(
        predictions: UnsafePointer<Float>, targets: UnsafePointer<Float>, count: Int,
        gradient: UnsafeMutablePointer<Float>?
    ) -> LossValue {
        var total = 0.0, absolute = 0.0, squared = 0.0
        let scale = 1 / Float(count)
        for i in 0..<count {
            let e = predictions[i] - targets[i]
            let (loss, slope) = value(error: e)
            total += Double(loss)
            absolute += Double(Swift.abs(e))
            squared += Double(e) * Double(e)
            if let gradient { gradient[i] = slope * scale }
        }
        return LossValue(loss: total / Double(count), absoluteErrorSum: absolute, squaredErrorSum: squared, count: count)
    }
}

/// A batch's loss and the error sums its metrics are made of.
public struct LossValue: BitwiseCopyable, Sendable {
    public var loss: Double
    public var absoluteErrorSum: Double
    public var squaredErrorSum: Double
    /// Values compared (`batch · outputs`).
    public var count: Int

    public init(loss: Double, absoluteErrorSum: Double, squaredErrorSum: Double, count: Int) {
        self.loss = loss
        self.absoluteErrorSum = absoluteErrorSum
        self.squaredErrorSum = squaredErrorSum
        self.count = count
    }
}
