import Foundation
import Testing
@testable import RecurKernel

/// Conv1D, pooling and dropout against float64 references written here from Keras's
/// definitions, forward and (by finite differences) backward.
@Suite struct ConvolutionTests {
    /// `y[t, o] = act(b[o] + Σ_k Σ_c x[t·s − pad + k·d, c] W[k, c, o])`.
    static func conv(_ layer: Layer, _ w: [Double], _ x: [[Double]]) -> [[Double]] {
        let window = layer.window, cin = x[0].count, cout = layer.units
        let (outSteps, pad) = window.output(steps: x.count)
        return (0..<outSteps).map { t in
            (0..<cout).map { o in
                var sum = layer.useBias ? w[window.size * cin * cout + o] : 0
                for k in 0..<window.size {
                    let i = t * window.stride - pad + k * window.dilation
                    guard i >= 0 && i < x.count else { continue }
                    for c in 0..<cin { sum += x[i][c] * w[(k * cin + c) * cout + o] }
                }
                return ActivationTests.reference(layer.activation, sum)
            }
        }
    }

    static func pool(_ layer: Layer, _ x: [[Double]]) -> [[Double]] {
        let window = layer.window
        let (outSteps, pad) = window.output(steps: x.count)
        return (0..<outSteps).map { t in
            let rows = x[max(t * window.stride - pad, 0)..<min(t * window.stride - pad + window.size, x.count)]
            return (0..<x[0].count).map { c in
                layer.average ? rows.reduce(0) { $0 + $1[c] } / Double(rows.count) : rows.map { $0[c] }.max()!
            }
        }
    }

    static let convolutions: [Layer] = [
        .conv1D(filters: 3, window: Window(size: 3), activation: .relu),
        .conv1D(filters: 2, window: Window(size: 3, padding: .causal)),
        .conv1D(filters: 2, window: Window(size: 2, dilation: 2, padding: .causal), activation: .tanh),
        .conv1D(filters: 4, window: Window(size: 3, stride: 2, padding: .same), useBias: false),
        .conv1D(filters: 2, window: Window(size: 4, stride: 3, padding: .same)),
        .conv1D(filters: 3, window: Window(size: 2, stride: 2), activation: .sigmoid),
    ]

    @Test(arguments: convolutions)
    func convolutionMatchesReference(layer: Layer) throws {
        let (steps, cin, batch) = (9, 2, 2)
        let network = try makeNetwork([layer], input: .sequence(steps, cin), batch: batch, training: true, seed: 5)
        for i in 0..<batch * steps * cin { network.input[i] = Float(sin(Double(i) * 0.77)) * 1.3 }
        let x = (0..<batch).map { b in (0..<steps).map { t in (0..<cin).map { Double(network.input[(b * steps + t) * cin + $0]) } } }
        let weights = Array(network.parameters).map(Double.init)
        network.forward(batch: batch)
        let want = x.flatMap { Self.conv(layer, weights, $0).flatMap { $0 } }
        let got = Array(UnsafeBufferPointer(start: network.output, count: want.count)).map(Double.init)
        #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 2e-6 * max(abs($1), 1) })

        // Backward: L = Σ v·y, against central differences of the reference.
        let v = (0..<want.count).map { cos(Double($0) * 1.1) }
        for k in v.indices { network.outputGradient[k] = Float(v[k]) }
        network.zeroGradients()
        network.backward(batch: batch)
        let analytic = Array(network.gradients).map(Double.init)
        let loss = { (w: [Double]) in zip(x.flatMap { Self.conv(layer, w, $0).flatMap { $0 } }, v).reduce(0) { $0 + $1.0 * $1.1 } }
        for p in weights.indices {
            var plus = weights, minus = weights
            plus[p] += 1e-6
            minus[p] -= 1e-6
            let numeric = (loss(plus) - loss(minus)) / 2e-6
            #expect(abs(analytic[p] - numeric) <= 1e-4 * max(abs(numeric), 1), "parameter \(p)")
        }
    }

    /// The input gradient of a convolution and of pooling layers, through a Dense layer placed
    /// before them (so that the input gradient is needed and checked through the Dense kernel).
    @Test(arguments: convolutions + [
        .pool1D(Window(size: 2), average: false), .pool1D(Window(size: 3, stride: 2, padding: .same), average: true),
        .pool1D(Window(size: 2, stride: 1, padding: .same), average: false), .globalPool1D(average: true), .globalPool1D(average: false),
    ])
    func inputGradientMatchesReference(layer: Layer) throws {
        let (steps, features, batch) = (8, 2, 2)
        let dense = Layer.dense(units: 2)
        let network = try makeNetwork([dense, layer], input: .sequence(steps, features), batch: batch, training: true, seed: 9)
        for i in 0..<batch * steps * features { network.input[i] = Float(cos(Double(i) * 0.61)) * 1.7 }
        let x = (0..<batch).map { b in (0..<steps).map { t in (0..<features).map { Double(network.input[(b * steps + t) * features + $0]) } } }
        let weights = Array(network.parameters).map(Double.init)
        let denseCount = features * 2 + 2
        func forward(_ w: [Double]) -> [Double] {
            x.flatMap { sample -> [Double] in
                let hidden = sample.map { row in (0..<2).map { o in w[features * 2 + o] + (0..<features).reduce(0) { $0 + row[$1] * w[$1 * 2 + o] } } }
                switch layer.kind {
                case .conv1D: return Self.conv(layer, Array(w[denseCount...]), hidden).flatMap { $0 }
                case .pool1D: return Self.pool(layer, hidden).flatMap { $0 }
                default:
                    return (0..<2).map { c in layer.average ? hidden.reduce(0) { $0 + $1[c] } / Double(hidden.count) : hidden.map { $0[c] }.max()! }
                }
            }
        }
        network.forward(batch: batch)
        let want = forward(weights)
        let got = Array(UnsafeBufferPointer(start: network.output, count: want.count)).map(Double.init)
        #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 2e-6 * max(abs($1), 1) })
        let v = (0..<want.count).map { sin(Double($0) * 0.9 + 0.3) }
        for k in v.indices { network.outputGradient[k] = Float(v[k]) }
        network.zeroGradients()
        network.backward(batch: batch)
        let analytic = Array(network.gradients).map(Double.init)
        for p in 0..<denseCount {
            var plus = weights, minus = weights
            plus[p] += 1e-6
            minus[p] -= 1e-6
            let numeric = (zip(forward(plus), v).reduce(0) { $0 + $1.0 * $1.1 } - zip(forward(minus), v).reduce(0) { $0 + $1.0 * $1.1 }) / 2e-6
            #expect(abs(analytic[p] - numeric) <= 1e-4 * max(abs(numeric), 1), "\(layer.kind) dense parameter \(p): \(analytic[p]) vs \(numeric)")
        }
    }

    /// Dropout keeps about 1 − rate of the values, scales them by 1 / (1 − rate), sends the
    /// gradient through the same mask, and is the identity at inference.
    @Test(arguments: [false, true])
    func dropoutMasks(spatial: Bool) throws {
        let (steps, features, batch) = (20, 4, 64)
        let network = try makeNetwork([.dropout(rate: 0.25, spatial: spatial)], input: .sequence(steps, features), batch: batch, training: true)
        let count = batch * steps * features
        for i in 0..<count { network.input[i] = 1 }
        var random = RandomNumbers(seed: 4)
        withUnsafeMutablePointer(to: &random) { network.forward(batch: batch, dropout: $0) }
        let out = Array(UnsafeBufferPointer(start: network.output, count: count))
        #expect(out.allSatisfy { $0 == 0 || $0 == Float(1 / 0.75) })
        let kept = Double(out.filter { $0 > 0 }.count) / Double(count)
        #expect(abs(kept - 0.75) < 0.1)
        if spatial {
            for b in 0..<batch {
                for c in 0..<features {
                    let column = (0..<steps).map { out[(b * steps + $0) * features + c] }
                    #expect(Set(column).count == 1)
                }
            }
        }
        network.forward(batch: batch)
        #expect(Array(UnsafeBufferPointer(start: network.output, count: count)) == [Float](repeating: 1, count: count))
    }
}
