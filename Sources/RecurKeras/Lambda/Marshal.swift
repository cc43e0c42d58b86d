/// A value read from CPython's `marshal` format (version 4, written by Python 3.4 to 3.13),
/// reduced to what the Lambda recogniser needs. Containers keep their items so that the reader
/// can walk past them; only tuples, strings, numbers and code objects are ever looked at.
indirect enum MarshalValue {
    case none
    case ellipsis
    case stopIteration
    case bool(Bool)
    case int(Int)
    /// An integer beyond `Int`'s range, approximated (it is only ever printed or refused).
    case bigInt(Double)
    case float(Double)
    case complex(Double, Double)
    case string(String)
    case bytes([UInt8])
    case tuple([MarshalValue])
    /// A list, set, frozenset or dict (keys and values interleaved): never part of a lambda we map.
    case collection(kind: String, items: [MarshalValue])
    case code(CodeObject)
}

/// The fields of a marshalled `types.CodeType` that the recogniser uses.
struct CodeObject {
    /// The marshalled field order. CPython 3.8 added co_posonlyargcount; 3.11 reorganised the
    /// code object (co_localsplusnames/kinds, co_qualname, co_exceptiontable, no co_nlocals).
    /// A code object CPython wrote in one layout meets a field of the wrong type when read in
    /// another (see `MarshalReader.code()`), so real blobs are read by exactly one layout. The
    /// recogniser does not depend on this: it compares the readings of every layout that succeeds.
    enum Layout: CaseIterable {
        case python36to37
        case python38to310
        case python311to313

        /// The versions that write this layout, for messages.
        var versionRange: String {
            switch self {
            case .python36to37: "3.6–3.7"
            case .python38to310: "3.8–3.10"
            case .python311to313: "3.11–3.13"
            }
        }
    }

    var layout: Layout
    /// co_argcount: positional parameters, positional-only ones included.
    var argumentCount = 0
    var keywordOnlyArgumentCount = 0
    var flags = 0
    var bytecode: [UInt8] = []
    var constants: [MarshalValue] = []
    var names: [String] = []
    /// The names `LOAD_FAST` indexes: co_varnames before 3.11, co_localsplusnames from 3.11.
    var localNames: [String] = []
    /// The names `LOAD_DEREF` indexes: co_cellvars + co_freevars before 3.11, co_localsplusnames from 3.11.
    var derefNames: [String] = []
    var freeVariables: [String] = []
    var cellVariables: [String] = []
}

struct MarshalError: Error {
    let message: String
}

/// Reads one marshalled object from a byte buffer. Every read is bounds-checked; nesting depth,
/// the number of objects and every declared length are capped, so malformed or hostile input
/// ends in a `MarshalError`, never a trap or a huge allocation.
struct MarshalReader {
    /// CPython allows 2000 levels; a lambda needs about four (code, consts, kwnames tuple).
    static let maxDepth = 32
    static let maxObjects = 100_000
    private static let neverRegistered: [UInt8] = Array("NFT.Sr".utf8)

    private let bytes: [UInt8]
    private let layout: CodeObject.Layout
    private var position = 0
    /// Objects written with FLAG_REF, by index; nil while a container is still being read,
    /// so that a reference to an unfinished object is an error, as in CPython.
    private var references: [MarshalValue?] = []
    private var depth = 0
    private var objectCount = 0

    /// Reads `bytes` as a single marshalled code object laid out as `layout`. Trailing bytes are
    /// an error: Keras writes exactly one object.
    static func readCode(_ bytes: [UInt8], layout: CodeObject.Layout) throws(MarshalError) -> CodeObject {
        var reader = MarshalReader(bytes: bytes, layout: layout)
        let value = try reader.readObject()
        guard case .code(let code) = value else { throw MarshalError(message: "it holds a \(value.kindName), not a code object") }
        guard reader.position == bytes.count else {
            throw MarshalError(message: "it has \(bytes.count - reader.position) bytes after the code object")
        }
        return code
    }

    private init(bytes: [UInt8], layout: CodeObject.Layout) {
        self.bytes = bytes
        self.layout = layout
    }

    // MARK: Primitive reads

    private mutating func byte() throws(MarshalError) -> UInt8 {
        guard position < bytes.count else { throw MarshalError(message: "it ends early, at byte \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func int32() throws(MarshalError) -> Int {
        guard bytes.count - position >= 4 else { throw MarshalError(message: "it ends early, at byte \(position)") }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[position + i]) << (8 * i) }
        position += 4
        return Int(Int32(bitPattern: value))
    }

    private mutating func int64() throws(MarshalError) -> Int {
        guard bytes.count - position >= 8 else { throw MarshalError(message: "it ends early, at byte \(position)") }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[position + i]) << (8 * i) }
        position += 8
        return Int(Int64(bitPattern: value))
    }

    private mutating func double() throws(MarshalError) -> Double {
        Double(bitPattern: UInt64(bitPattern: Int64(try int64())))
    }

    /// A length prefix, checked against what is left so that no allocation can exceed the input.
    private mutating func length(short: Bool = false, unitSize: Int = 1) throws(MarshalError) -> Int {
        let n = short ? Int(try byte()) : try int32()
        guard n >= 0, n <= (bytes.count - position) / unitSize else {
            throw MarshalError(message: "it declares a length of \(n) at byte \(position) with only \(bytes.count - position) bytes left")
        }
        return n
    }

    private mutating func raw(_ count: Int) -> [UInt8] {
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    private mutating func text(count: Int) throws(MarshalError) -> String {
        // CPython writes str as UTF-8 ("surrogatepass"); lone surrogates cannot occur in a lambda.
        guard let string = String(validating: raw(count), as: UTF8.self) else {
            throw MarshalError(message: "it has a string that is not valid UTF-8, before byte \(position)")
        }
        return string
    }

    // MARK: Objects

    private mutating func readObject() throws(MarshalError) -> MarshalValue {
        guard depth < Self.maxDepth else { throw MarshalError(message: "it nests objects more than \(Self.maxDepth) deep") }
        objectCount += 1
        guard objectCount <= Self.maxObjects else { throw MarshalError(message: "it holds more than \(Self.maxObjects) objects") }
        depth += 1
        defer { depth -= 1 }

        let start = position
        let typeByte = try byte()
        let type = typeByte & 0x7F
        // With FLAG_REF the object gets the next back-reference index. Containers and code
        // objects take it before their children, as in CPython (r_ref_reserve), so later indexes
        // agree; CPython ignores the flag on singletons and on references themselves.
        let registers = typeByte & 0x80 != 0 && !Self.neverRegistered.contains(type)
        let slot = references.count
        if registers { references.append(nil) }

        let value: MarshalValue
        switch type {
        case UInt8(ascii: "N"): value = .none
        case UInt8(ascii: "F"): value = .bool(false)
        case UInt8(ascii: "T"): value = .bool(true)
        case UInt8(ascii: "."): value = .ellipsis
        case UInt8(ascii: "S"): value = .stopIteration
        case UInt8(ascii: "i"): value = .int(try int32())
        case UInt8(ascii: "I"): value = .int(try int64())
        case UInt8(ascii: "l"): value = try long()
        case UInt8(ascii: "g"): value = .float(try double())
        case UInt8(ascii: "y"): value = .complex(try double(), try double())
        case UInt8(ascii: "f"): value = .float(try textFloat())
        case UInt8(ascii: "x"): value = .complex(try textFloat(), try textFloat())
        case UInt8(ascii: "s"): value = .bytes(raw(try length()))
        case UInt8(ascii: "u"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "A"):
            value = .string(try text(count: try length()))
        case UInt8(ascii: "z"), UInt8(ascii: "Z"):
            value = .string(try text(count: try length(short: true)))
        case UInt8(ascii: "("): value = .tuple(try items(try length()))
        case UInt8(ascii: ")"): value = .tuple(try items(try length(short: true)))
        case UInt8(ascii: "["): value = .collection(kind: "list", items: try items(try length()))
        case UInt8(ascii: "<"): value = .collection(kind: "set", items: try items(try length()))
        case UInt8(ascii: ">"): value = .collection(kind: "frozenset", items: try items(try length()))
        case UInt8(ascii: "{"): value = .collection(kind: "dict", items: try dictItems())
        case UInt8(ascii: "c"): value = .code(try code())
        case UInt8(ascii: "r"):
            let index = try int32()
            guard index >= 0, index < references.count, let target = references[index] else {
                throw MarshalError(message: "it has an invalid back-reference \(index) at byte \(start)")
            }
            value = target
        case UInt8(ascii: "0"):
            throw MarshalError(message: "it has a NULL object at byte \(start)")
        default:
            throw MarshalError(message: "it has the unknown type code 0x\(String(typeByte, radix: 16)) at byte \(start)")
        }
        if registers { references[slot] = value }
        return value
    }

    private mutating func items(_ count: Int) throws(MarshalError) -> [MarshalValue] {
        var result: [MarshalValue] = []
        result.reserveCapacity(count)  // safe: count <= bytes left, and each item takes a byte
        for _ in 0..<count { result.append(try readObject()) }
        return result
    }

    private mutating func dictItems() throws(MarshalError) -> [MarshalValue] {
        var result: [MarshalValue] = []
        // A dict ends with a NULL key; the object cap bounds the loop.
        while true {
            guard position < bytes.count else { throw MarshalError(message: "it ends inside a dict") }
            if bytes[position] & 0x7F == UInt8(ascii: "0") {
                position += 1
                return result
            }
            result.append(try readObject())
            result.append(try readObject())
        }
    }

    /// TYPE_LONG: a signed digit count, then 15-bit digits, least significant first.
    private mutating func long() throws(MarshalError) -> MarshalValue {
        let start = position
        let signedCount = try int32()
        let count = signedCount.magnitude
        guard count <= UInt(bytes.count - position) / 2 else {
            throw MarshalError(message: "it declares a \(count)-digit integer at byte \(start) that does not fit")
        }
        var digits: [Int] = []
        for _ in 0..<count {
            let digit = Int(try byte()) | Int(try byte()) << 8
            guard digit < 1 << 15 else { throw MarshalError(message: "it has a bad integer digit at byte \(position - 2)") }
            digits.append(digit)
        }
        guard digits.last != 0 else { throw MarshalError(message: "it has an unnormalised integer at byte \(start)") }
        var exact = 0
        var approximate = 0.0
        var overflow = false
        for digit in digits.reversed() {
            approximate = approximate * 32768 + Double(digit)
            let (shifted, o1) = exact.multipliedReportingOverflow(by: 1 << 15)
            let (sum, o2) = shifted.addingReportingOverflow(digit)
            overflow = overflow || o1 || o2
            exact = sum
        }
        if overflow { return .bigInt(signedCount < 0 ? -approximate : approximate) }
        return .int(signedCount < 0 ? -exact : exact)
    }

    /// The pre-version-2 float format: a length byte and the repr text.
    private mutating func textFloat() throws(MarshalError) -> Double {
        let text = try text(count: try length(short: true))
        guard let value = Double(text) else { throw MarshalError(message: "it has the malformed float text \"\(text)\"") }
        return value
    }

    private mutating func code() throws(MarshalError) -> CodeObject {
        var code = CodeObject(layout: layout)
        // 3.6–3.7: argcount, kwonlyargcount, nlocals, stacksize, flags.
        // 3.8–3.10: argcount, posonlyargcount, kwonlyargcount, nlocals, stacksize, flags.
        // 3.11–3.13: argcount, posonlyargcount, kwonlyargcount, stacksize, flags.
        // A blob of one layout read as another meets a field of the wrong type: 3.6–3.7 and
        // 3.8–3.10 are one int apart, so co_code is read from the flags or from co_code's length
        // (a type code that is not bytes, or a length far past the end); 3.6–3.7 and 3.11–3.13
        // have as many ints, but after co_names one has the tuple co_freevars where the other
        // has the bytes co_localspluskinds.
        code.argumentCount = try int32()
        if layout != .python36to37 { _ = try int32() }  // co_posonlyargcount (already counted in co_argcount)
        code.keywordOnlyArgumentCount = try int32()
        if layout != .python311to313 { _ = try int32() }  // co_nlocals
        _ = try int32()  // co_stacksize
        code.flags = try int32()
        code.bytecode = try readBytes("co_code")
        code.constants = try readTuple("co_consts")
        code.names = try readStrings("co_names")
        switch layout {
        case .python36to37, .python38to310:
            code.localNames = try readStrings("co_varnames")
            code.freeVariables = try readStrings("co_freevars")
            code.cellVariables = try readStrings("co_cellvars")
            code.derefNames = code.cellVariables + code.freeVariables
            _ = try readString("co_filename")
            _ = try readString("co_name")
            _ = try int32()  // co_firstlineno
            _ = try readBytes("co_lnotab")
        case .python311to313:
            code.localNames = try readStrings("co_localsplusnames")
            let kinds = try readBytes("co_localspluskinds")
            guard kinds.count == code.localNames.count else {
                throw MarshalError(message: "its code object has \(kinds.count) local kinds for \(code.localNames.count) local names")
            }
            // CO_FAST_CELL = 0x40, CO_FAST_FREE = 0x80 (Include/internal/pycore_code.h).
            for (name, kind) in zip(code.localNames, kinds) {
                if kind & 0x80 != 0 { code.freeVariables.append(name) }
                if kind & 0x40 != 0 { code.cellVariables.append(name) }
            }
            code.derefNames = code.localNames
            _ = try readString("co_filename")
            _ = try readString("co_name")
            _ = try readString("co_qualname")
            _ = try int32()  // co_firstlineno
            _ = try readBytes("co_linetable")
            _ = try readBytes("co_exceptiontable")
        }
        guard code.argumentCount >= 0, code.keywordOnlyArgumentCount >= 0 else {
            throw MarshalError(message: "its code object has a negative argument count")
        }
        return code
    }

    private mutating func readBytes(_ field: String) throws(MarshalError) -> [UInt8] {
        guard case .bytes(let value) = try readObject() else { throw fieldError(field, "bytes") }
        return value
    }

    private mutating func readTuple(_ field: String) throws(MarshalError) -> [MarshalValue] {
        guard case .tuple(let value) = try readObject() else { throw fieldError(field, "a tuple") }
        return value
    }

    private mutating func readString(_ field: String) throws(MarshalError) -> String {
        guard case .string(let value) = try readObject() else { throw fieldError(field, "a string") }
        return value
    }

    private mutating func readStrings(_ field: String) throws(MarshalError) -> [String] {
        var strings: [String] = []
        for item in try readTuple(field) {
            guard case .string(let value) = item else { throw fieldError(field, "a tuple of strings") }
            strings.append(value)
        }
        return strings
    }

    private func fieldError(_ field: String, _ expected: String) -> MarshalError {
        MarshalError(message: "its \(field), ending at byte \(position), is not \(expected)")
    }
}

extension MarshalValue {
    /// The Python type name, for messages.
    var kindName: String {
        switch self {
        case .none: "None"
        case .ellipsis: "Ellipsis"
        case .stopIteration: "StopIteration"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .complex: "complex"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .collection(let kind, _): kind
        case .code: "code object"
        }
    }
}
