extension Network {
    /// Keras's `Conv1D`: `y[t, o] = act(b[o] + Σ_k Σ_c x[t·s − pad + k·d, c] · W[k, c, o])`, with
    /// zeros outside the input.
    ///
    /// Shapes: x `[batch, T, in]`, W `[size, in, filters]`, y `[batch, T', filters]`. For each
    /// kernel tap `k` the output rows whose input row exists form one strided matrix product.
    func conv1DForward(_ layer: Layer, input: UnsafePointer<Float>, batch: Int, training: Bool) {
        let steps = layer.input.steps, inputWidth = layer.input.features, filters = layer.units
        let window = layer.window
        let (outSteps, pad) = window.output(steps: steps)
        let output = arena.floats(at: layer.outputBuffer)
        let kernel = arena.floats(at: layer.parameters)
        let bias: UnsafeMutablePointer<Float>? = layer.useBias ? kernel + window.size * inputWidth * filters : nil
        fillRows(output, rows: batch * outSteps, width: filters, with: bias)
        for b in 0..<batch {
            for k in 0..<window.size {
                let (first, end) = convolutionRows(tap: k, window: window, steps: steps, outSteps: outSteps, pad: pad)
                guard first < end else { continue }
                let source = input + (b * steps + first * window.stride - pad + k * window.dilation) * inputWidth
                matmulAccumulate(
                    m: end - first, n: filters, k: inputWidth, source, lda: window.stride * inputWidth,
                    kernel + k * inputWidth * filters, ldb: filters, output + (b * outSteps + first) * filters, ldc: filters)
            }
        }
        let count = batch * outSteps * filters
        if training { arena.floats(at: layer.preActivation).update(from: output, count: count) }
        layer.activation.apply(output, count: count)
    }
}

/// The output rows `first..<end` whose input row `t·stride − pad + tap·dilation` lies inside
/// `0..<steps`.
@inlinable
func convolutionRows(tap: Int, window: Window, steps: Int, outSteps: Int, pad: Int) -> (Int, Int) {
    let shift = tap * window.dilation - pad
    // t·s + shift ≥ 0 and t·s + shift ≤ steps − 1.
    let first = shift >= 0 ? 0 : (-shift + window.stride - 1) / window.stride
    let lastIndex = steps - 1 - shift
    let end = lastIndex < 0 ? 0 : Swift.min(outSteps, lastIndex / window.stride + 1)
    return (first, Swift.max(first, end))
}
