import CIOSupport
import Glibc

/// Writing to the standard streams, unbuffered by Foundation: whole lines through write(2).
enum Console {
    /// The first error writing standard output (an errno), if any: the command's exit status
    /// becomes 73 when it ends (``Recur/main()``), as a failed output file's does.
    nonisolated(unsafe) private(set) static var outputFailure: Int32?

    /// One line on standard error, made safe for a terminal by ``ConsoleText/line(_:limit:)``.
    static func error(_ line: String) {
        write(ConsoleText.line(line) + "\n", to: 2)
    }

    /// Text on standard output. After a failed write nothing more is written.
    static func out(_ text: String) {
        guard outputFailure == nil else { return }
        let status = write(text, to: 1)
        if status != 0 { outputFailure = status }
    }

    /// Returns 0, or the errno of the failure.
    @discardableResult
    static func write(_ text: String, to fd: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { recur_write_all(fd, $0.baseAddress, $0.count) }
        }
    }
}

/// Text from a file or a user made fit for one line of a terminal.
enum ConsoleText {
    /// The longest line recur writes on standard error, in characters.
    static let lineLimit = 300

    /// `text` with every character that could act on a terminal or break the line written as
    /// an escape (`\n`, `\t`, `\x1b`, `\u{202e}`: the C0 and C1 controls, DEL, and Unicode's
    /// format characters and line separators), and at most `limit` characters long: a longer
    /// text keeps its start and its end (where a sentence says what is wrong) around `…`.
    /// Bytes that are not UTF-8 never reach here as such: they were decoded to U+FFFD.
    static func line(_ text: String, limit: Int = lineLimit) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isSafe(scalar) {
                escaped.append(scalar)
                continue
            }
            let spelled: String
            switch scalar {
            case "\n": spelled = "\\n"
            case "\r": spelled = "\\r"
            case "\t": spelled = "\\t"
            default:
                let hex = String(scalar.value, radix: 16)
                spelled = scalar.value < 0x100
                    ? "\\x" + (hex.count < 2 ? "0" : "") + hex
                    : "\\u{" + hex + "}"
            }
            escaped.append(contentsOf: spelled.unicodeScalars)
        }
        guard escaped.count > limit else { return String(escaped) }
        let tail = (limit - 1) / 3
        let head = limit - 1 - tail
        return String(String.UnicodeScalarView(escaped.prefix(head))) + "…"
            + String(String.UnicodeScalarView(escaped.suffix(tail)))
    }

    static func isSafe(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { return false }
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator, .control, .surrogate, .privateUse, .unassigned:
            return false
        default:
            return true
        }
    }
}

/// Float text as the command-line contract prints it: `%.9g`, which parses back to the same
/// float32.
enum NumberText {
    static func format(_ value: Float) -> String {
        var buffer = [CChar](repeating: 0, count: 32)
        let length = Int(recur_format_float(&buffer, buffer.count, value))
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `%.{digits}g`; 17 digits parse back to the same float64.
    static func format(_ value: Double, digits: Int = 17) -> String {
        var buffer = [CChar](repeating: 0, count: 40)
        let length = Int(recur_format_double(&buffer, buffer.count, value, Int32(digits)))
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Parses one field; the reason when it is not a finite float32.
    static func parseFloat(_ field: ArraySlice<UInt8>) -> Result<Float, ParseFailure> {
        var value: Float = 0
        let status = field.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { recur_parse_float($0.baseAddress, $0.count, &value) }
        }
        return Int(status) == RECUR_PARSE_OK ? .success(value) : .failure(ParseFailure(status: status))
    }
}

/// Why a field is not a number, in words.
struct ParseFailure: Error {
    let status: Int32

    var reason: String { reasonText.description }

    /// The reason as static text, for messages composed without allocating.
    var reasonText: StaticString {
        switch Int(status) {
        case RECUR_PARSE_EMPTY: return "is empty"
        case RECUR_PARSE_NOT_FINITE: return "is not a finite float32"
        case RECUR_PARSE_NAN_OR_INFINITY: return "is not a finite number"
        case RECUR_PARSE_TOO_LONG: return "is too long to be a number"
        default: return "is not a number"
        }
    }
}
