import Glibc

/// Maps data values on one axis to pixels, and chooses that axis's ticks and their labels.
struct Scale {
    enum Kind {
        case linear
        /// Base 10; the domain must be positive.
        case logarithmic
    }

    let kind: Kind
    /// The data values at the two ends of the axis.
    let lower: Double
    let upper: Double
    /// The pixels they map to (for a y axis `start` is the bottom, the larger pixel).
    let start: Double
    let end: Double
    /// Ticks only at whole numbers.
    let integral: Bool

    init(kind: Kind, lower: Double, upper: Double, start: Double, end: Double, integral: Bool = false) {
        precondition(lower < upper, "a scale needs lower < upper")
        precondition(kind == .linear || lower > 0, "a logarithmic scale needs a positive domain")
        self.kind = kind
        self.lower = lower
        self.upper = upper
        self.start = start
        self.end = end
        self.integral = integral
    }

    /// The pixel of `value`; values outside the domain map outside the axis, within a bound that
    /// keeps renderers' arithmetic finite.
    func pixel(_ value: Double) -> Double {
        let fraction: Double
        switch kind {
        case .linear: fraction = (value - lower) / (upper - lower)
        case .logarithmic: fraction = value > 0 ? (log10(value) - log10(lower)) / (log10(upper) - log10(lower)) : -.infinity
        }
        let limit = 1e5
        return min(max(start + fraction * (end - start), -limit), limit)
    }

    /// Labelled ticks: about `target` of them at 1, 2, 2.5 or 5 times a power of ten (linear), or
    /// at powers of ten (logarithmic; with 2× and 5× when the axis spans less than two decades).
    func ticks(target: Int = 6) -> [Double] {
        switch kind {
        case .linear:
            let step = Self.niceStep((upper - lower) / Double(max(target - 1, 1)), integral: integral)
            var ticks: [Double] = []
            let first = (lower / step).rounded(.up)
            // Counted from the first, so that a step below the doubles' spacing cannot stall.
            for index in 0..<(4 * target) {
                let tick = (first + Double(index)) * step
                if tick > upper + step * 1e-9 { break }
                // Snap rounding noise so that 0.30000000000000004 prints as 0.3 and -0 as 0.
                ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
            }
            return ticks
        case .logarithmic:
            let decades = Int(log10(upper).rounded(.down)) - Int(log10(lower).rounded(.up)) + 1
            let factors: [Double] = decades >= 2 ? [1] : [1, 2, 5]
            var ticks: [Double] = []
            for exponent in Int(log10(lower).rounded(.down))...Int(log10(upper).rounded(.up)) {
                for factor in factors {
                    let tick = factor * pow(10, Double(exponent))
                    if tick >= lower * (1 - 1e-9) && tick <= upper * (1 + 1e-9) { ticks.append(tick) }
                }
            }
            // Many decades: every other label keeps them apart.
            if ticks.count > 2 * target {
                let stride = (ticks.count + target - 1) / target
                ticks = ticks.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
            }
            return ticks
        }
    }

    /// Unlabelled ticks between the labelled ones of a logarithmic axis (2× … 9×).
    func minorTicks() -> [Double] {
        guard kind == .logarithmic else { return [] }
        var ticks: [Double] = []
        for exponent in Int(log10(lower).rounded(.down))...Int(log10(upper).rounded(.up)) {
            for factor in 2...9 {
                let tick = Double(factor) * pow(10, Double(exponent))
                if tick > lower && tick < upper { ticks.append(tick) }
            }
        }
        return ticks
    }

    /// The label of each tick in `ticks`: fixed decimals enough to tell neighbours apart, or
    /// `10⁻⁶`-style powers (and `2×10⁻⁶`) on a logarithmic axis.
    func labels(_ ticks: [Double]) -> [String] {
        switch kind {
        case .linear:
            guard ticks.count > 1 else { return ticks.map { NumberText.format($0, digits: 6) } }
            let step = abs(ticks[1] - ticks[0])
            let largest = ticks.map(abs).max() ?? 0
            if largest >= 1e6 || largest < 1e-4 {
                return ticks.map { NumberText.format($0, digits: 3) }
            }
            var decimals = max(0, -Int(log10(step).rounded(.down)))
            if (step / pow(10, -Double(decimals))).truncatingRemainder(dividingBy: 1) > 1e-6 { decimals += 1 }
            return ticks.map { FixedText.format($0, decimals: decimals) }
        case .logarithmic:
            return ticks.map { tick in
                let exponent = Int(log10(tick).rounded(.down))
                let factor = (tick / pow(10, Double(exponent))).rounded()
                let power = "10" + Self.superscript(exponent)
                return factor == 1 ? power : "\(Int(factor))×" + power
            }
        }
    }

    /// 1, 2, 2.5 or 5 times a power of ten, the smallest at least `rough`; when `integral`, a
    /// whole number (and not 2.5).
    static func niceStep(_ rough: Double, integral: Bool = false) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        if integral && rough <= 1 { return 1 }
        let power = pow(10, log10(rough).rounded(.down))
        let factors: [Double] = integral && power < 10 ? [1, 2, 5] : [1, 2, 2.5, 5]
        for factor in factors where factor * power >= rough * (1 - 1e-9) {
            return factor * power
        }
        return 10 * power
    }

    static func superscript(_ value: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        let text = String(abs(value)).map { digits[Int(String($0))!] }
        return (value < 0 ? "⁻" : "") + String(text)
    }
}
