import Glibc

/// Builds a zip archive in memory the way Python's `zipfile` builds a `.keras` file: members
/// stored uncompressed, in the order added, each with its CRC-32 and DOS date, made by "Unix"
/// with permissions 0600, followed by the central directory.
struct ZipWriter {
    /// A date in the two 16-bit fields of a zip header.
    struct DOSDate {
        let time: UInt16
        let date: UInt16

        /// 1980-01-01 00:00, the date `zipfile` gives a member written through `ZipFile.open`
        /// (Keras's `metadata.json` and `config.json`).
        static let epoch = DOSDate(time: 0, date: 1 << 5 | 1)

        /// The local time now, as `ZipFile.writestr` dates a member (Keras's weights).
        static func now() -> DOSDate {
            var seconds = Glibc.time(nil)
            var parts = tm()
            localtime_r(&seconds, &parts)
            let year = max(0, min(127, Int(parts.tm_year) + 1900 - 1980))
            return DOSDate(
                time: UInt16(parts.tm_hour) << 11 | UInt16(parts.tm_min) << 5 | UInt16(parts.tm_sec / 2),
                date: UInt16(year) << 9 | UInt16(parts.tm_mon + 1) << 5 | UInt16(parts.tm_mday))
        }
    }

    private var archive: [UInt8] = []
    private var directory: [UInt8] = []
    private var count = 0

    /// Adds a stored member. Names are ASCII and sizes below 4 GiB (no ZIP64), as in a `.keras`.
    mutating func addStored(_ name: String, _ contents: [UInt8], date: DOSDate) {
        precondition(contents.count < 0xFFFF_FFFF && archive.count < 0xFFFF_FFFF, "a member too large for a zip without ZIP64")
        precondition(name.utf8.allSatisfy { $0 < 0x80 } && name.utf8.count < 0xFFFF, "a member name that is not short ASCII")
        let crc = CRC32.checksum(contents)
        let offset = archive.count
        // Local header: version needed 2.0, no flags, method 0 (stored).
        Self.append(&archive, u32: 0x0403_4B50)
        Self.append(&archive, u16: 20, 0, 0, date.time, date.date)
        Self.append(&archive, u32: crc, UInt32(contents.count), UInt32(contents.count))
        Self.append(&archive, u16: UInt16(name.utf8.count), 0)
        archive += name.utf8
        archive += contents
        // Central directory entry: made by Unix (3) with zip 2.0, external attributes 0600 << 16.
        Self.append(&directory, u32: 0x0201_4B50)
        Self.append(&directory, u16: 3 << 8 | 20, 20, 0, 0, date.time, date.date)
        Self.append(&directory, u32: crc, UInt32(contents.count), UInt32(contents.count))
        Self.append(&directory, u16: UInt16(name.utf8.count), 0, 0, 0, 0)
        Self.append(&directory, u32: 0o600 << 16, UInt32(offset))
        directory += name.utf8
        count += 1
    }

    /// The finished archive: members, central directory, end record.
    func bytes() -> [UInt8] {
        precondition(count < 0xFFFF && archive.count + directory.count < 0xFFFF_FFFF, "an archive too large for a zip without ZIP64")
        var result = archive + directory
        Self.append(&result, u32: 0x0605_4B50)
        Self.append(&result, u16: 0, 0, UInt16(count), UInt16(count))
        Self.append(&result, u32: UInt32(directory.count), UInt32(archive.count))
        Self.append(&result, u16: 0)
        return result
    }

    private static func append(_ bytes: inout [UInt8], u16 values: UInt16...) {
        for value in values { bytes += [UInt8(value & 0xFF), UInt8(value >> 8)] }
    }

    private static func append(_ bytes: inout [UInt8], u32 values: UInt32...) {
        for value in values { bytes += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)] }
    }
}
