/// The model side of a stream (`recur stream`, the C interface's `recur_push`): one sample in at
/// a time, and once the last `window` samples are in, the forecast for the next step.
///
/// With a horizon, the steps after it follow, each forecast from the window that ends with the
/// forecasts before it. A stateful model (Keras's `stateful=True`) instead takes each sample as
/// one step, its state carried from step to step, as Keras's `predict` on one step at a time
/// does; a horizon runs ahead of that state and then puts it back.
///
/// The forecaster keeps the stream's state; each call runs the network it is given, the one
/// it was made for. Memory: ``scratchCount(window:carriedStateCount:)`` floats that the owner
/// provides and keeps alive. Nothing here allocates.
public struct StreamForecaster: ~Copyable {
    /// Samples per window: the network's input length (1 for a stateful network).
    public let window: Int
    /// Floats per forecast: the network's output for one sample.
    public let outputCount: Int
    /// Whether the network carries a state from step to step.
    public let isStateful: Bool

    /// The last `window` samples; the oldest at `ringStart` once `filled == window`.
    private let ring: UnsafeMutablePointer<Float>
    private var ringStart = 0
    /// Samples in the window (at most `window`).
    public private(set) var filled = 0
    /// A stateful network's state while a horizon runs ahead of it.
    private let savedState: UnsafeMutablePointer<Float>

    /// The floats of memory a forecaster needs: the window, and room for the network's
    /// ``Network/carriedStateCount``.
    public static func scratchCount(window: Int, carriedStateCount: Int) -> Int {
        window + carriedStateCount
    }

    /// - Parameters:
    ///   - network: planned for `window` steps of one feature; a stateful one for one step and
    ///     a batch of one.
    ///   - scratch: ``scratchCount(window:carriedStateCount:)`` floats, which the caller keeps
    ///     alive.
    public init(for network: borrowing Network, window: Int, scratch: UnsafeMutablePointer<Float>) {
        let plan = network.plan
        precondition(window >= 1 && plan.input.count == window, "the network does not take windows of one value per step")
        let stateful = network.carriedStateCount > 0
        precondition(!stateful || (window == 1 && plan.batchCapacity == 1), "a stateful network streams one step of one sequence")
        self.window = window
        self.outputCount = plan.output.count
        self.isStateful = stateful
        ring = scratch
        ring.initialize(repeating: 0, count: window)
        savedState = scratch + window
    }

    /// Takes `sample`; once the window is full, runs `network` and writes `horizon` forecasts
    /// of ``outputCount`` floats each to `forecasts`, and returns true.
    ///
    /// Allocates: never.
    public mutating func push(
        _ sample: Float, horizon: Int, into forecasts: UnsafeMutablePointer<Float>, on network: borrowing Network
    ) -> Bool {
        precondition(horizon >= 1 && (horizon == 1 || outputCount == 1), "a horizon above 1 feeds back a single output")
        precondition(network.plan.input.count == window, "not the network the forecaster was made for")
        take(sample)
        guard filled == window else { return false }
        if isStateful {
            forecastSteps(from: sample, horizon: horizon, into: forecasts, on: network)
        } else {
            forecastWindows(horizon: horizon, into: forecasts, on: network)
        }
        return true
    }

    /// Takes a sample of history without forecasting: it enters the window, and a stateful
    /// network's state.
    public mutating func warm(_ sample: Float, on network: borrowing Network) {
        take(sample)
        if isStateful {
            network.input[0] = sample
            network.forward(batch: 1)
        }
    }

    /// Empties the window and clears the network's state (Keras's `reset_states()`): the next
    /// forecast comes once `window` new samples are in.
    public mutating func reset(_ network: borrowing Network) {
        ring.update(repeating: 0, count: window)
        ringStart = 0
        filled = 0
        network.resetStates()
    }

    private mutating func take(_ sample: Float) {
        if filled < window {
            ring[filled] = sample
            filled += 1
        } else {
            ring[ringStart] = sample
            ringStart = ringStart + 1 == window ? 0 : ringStart + 1
        }
    }

    /// Step `s` runs on samples `s ..< window` of the window in time order, then forecasts
    /// `max(s − window, 0) ..< s`.
    private func forecastWindows(horizon: Int, into forecasts: UnsafeMutablePointer<Float>, on network: borrowing Network) {
        let input = network.input
        for step in 0..<horizon {
            let fromRing = max(window - step, 0)
            if fromRing > 0 {
                let oldest = (ringStart + step) % window
                let beforeWrap = min(fromRing, window - oldest)
                input.update(from: ring + oldest, count: beforeWrap)
                (input + beforeWrap).update(from: ring, count: fromRing - beforeWrap)
            }
            (input + fromRing).update(from: forecasts + max(step - window, 0), count: window - fromRing)
            network.forward(batch: 1)
            (forecasts + step * outputCount).update(from: network.output, count: outputCount)
        }
    }

    /// One step from the carried state; the horizon's steps after it run from that step's state
    /// on the forecasts, and the state is then put back to the one after `sample`.
    private func forecastSteps(
        from sample: Float, horizon: Int, into forecasts: UnsafeMutablePointer<Float>, on network: borrowing Network
    ) {
        network.input[0] = sample
        network.forward(batch: 1)
        forecasts.update(from: network.output, count: outputCount)
        guard horizon > 1 else { return }
        network.saveCarriedState(to: savedState)
        for step in 1..<horizon {
            network.input[0] = forecasts[step - 1]
            network.forward(batch: 1)
            forecasts[step] = network.output[0]
        }
        network.loadCarriedState(from: savedState)
    }
}

extension StreamForecaster {
    /// Floats in the stream's state: the window, then the network's carried state.
    public static func stateCount(window: Int, carriedStateCount: Int) -> Int { window + carriedStateCount }

    /// Writes the stream's state (``stateCount(window:carriedStateCount:)`` floats): the
    /// window's ``filled`` samples in time order, zeros for the rest of the window, then the
    /// network's carried state.
    ///
    /// Allocates: never.
    public func saveState(to target: UnsafeMutablePointer<Float>, of network: borrowing Network) {
        let newer = filled - ringStart
        target.update(from: ring + ringStart, count: newer)
        (target + newer).update(from: ring, count: ringStart)
        (target + filled).update(repeating: 0, count: window - filled)
        network.saveCarriedState(to: target + window)
    }

    /// Continues from a state that ``saveState(to:)`` wrote, with `filled` samples in its window.
    ///
    /// Allocates: never.
    public mutating func loadState(from source: UnsafePointer<Float>, filled: Int, into network: borrowing Network) {
        precondition(filled >= 0 && filled <= window, "a window holds at most `window` samples")
        ring.update(from: source, count: window)
        (ring + filled).update(repeating: 0, count: window - filled)
        ringStart = 0
        self.filled = filled
        network.loadCarriedState(from: source + window)
    }
}
