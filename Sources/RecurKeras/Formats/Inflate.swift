/// Decompresses raw DEFLATE data (RFC 1951), the method zip tools use for a compressed member.
/// Keras stores its archive members uncompressed, but reads deflated ones, so an archive that
/// was re-zipped still loads. Written after Mark Adler's reference decoder `puff.c`: canonical
/// Huffman codes decoded bit by bit, every input read and every back-reference checked.
///
/// The output may not exceed the size the archive declares for the member, so a member that
/// inflates to more than it claims (a zip bomb) stops at that size with an error.
struct Inflater {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private let input: ArraySlice<UInt8>
    private var position: Int
    private var bitBuffer = 0
    private var bitCount = 0
    private var output: [UInt8] = []
    private let limit: Int

    /// The bytes `input` inflates to, which must be exactly `size`.
    static func inflate(_ input: ArraySlice<UInt8>, size: Int) throws(Failure) -> [UInt8] {
        var inflater = Inflater(input: input, limit: size)
        try inflater.run()
        guard inflater.output.count == size else {
            throw Failure("it inflates to \(inflater.output.count) bytes, not the \(size) its header declares")
        }
        return inflater.output
    }

    private init(input: ArraySlice<UInt8>, limit: Int) {
        self.input = input
        self.position = input.startIndex
        self.limit = limit
        output.reserveCapacity(limit)
    }

    private mutating func run() throws(Failure) {
        var last = false
        while !last {
            last = try bits(1) == 1
            switch try bits(2) {
            case 0: try stored()
            case 1: try codes(Self.fixedCodes.lengths, Self.fixedCodes.distances)
            case 2: try dynamic()
            default: throw Failure("it holds a DEFLATE block of the reserved type 3")
            }
        }
    }

    private mutating func bits(_ count: Int) throws(Failure) -> Int {
        while bitCount < count {
            guard position < input.endIndex else { throw Failure("its compressed data ends early") }
            bitBuffer |= Int(input[position]) << bitCount
            position += 1
            bitCount += 8
        }
        let value = bitBuffer & ((1 << count) - 1)
        bitBuffer >>= count
        bitCount -= count
        return value
    }

    private mutating func emit(_ byte: UInt8) throws(Failure) {
        guard output.count < limit else { throw Failure("it inflates to more than the \(limit) bytes its header declares") }
        output.append(byte)
    }

    /// A block stored as it is: the rest of the current byte is skipped, then LEN, ~LEN, data.
    private mutating func stored() throws(Failure) {
        bitBuffer = 0
        bitCount = 0
        guard input.endIndex - position >= 4 else { throw Failure("its compressed data ends early") }
        let length = Int(input[position]) | Int(input[position + 1]) << 8
        let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
        guard length == ~complement & 0xFFFF else { throw Failure("a stored DEFLATE block has a damaged length") }
        position += 4
        guard input.endIndex - position >= length else { throw Failure("its compressed data ends early") }
        guard output.count + length <= limit else { throw Failure("it inflates to more than the \(limit) bytes its header declares") }
        output.append(contentsOf: input[position..<position + length])
        position += length
    }

    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// Literals and back-references until the end-of-block symbol.
    private mutating func codes(_ lengths: Huffman, _ distances: Huffman) throws(Failure) {
        while true {
            let symbol = try decode(lengths)
            if symbol < 256 {
                try emit(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let lengthIndex = symbol - 257
            guard lengthIndex < Self.lengthBase.count else { throw Failure("it holds an invalid DEFLATE length code") }
            let length = Self.lengthBase[lengthIndex] + (try bits(Self.lengthExtra[lengthIndex]))
            let distanceIndex = try decode(distances)
            guard distanceIndex < Self.distanceBase.count else { throw Failure("it holds an invalid DEFLATE distance code") }
            let distance = Self.distanceBase[distanceIndex] + (try bits(Self.distanceExtra[distanceIndex]))
            guard distance <= output.count else { throw Failure("it refers back before the start of its data") }
            // The copy may overlap what it writes (a run), so it goes byte by byte.
            for _ in 0..<length {
                try emit(output[output.count - distance])
            }
        }
    }

    /// A block with its own codes, themselves Huffman-coded.
    private mutating func dynamic() throws(Failure) {
        let lengthCount = try bits(5) + 257
        let distanceCount = try bits(5) + 1
        let codeCount = try bits(4) + 4
        guard lengthCount <= 286, distanceCount <= 30 else { throw Failure("a DEFLATE block declares too many codes") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for index in 0..<codeCount { codeLengths[order[index]] = try bits(3) }
        let codeCode = Huffman(lengths: codeLengths[...])
        guard codeCode.left == 0 else { throw Failure("a DEFLATE block has an incomplete code-length code") }

        var lengths = [Int](repeating: 0, count: lengthCount + distanceCount)
        var index = 0
        while index < lengths.count {
            var symbol = try decode(codeCode)
            if symbol < 16 {
                lengths[index] = symbol
                index += 1
                continue
            }
            var repeated = 0
            switch symbol {
            case 16:
                guard index > 0 else { throw Failure("a DEFLATE block repeats a length before the first") }
                repeated = lengths[index - 1]
                symbol = 3 + (try bits(2))
            case 17: symbol = 3 + (try bits(3))
            default: symbol = 11 + (try bits(7))
            }
            guard index + symbol <= lengths.count else { throw Failure("a DEFLATE block repeats lengths past its codes") }
            for _ in 0..<symbol {
                lengths[index] = repeated
                index += 1
            }
        }
        guard lengths[256] != 0 else { throw Failure("a DEFLATE block has no end-of-block code") }
        // An incomplete code is allowed only when it is a single code of one bit (RFC 1951
        // §3.2.7, as puff.c reads it).
        let lengthCode = Huffman(lengths: lengths[0..<lengthCount])
        guard lengthCode.left >= 0, lengthCode.left == 0 || lengthCount == lengthCode.count[0] + lengthCode.count[1] else {
            throw Failure("a DEFLATE block has an invalid literal/length code")
        }
        let distanceCode = Huffman(lengths: lengths[lengthCount...])
        guard distanceCode.left >= 0, distanceCode.left == 0 || distanceCount == distanceCode.count[0] + distanceCode.count[1] else {
            throw Failure("a DEFLATE block has an invalid distance code")
        }
        try codes(lengthCode, distanceCode)
    }

    private static let fixedCodes: (lengths: Huffman, distances: Huffman) = {
        var lengths = [Int](repeating: 8, count: 288)
        for symbol in 144..<256 { lengths[symbol] = 9 }
        for symbol in 256..<280 { lengths[symbol] = 7 }
        return (Huffman(lengths: lengths[...]), Huffman(lengths: [Int](repeating: 5, count: 30)[...]))
    }()

    private mutating func decode(_ code: Huffman) throws(Failure) -> Int {
        var value = 0, first = 0, index = 0
        for length in 1...15 {
            value |= try bits(1)
            let count = code.count[length]
            if value - count < first { return code.symbols[index + value - first] }
            index += count
            first = (first + count) << 1
            value <<= 1
        }
        throw Failure("it holds a DEFLATE code that no table defines")
    }
}

/// A canonical Huffman code: how many codes have each length, and the symbols in code order.
private struct Huffman {
    var count = [Int](repeating: 0, count: 16)
    var symbols: [Int]
    /// 0 for a complete code, more for an incomplete one, less for one with too many codes.
    var left = 1

    init(lengths: ArraySlice<Int>) {
        symbols = [Int](repeating: 0, count: lengths.count)
        for length in lengths { count[length] += 1 }
        if count[0] == lengths.count {
            // No codes: complete, but nothing decodes.
            left = 0
            return
        }
        for length in 1...15 {
            left = (left << 1) - count[length]
            if left < 0 { return }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + count[length] }
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }
}
