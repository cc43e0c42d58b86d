/// One weight tensor of a layer: where it starts among the parameters, its Keras shape
/// `[rows, columns]` (a bias is `[1, n]`, a GRU bias with the reset after is `[2, n]`), and
/// what Keras initialises it with.
public struct WeightTensor: BitwiseCopyable, Sendable {
    public enum Initializer: BitwiseCopyable, Sendable {
        case glorotUniform, orthogonal, zeros
        /// Zeros with an LSTM's forget-gate block set to one (`unit_forget_bias`).
        case lstmBias
    }

    public var offset: Int
    public var rows: Int
    public var columns: Int
    public var initializer: Initializer
    /// Glorot's fans: rows and columns, except for a convolution (`size·in`, `size·out`).
    public var fanIn: Int
    public var fanOut: Int
    public var count: Int { rows * columns }

    public init(offset: Int, rows: Int, columns: Int, initializer: Initializer, receptiveField: Int = 1) {
        self.offset = offset
        self.rows = rows
        self.columns = columns
        self.initializer = initializer
        self.fanIn = rows
        self.fanOut = columns * receptiveField
    }
}

extension Network {
    /// Calls `body` for each weight tensor in parameter order (Keras's `weight_names` order).
    public func forEachWeightTensor(_ body: (WeightTensor) -> Void) {
        for layer in layers {
            Network.forEachWeightTensor(of: layer, body)
        }
    }

    /// The weight tensors of one planned layer, in Keras's order.
    public static func forEachWeightTensor(of layer: Layer, _ body: (WeightTensor) -> Void) {
        switch layer.kind {
        case .dense:
            let kernel = WeightTensor(offset: layer.parameters, rows: layer.input.features, columns: layer.units, initializer: .glorotUniform)
            body(kernel)
            if layer.useBias {
                body(WeightTensor(offset: kernel.offset + kernel.count, rows: 1, columns: layer.units, initializer: .zeros))
            }
        case .recurrent:
            let gateWidth = layer.cell.gateCount * layer.units
            for direction in 0..<layer.directions.count {
                let state = direction == 0 ? layer.forwardState : layer.backwardState
                body(WeightTensor(offset: state.kernel, rows: layer.input.features, columns: gateWidth, initializer: .glorotUniform))
                body(WeightTensor(offset: state.recurrentKernel, rows: layer.units, columns: gateWidth, initializer: .orthogonal))
                if layer.useBias {
                    body(WeightTensor(
                        offset: state.bias, rows: layer.cell == .gruResetAfter ? 2 : 1, columns: gateWidth,
                        initializer: layer.cell == .lstm ? .lstmBias : .zeros))
                }
            }
        case .conv1D:
            // Keras's fans for a kernel [size, in, out]: size·in and size·out.
            let kernel = WeightTensor(
                offset: layer.parameters, rows: layer.window.size * layer.input.features, columns: layer.units,
                initializer: .glorotUniform, receptiveField: layer.window.size)
            body(kernel)
            if layer.useBias {
                body(WeightTensor(offset: kernel.offset + kernel.count, rows: 1, columns: layer.units, initializer: .zeros))
            }
        case .elementwise, .activation, .expandDims, .flatten, .reshape, .pool1D, .globalPool1D, .dropout:
            break
        }
    }

    /// Floats of float64 scratch that ``initializeParameters(random:scratch:)`` needs.
    public var initializerScratchCount: Int {
        var largest = 0
        forEachWeightTensor { tensor in
            if tensor.initializer == .orthogonal { largest = Swift.max(largest, tensor.count) }
        }
        return largest
    }

    /// Fills every parameter with Keras's default initialisation: Glorot-uniform kernels,
    /// orthogonal recurrent kernels, zero biases (an LSTM's forget gate at one).
    ///
    /// - Parameter scratch: ``initializerScratchCount`` float64 values of working memory.
    public func initializeParameters(random: inout RandomNumbers, scratch: UnsafeMutablePointer<Double>) {
        forEachWeightTensor { tensor in
            let w = arena.floats(at: tensor.offset)
            switch tensor.initializer {
            case .zeros:
                w.update(repeating: 0, count: tensor.count)
            case .lstmBias:
                let units = tensor.columns / 4
                for j in 0..<tensor.columns { w[j] = j >= units && j < 2 * units ? 1 : 0 }
            case .glorotUniform:
                let limit = sqrt(6 / Double(tensor.fanIn + tensor.fanOut))
                for i in 0..<tensor.count { w[i] = Float((2 * random.unit() - 1) * limit) }
            case .orthogonal:
                orthogonal(w, rows: tensor.rows, columns: tensor.columns, random: &random, scratch: scratch)
            }
        }
    }
}

/// Keras's orthogonal initializer: a `[max, min]` matrix of standard normals, the `Q` of its QR
/// decomposition with `R`'s diagonal made positive (modified Gram–Schmidt gives that form
/// directly), transposed when the tensor has fewer rows than columns.
func orthogonal(_ w: UnsafeMutablePointer<Float>, rows: Int, columns: Int, random: inout RandomNumbers, scratch a: UnsafeMutablePointer<Double>) {
    let tall = Swift.max(rows, columns), narrow = Swift.min(rows, columns)
    // a is [tall, narrow], row-major.
    for i in 0..<tall * narrow { a[i] = random.normal() }
    for j in 0..<narrow {
        for k in 0..<j {
            var dot = 0.0
            for i in 0..<tall { dot += a[i * narrow + k] * a[i * narrow + j] }
            for i in 0..<tall { a[i * narrow + j] -= dot * a[i * narrow + k] }
        }
        var norm = 0.0
        for i in 0..<tall { norm += a[i * narrow + j] * a[i * narrow + j] }
        norm = sqrt(norm)
        let scale = norm > 0 ? 1 / norm : 0
        for i in 0..<tall { a[i * narrow + j] *= scale }
    }
    for r in 0..<rows {
        for c in 0..<columns {
            w[r * columns + c] = Float(rows >= columns ? a[r * narrow + c] : a[c * narrow + r])
        }
    }
}
