extension Network {
    /// The backward pass of ``conv1DForward(_:input:batch:training:)``: `dz = dy ⊙ act'(z)`,
    /// then per kernel tap `k`, over the rows where the input exists: `dW[k] += x_rowsᵀ dz`,
    /// `dx_rows += dz W[k]ᵀ`; and `db += Σ dz`.
    func conv1DBackward(
        _ layer: Layer, input: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, batch: Int
    ) {
        let steps = layer.input.steps, inputWidth = layer.input.features, filters = layer.units
        let window = layer.window
        let (outSteps, pad) = window.output(steps: steps)
        let dz = outputGradient
        let count = batch * outSteps * filters
        layer.activation.multiplyByDerivative(dz, pre: arena.floats(at: layer.preActivation), post: arena.floats(at: layer.outputBuffer), count: count)
        let kernelGradient = arena.floats(at: layer.parameters + gradientShift)
        let transposed = arena.floats(at: layer.transposedKernel)
        if layer.useBias {
            addRows(dz, rows: batch * outSteps, width: filters, stride: filters, into: kernelGradient + window.size * inputWidth * filters)
        }
        inputGradient?.update(repeating: 0, count: batch * steps * inputWidth)
        for b in 0..<batch {
            for k in 0..<window.size {
                let (first, end) = convolutionRows(tap: k, window: window, steps: steps, outSteps: outSteps, pad: pad)
                guard first < end else { continue }
                let row = b * steps + first * window.stride - pad + k * window.dilation
                let gradient = dz + (b * outSteps + first) * filters
                matmulTransposedAAccumulate(
                    m: inputWidth, n: filters, k: end - first, input + row * inputWidth, lda: window.stride * inputWidth,
                    gradient, ldb: filters, kernelGradient + k * inputWidth * filters, ldc: filters)
                if let inputGradient {
                    matmulAccumulate(
                        m: end - first, n: inputWidth, k: filters, gradient, lda: filters,
                        transposed + k * filters * inputWidth, ldb: inputWidth,
                        inputGradient + row * inputWidth, ldc: window.stride * inputWidth)
                }
            }
        }
    }

    /// The backward pass of pooling: a max sends each gradient to the step that won, an
    /// average shares it equally among the real steps of its window.
    func pool1DBackward(_ layer: Layer, outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>, batch: Int) {
        let steps = layer.input.steps, channels = layer.input.features
        let window = layer.window
        let (outSteps, pad) = window.output(steps: steps)
        inputGradient.update(repeating: 0, count: batch * steps * channels)
        let chosen = arena.floats(at: layer.mask)
        for b in 0..<batch {
            for t in 0..<outSteps {
                let g = outputGradient + (b * outSteps + t) * channels
                if layer.average {
                    let start = Swift.max(t * window.stride - pad, 0)
                    let end = Swift.min(t * window.stride - pad + window.size, steps)
                    let share = 1 / Float(end - start)
                    for i in start..<end {
                        let row = inputGradient + (b * steps + i) * channels
                        for c in 0..<channels { row[c] += g[c] * share }
                    }
                } else {
                    let winners = chosen + (b * outSteps + t) * channels
                    for c in 0..<channels { inputGradient[(b * steps + Int(winners[c])) * channels + c] += g[c] }
                }
            }
        }
    }

    func globalPool1DBackward(_ layer: Layer, outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>, batch: Int) {
        let steps = layer.input.steps, channels = layer.input.features
        let chosen = arena.floats(at: layer.mask)
        if layer.average {
            let share = 1 / Float(steps)
            for b in 0..<batch {
                for t in 0..<steps {
                    let row = inputGradient + (b * steps + t) * channels
                    for c in 0..<channels { row[c] = outputGradient[b * channels + c] * share }
                }
            }
        } else {
            inputGradient.update(repeating: 0, count: batch * steps * channels)
            for b in 0..<batch {
                for c in 0..<channels {
                    inputGradient[(b * steps + Int(chosen[b * channels + c])) * channels + c] = outputGradient[b * channels + c]
                }
            }
        }
    }

    /// Dropout's backward pass: the gradient through the same mask.
    func dropoutBackward(_ layer: Layer, outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>, batch: Int) {
        let count = layer.input.count, channels = layer.input.features
        let mask = arena.floats(at: layer.mask)
        for b in 0..<batch {
            for i in 0..<count {
                let m = layer.spatial ? mask[b * channels + i % channels] : mask[b * count + i]
                inputGradient[b * count + i] = outputGradient[b * count + i] * m
            }
        }
    }
}
