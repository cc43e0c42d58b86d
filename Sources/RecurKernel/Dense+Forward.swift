extension Network {
    /// `y = act(x W + b)` on each of the `batch · rows` rows of the input.
    ///
    /// Shapes: x `[batch, rows, in]`, W `[in, units]`, b `[units]`, y `[batch, rows, units]`.
    /// When training, the pre-activation is kept for the backward pass.
    func denseForward(_ layer: Layer, input: UnsafeMutablePointer<Float>, batch: Int, training: Bool) {
        let rows = batch * layer.input.rows
        let inputWidth = layer.input.features
        let units = layer.units
        let output = arena.floats(at: layer.outputBuffer)
        let kernel = arena.floats(at: layer.parameters)
        fillRows(output, rows: rows, width: units, with: layer.useBias ? kernel + inputWidth * units : nil)
        matmulAccumulate(m: rows, n: units, k: inputWidth, input, lda: inputWidth, kernel, ldb: units, output, ldc: units)
        if training {
            arena.floats(at: layer.preActivation).update(from: output, count: rows * units)
        }
        layer.activation.apply(output, count: rows * units)
    }
}

/// Sets each of `rows` rows of `width` floats to `row` (or to zero when `row` is nil).
@inlinable
func fillRows(_ target: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil, with row: UnsafePointer<Float>?) {
    let step = stride ?? width
    for r in 0..<rows {
        let destination = target + r * step
        if let row {
            copyFloats(row, to: destination, count: width)
        } else {
            destination.update(repeating: 0, count: width)
        }
    }
}
