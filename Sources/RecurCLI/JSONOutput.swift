import RecurKeras

/// `--json`: each command prints one JSON object on one line, with the same keys every time.
extension JSON {
    /// A number, or null when it is not finite (strict JSON has no NaN or infinity).
    static func finite(_ value: Double) -> JSON { value.isFinite ? .number(value) : .null }

    /// `value` rounded to `digits` significant digits (timings, whose noise has no meaning).
    static func rounded(_ value: Double, digits: Int) -> JSON {
        guard value.isFinite, let rounded = Double(NumberText.format(value, digits: digits)) else { return .null }
        return .number(rounded)
    }

    static func int(_ value: Int) -> JSON { .number(Double(value)) }

    /// A float32 as the shortest decimal that reads back as it (`5e-05`, not its float64 widening
    /// `4.999999873689376e-05`); null when it is not finite.
    static func float(_ value: Float) -> JSON {
        guard value.isFinite, let shortest = Double(value.description) else { return .null }
        return .number(shortest)
    }

    /// Prints the object on standard output, followed by a newline.
    static func print(_ members: [(key: String, value: JSON)]) {
        Console.out(JSON.object(members).serialized() + "\n")
    }
}
