extension Network {
    /// The backward pass of ``denseForward(_:input:batch:training:)``.
    ///
    /// Forward: `y = act(z)`, `z = x W + b` on `rows = batch · steps` rows. Here:
    /// `dz = dy ⊙ act'(z)` (in place in `dy`), `dW += xᵀ dz`, `db += Σ_rows dz`, and, when the
    /// input needs one, `dx = dz Wᵀ`.
    func denseBackward(
        _ layer: Layer, input: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        let rows = batch * layer.input.rows
        let inputWidth = layer.input.features
        let units = layer.units
        let kernelGradient = arena.floats(at: layer.parameters + gradientShift)
        let dz = outputGradient
        layer.activation.multiplyByDerivative(
            dz, pre: arena.floats(at: layer.preActivation), post: arena.floats(at: layer.outputBuffer), count: rows * units)
        matmulTransposedAAccumulate(m: inputWidth, n: units, k: rows, input, lda: inputWidth, dz, ldb: units, kernelGradient, ldc: units)
        if layer.useBias {
            let biasGradient = kernelGradient + inputWidth * units
            addRows(dz, rows: rows, width: units, stride: units, into: biasGradient)
        }
        if let inputGradient {
            inputGradient.update(repeating: 0, count: rows * inputWidth)
            matmulAccumulate(m: rows, n: inputWidth, k: units, dz, lda: units, arena.floats(at: layer.transposedKernel), ldb: inputWidth, inputGradient, ldc: inputWidth)
        }
    }
}

/// `target[j] += Σ_r source[r · stride + j]` for `j < width`.
@inlinable
func addRows(_ source: UnsafePointer<Float>, rows: Int, width: Int, stride: Int, into target: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = source + r * stride
        for j in 0..<width { target[j] += row[j] }
    }
}
