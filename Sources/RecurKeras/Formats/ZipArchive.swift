/// A zip archive held in memory, read as far as a `.keras` file needs: the list of members from
/// the central directory, and a member's bytes, stored or deflated, checked against its CRC-32.
///
/// Every size and offset is checked against the archive before it is used, and a member is read
/// only when its declared size is within the caller's limit, so a damaged or hostile archive ends
/// in a ``Failure`` that says what is wrong, never in a crash or an unbounded allocation.
/// Multi-disk archives, ZIP64 and encryption are refused: Keras writes none of them.
struct ZipArchive {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    struct Member {
        let name: String
        let flags: UInt16
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    /// More members than a `.keras` file could sensibly hold (it holds three, plus assets).
    static let memberLimit = 10_000

    let bytes: [UInt8]
    let members: [Member]

    init(bytes: [UInt8]) throws(Failure) {
        self.bytes = bytes
        let end = try Self.endOfCentralDirectory(bytes)
        var members: [Member] = []
        var offset = end.directoryOffset
        for _ in 0..<end.count {
            guard offset + 46 <= end.directoryEnd, Self.u32(bytes, offset) == 0x0201_4B50 else {
                throw Failure("its central directory is damaged")
            }
            let nameLength = Int(Self.u16(bytes, offset + 28))
            let extraLength = Int(Self.u16(bytes, offset + 30))
            let commentLength = Int(Self.u16(bytes, offset + 32))
            let next = offset + 46 + nameLength + extraLength + commentLength
            guard next <= end.directoryEnd else { throw Failure("its central directory is damaged") }
            let compressedSize = Self.u32(bytes, offset + 20)
            let size = Self.u32(bytes, offset + 24)
            let localHeaderOffset = Self.u32(bytes, offset + 42)
            if compressedSize == 0xFFFF_FFFF || size == 0xFFFF_FFFF || localHeaderOffset == 0xFFFF_FFFF {
                throw Failure("it is a ZIP64 archive, which recur does not read")
            }
            let name = String(decoding: bytes[offset + 46..<offset + 46 + nameLength], as: UTF8.self)
            members.append(Member(
                name: name, flags: Self.u16(bytes, offset + 8), method: Self.u16(bytes, offset + 10),
                crc: Self.u32(bytes, offset + 16), compressedSize: Int(compressedSize), size: Int(size),
                localHeaderOffset: Int(localHeaderOffset)))
            offset = next
        }
        var seen: Set<String> = []
        for member in members where !seen.insert(member.name).inserted {
            throw Failure("it holds two members named '\(member.name)'")
        }
        self.members = members
    }

    func member(_ name: String) -> Member? {
        members.first { $0.name == name }
    }

    /// The uncompressed bytes of `member`, which may not declare more than `limit` bytes.
    func contents(of member: Member, limit: Int) throws(Failure) -> [UInt8] {
        let name = member.name
        guard member.flags & 1 == 0 else { throw Failure("its member '\(name)' is encrypted") }
        guard member.size <= limit else {
            throw Failure("its member '\(name)' declares \(member.size) bytes, more than the \(limit) recur reads")
        }
        let header = member.localHeaderOffset
        guard header + 30 <= bytes.count, Self.u32(bytes, header) == 0x0403_4B50 else {
            throw Failure("the local header of its member '\(name)' is damaged")
        }
        let nameLength = Int(Self.u16(bytes, header + 26))
        let extraLength = Int(Self.u16(bytes, header + 28))
        let start = header + 30 + nameLength + extraLength
        guard start <= bytes.count, bytes[header + 30..<header + 30 + nameLength].elementsEqual(name.utf8) else {
            throw Failure("the local header of its member '\(name)' names another member")
        }
        guard member.compressedSize <= bytes.count - start else { throw Failure("its member '\(name)' is cut short") }
        let stored = bytes[start..<start + member.compressedSize]
        let data: [UInt8]
        switch member.method {
        case 0:
            guard member.compressedSize == member.size else { throw Failure("its stored member '\(name)' has two different sizes") }
            data = Array(stored)
        case 8:
            do throws(Inflater.Failure) { data = try Inflater.inflate(stored, size: member.size) } catch {
                throw Failure("its member '\(name)' cannot be inflated: \(error.description)")
            }
        default:
            throw Failure("its member '\(name)' is compressed with method \(member.method); recur reads stored and deflated members")
        }
        guard CRC32.checksum(data) == member.crc else { throw Failure("its member '\(name)' fails its CRC check (the archive is damaged)") }
        return data
    }

    /// The end-of-central-directory record: the last one in the file, within the 64 KiB that
    /// an archive comment can take.
    private static func endOfCentralDirectory(_ bytes: [UInt8]) throws(Failure) -> (count: Int, directoryOffset: Int, directoryEnd: Int) {
        guard bytes.count >= 22 else { throw Failure("it is too short to be a zip archive") }
        var offset = bytes.count - 22
        let lowest = max(0, offset - 0xFFFF)
        while u32(bytes, offset) != 0x0605_4B50 {
            guard offset > lowest else { throw Failure("it has no zip central directory (it is cut short or not a zip archive)") }
            offset -= 1
        }
        let disk = u16(bytes, offset + 4), directoryDisk = u16(bytes, offset + 6)
        let countOnDisk = u16(bytes, offset + 8), count = u16(bytes, offset + 10)
        let size = u32(bytes, offset + 12), start = u32(bytes, offset + 16)
        if count == 0xFFFF || size == 0xFFFF_FFFF || start == 0xFFFF_FFFF {
            throw Failure("it is a ZIP64 archive, which recur does not read")
        }
        guard disk == 0, directoryDisk == 0, countOnDisk == count else { throw Failure("it is a multi-part zip archive") }
        guard Int(count) <= memberLimit else { throw Failure("it lists \(count) members, more than the \(memberLimit) recur reads") }
        guard Int(start) + Int(size) <= offset else { throw Failure("its central directory lies outside the archive (it is cut short)") }
        return (Int(count), Int(start), Int(start) + Int(size))
    }

    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
}
