import ArgumentParser

/// The check every numeric option goes through in its command's `validate()`, before anything
/// is sized or looped over by it: a value outside the option's range (or not finite) is refused
/// with one sentence that names the option, the value and the range, and status 64.
///
/// The options are parsed with `parsing: .unconditional`, so that a negative value reaches this
/// check instead of being taken for an option.
enum OptionBounds {
    /// Windows, batches, horizons, epochs, columns: sizes that buffers are made from. 2^20
    /// leaves every product of two of them, and of either with a layer's width, far from
    /// overflow; memory is bounded by `--max-memory` long before.
    static let sizes = 1...(1 << 20)
    /// Counts that bound no buffer (a split, a shuffle buffer, a decay period).
    static let counts = 1...(1 << 40)
    /// What a float32 can hold: values the kernel takes as float32.
    static let float32 = -Double(Float.greatestFiniteMagnitude)...Double(Float.greatestFiniteMagnitude)
    /// Positive values a float32 can hold, with `above: true`: rates, bounds, factors.
    static let positive = 0...Double(Float.greatestFiniteMagnitude)
    /// Momentum and other fractions, with `below: true`.
    static let fraction = 0.0...1.0

    /// A whole number in `range`; nil (an option not given) passes.
    static func check(_ name: String, _ value: Int?, in range: ClosedRange<Int>) throws {
        guard let value, !range.contains(value) else { return }
        throw ValidationError("\(name) \(value) is out of range: it must be a whole number in [\(range.lowerBound), \(range.upperBound)]")
    }

    /// A finite number in `range`, without its lower or upper end when `above` or `below`
    /// says so; nil passes.
    static func check(_ name: String, _ value: Double?, in range: ClosedRange<Double>, above: Bool = false, below: Bool = false) throws {
        guard let value else { return }
        let fits = value.isFinite && range.contains(value)
            && !(above && value == range.lowerBound) && !(below && value == range.upperBound)
        guard !fits else { return }
        let interval = (above ? "(" : "[") + text(range.lowerBound) + ", " + text(range.upperBound) + (below ? ")" : "]")
        throw ValidationError("\(name) \(text(value)) is out of range: it must be a finite number in \(interval)")
    }

    private static func text(_ value: Double) -> String { NumberText.format(value, digits: 6) }
}
