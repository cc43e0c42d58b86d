extension Network {
    /// Keras's `MaxPooling1D` / `AveragePooling1D` over windows of steps, per channel. An
    /// average over a window that reaches into the padding counts only the real steps, as
    /// TensorFlow's `SAME` pooling does. When training, a max pool remembers which step won.
    func pool1DForward(_ layer: Layer, input: UnsafePointer<Float>, batch: Int, training: Bool) {
        let steps = layer.input.steps, channels = layer.input.features
        let window = layer.window
        let (outSteps, pad) = window.output(steps: steps)
        let output = arena.floats(at: layer.outputBuffer)
        let chosen: UnsafeMutablePointer<Float>? = training && !layer.average ? arena.floats(at: layer.mask) : nil
        for b in 0..<batch {
            for t in 0..<outSteps {
                let start = Swift.max(t * window.stride - pad, 0)
                let end = Swift.min(t * window.stride - pad + window.size, steps)
                let out = output + (b * outSteps + t) * channels
                let first = input + (b * steps + start) * channels
                out.update(from: first, count: channels)
                if let chosen { (chosen + (b * outSteps + t) * channels).update(repeating: Float(start), count: channels) }
                for i in (start + 1)..<Swift.max(end, start + 1) {
                    let row = input + (b * steps + i) * channels
                    if layer.average {
                        for c in 0..<channels { out[c] += row[c] }
                    } else {
                        for c in 0..<channels where row[c] > out[c] {
                            out[c] = row[c]
                            chosen?[(b * outSteps + t) * channels + c] = Float(i)
                        }
                    }
                }
                if layer.average {
                    let count = Float(end - start)
                    for c in 0..<channels { out[c] /= count }
                }
            }
        }
    }

    /// Keras's `GlobalMaxPooling1D` / `GlobalAveragePooling1D`: one value per channel over all
    /// steps.
    func globalPool1DForward(_ layer: Layer, input: UnsafePointer<Float>, batch: Int, training: Bool) {
        let steps = layer.input.steps, channels = layer.input.features
        let output = arena.floats(at: layer.outputBuffer)
        let chosen: UnsafeMutablePointer<Float>? = training && !layer.average ? arena.floats(at: layer.mask) : nil
        for b in 0..<batch {
            let out = output + b * channels
            out.update(from: input + b * steps * channels, count: channels)
            chosen.map { ($0 + b * channels).update(repeating: 0, count: channels) }
            for t in 1..<Swift.max(steps, 1) {
                let row = input + (b * steps + t) * channels
                if layer.average {
                    for c in 0..<channels { out[c] += row[c] }
                } else {
                    for c in 0..<channels where row[c] > out[c] {
                        out[c] = row[c]
                        chosen?[b * channels + c] = Float(t)
                    }
                }
            }
            if layer.average {
                for c in 0..<channels { out[c] /= Float(steps) }
            }
        }
    }

    /// Dropout while training: each value (or, spatially, each channel of a sample) is kept
    /// with probability `1 − rate` and scaled by `1 / (1 − rate)`; the mask is kept for the
    /// backward pass.
    func dropoutForward(_ layer: Layer, input: UnsafePointer<Float>, batch: Int, random: inout RandomNumbers) {
        let count = layer.input.count, channels = layer.input.features
        let output = arena.floats(at: layer.outputBuffer)
        let mask = arena.floats(at: layer.mask)
        let keep = 1 - Double(layer.rate)
        let scale = Float(1 / keep)
        let maskCount = batch * (layer.spatial ? channels : count)
        for i in 0..<maskCount { mask[i] = random.unit() < keep ? scale : 0 }
        for b in 0..<batch {
            for i in 0..<count {
                let m = layer.spatial ? mask[b * channels + i % channels] : mask[b * count + i]
                output[b * count + i] = input[b * count + i] * m
            }
        }
    }
}
