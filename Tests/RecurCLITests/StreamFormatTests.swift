import CIOSupport
import Foundation
import Testing

/// `recur_format_float`, which prints every number recur writes (stream and predict), is
/// `%.9g` exactly: compared here with the C library's printf on edge cases and a spread of
/// random float32 bit patterns (`tools/check-format-float.sh` compares all 2^32).
@Suite struct StreamFormatTests {
    static func formatted(_ value: Float) -> String {
        var buffer = [CChar](repeating: 0, count: 32)
        let length = Int(recur_format_float(&buffer, buffer.count, value))
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The oracle: the C library's own `%.9g`.
    static func printf(_ value: Float) -> String {
        var buffer = [CChar](repeating: 0, count: 32)
        let length = withVaList([Double(value)]) { vsnprintf(&buffer, buffer.count, "%.9g", $0) }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static let edges: [Float] = {
        var values: [Float] = [0, -0, 1, -1, 0.1, 1e-5, 1e-4, 9.99999975e-5, 123456789, 999999999, 1e9, 1e10,
                               .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude,
                               .leastNonzeroMagnitude, .infinity, -.infinity, .nan, 8.47032947e-22, 4.2e-22]
        // Every power of ten a float32 spans, and its neighbours: where the digit count changes.
        for exponent in -45...38 {
            let power = Float("1e\(exponent)")!
            var value = power
            for _ in 0..<40 { value = value.nextDown }
            for _ in 0..<80 {
                values.append(value)
                value = value.nextUp
            }
        }
        // Integers past 2^24 end in digits that round at the ninth: ties and carries.
        for base: Float in [16_777_216, 999_999_936, 1_000_000_000, 4_294_967_296] {
            var value = base
            for _ in 0..<200 {
                values.append(value)
                value = value.nextUp
            }
        }
        return values
    }()

    @Test func matchesPrintfOnEdgeCases() {
        for value in Self.edges {
            #expect(Self.formatted(value) == Self.printf(value), "bits 0x\(String(value.bitPattern, radix: 16))")
        }
    }

    @Test func matchesPrintfOnRandomPatterns() {
        var generator = SystemRandomNumberGenerator()
        var mismatches: [UInt32] = []
        for _ in 0..<500_000 {
            let bits = UInt32.random(in: .min ... .max, using: &generator)
            let value = Float(bitPattern: bits)
            if Self.formatted(value) != Self.printf(value) { mismatches.append(bits) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).map { "0x" + String($0, radix: 16) })")
    }
}
