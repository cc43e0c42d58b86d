/// Appends text to a fixed buffer without allocating (`recur stream`'s reports of bad lines, the
/// C interface's error sentences), dropping what does not fit; the last byte is kept for a
/// newline or a C string's terminator.
public struct TextWriter {
    public let base: UnsafeMutablePointer<UInt8>
    public let capacity: Int
    public private(set) var count = 0

    public init(_ base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    public mutating func append(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    public mutating func append(_ bytes: UnsafePointer<UInt8>, count length: Int) {
        let taken = min(length, capacity - 1 - count)
        (base + count).update(from: bytes, count: taken)
        count += taken
    }

    /// A newline, in the byte kept for it.
    public mutating func endLine() {
        base[count] = 0x0A
        count += 1
    }

    /// A C string's terminator, in the byte kept for it (not counted).
    public mutating func endString() {
        base[count] = 0
    }

    /// Bytes outside printable ASCII become `?`, so a report is one line of plain text.
    public mutating func appendPrintable(_ bytes: UnsafePointer<UInt8>, count length: Int) {
        for index in 0..<length where count < capacity - 1 {
            let byte = bytes[index]
            base[count] = byte >= 0x20 && byte < 0x7F ? byte : 0x3F
            count += 1
        }
    }

    public mutating func append(_ value: Int) {
        if value < 0 { append("-") }
        var magnitude = value.magnitude
        var scale: UInt = 1
        while magnitude / scale >= 10 { scale *= 10 }
        while scale > 0 && count < capacity - 1 {
            base[count] = UInt8(truncatingIfNeeded: 0x30 + magnitude / scale)
            magnitude %= scale
            scale /= 10
            count += 1
        }
    }
}
