/// Standard base64 (RFC 4648 alphabet, `=` padding), as Python's `base64.encodebytes` writes it.
///
/// Keras stores a Lambda's code with a newline after every 76 characters, so ASCII whitespace is
/// skipped; any other character outside the alphabet is an error rather than silently dropped
/// (Python's lenient decoder drops it), because such text was not written by Keras.
enum Base64 {
    struct DecodingError: Error {
        let message: String
    }

    /// Decodes `text`, refusing texts longer than `maxLength` characters before doing any work.
    static func decode(_ text: String, maxLength: Int) throws(DecodingError) -> [UInt8] {
        let utf8 = text.utf8
        guard utf8.count <= maxLength else {
            throw DecodingError(message: "it is \(utf8.count) characters long, more than the \(maxLength) allowed")
        }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 4 * 3)
        var accumulator: UInt32 = 0
        var sextets = 0  // significant characters seen, padding included
        var padding = 0
        for (offset, char) in utf8.enumerated() {
            if char == 0x20 || char == 0x0A || char == 0x0D || char == 0x09 { continue }
            if char == UInt8(ascii: "=") {
                padding += 1
                guard padding <= 2 else { throw DecodingError(message: "it has more than two '=' padding characters") }
                sextets += 1
                continue
            }
            guard padding == 0 else { throw DecodingError(message: "it has data after '=' padding, at character \(offset)") }
            guard let value = sextet(char) else {
                throw DecodingError(message: "it has the character \(describe(char)) at position \(offset)")
            }
            accumulator = accumulator << 6 | UInt32(value)
            sextets += 1
            if sextets % 4 == 0 {
                output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                output.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                output.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
            }
        }
        guard sextets % 4 == 0 else { throw DecodingError(message: "its length is not a multiple of four (missing padding?)") }
        // Each '=' stands for a sextet of zeros in the final quantum; finish it and drop its
        // padding bytes.
        if padding > 0 {
            accumulator <<= UInt32(6 * padding)
            output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
            if padding == 1 { output.append(UInt8(truncatingIfNeeded: accumulator >> 8)) }
        }
        return output
    }

    private static func sextet(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return char - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return char - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    private static func describe(_ char: UInt8) -> String {
        if char >= 0x21 && char < 0x7F { return "'\(Character(Unicode.Scalar(char)))'" }
        return "0x" + String(char, radix: 16, uppercase: true)
    }
}
