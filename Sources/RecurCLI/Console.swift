import CIOSupport
import Glibc

/// Writing to the standard streams, unbuffered by Foundation: whole lines through write(2).
enum Console {
    static func error(_ line: String) {
        write(line + "\n", to: 2)
    }

    static func out(_ text: String) {
        write(text, to: 1)
    }

    static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { recur_write_all(fd, $0.baseAddress, $0.count) }
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

    /// Parses one field; nil with the reason when it is not a finite float32.
    static func parseFloat(_ text: Substring) -> Result<Float, ParseFailure> {
        var value: Float = 0
        var copy = String(text)
        let status = copy.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { recur_parse_float($0.baseAddress, $0.count, &value) }
        }
        return Int(status) == RECUR_PARSE_OK ? .success(value) : .failure(ParseFailure(status: status))
    }

    static func parseDouble(_ text: Substring) -> Result<Double, ParseFailure> {
        var value: Double = 0
        var copy = String(text)
        let status = copy.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { recur_parse_double($0.baseAddress, $0.count, &value) }
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
