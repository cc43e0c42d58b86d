/// One CPython minor version's instruction set: opcode numbers, names and, from 3.11, how many
/// inline cache code units follow each instruction. The tables themselves are in OpcodeTables.swift.
struct OpcodeTable: Sendable {
    /// 6 for Python 3.6, …, 13 for Python 3.13.
    let minor: Int
    let names: [UInt8: String]
    let cacheEntries: [String: Int]

    var versionName: String { "3.\(minor)" }

    /// The marshalled code object's field order changed in 3.8 and 3.11 (see `CodeObject.Layout`).
    var layout: CodeObject.Layout {
        switch minor {
        case ..<8: .python36to37
        case ..<11: .python38to310
        default: .python311to313
        }
    }
}

/// A decoded instruction: the opcode's name and its full argument (EXTENDED_ARG prefixes folded in).
struct Instruction: Sendable {
    let offset: Int
    let name: String
    let argument: Int
}

struct BytecodeError: Error {
    let message: String
}

enum Bytecode {
    /// More than any lambda needs; keeps the work per candidate version small on hostile input.
    static let maxCodeUnits = 4096

    /// Decodes wordcode (two bytes per unit since 3.6) with `table`. Fails on anything the given
    /// version's compiler could not have written: an unknown opcode, a dangling EXTENDED_ARG, or
    /// a 3.11+ inline cache slot that is not the zeroed CACHE marshal writes. These failures are
    /// what rules a candidate version out.
    static func decode(_ code: [UInt8], table: OpcodeTable) throws(BytecodeError) -> [Instruction] {
        guard code.count % 2 == 0 else { throw BytecodeError(message: "its bytecode has an odd length (\(code.count) bytes)") }
        guard code.count / 2 <= maxCodeUnits else {
            throw BytecodeError(message: "its bytecode has \(code.count / 2) instructions, more than \(maxCodeUnits)")
        }
        var instructions: [Instruction] = []
        var extended = 0
        var extendedCount = 0
        var offset = 0
        while offset < code.count {
            let opcode = code[offset]
            guard let name = table.names[opcode] else {
                throw BytecodeError(message: "opcode \(opcode) at offset \(offset) does not exist in Python \(table.versionName)")
            }
            guard name != "CACHE" else {
                throw BytecodeError(message: "a CACHE entry at offset \(offset) does not follow an instruction that has one")
            }
            let argument = extended | Int(code[offset + 1])
            let next = offset + 2 + 2 * (table.cacheEntries[name] ?? 0)
            guard next <= code.count else { throw BytecodeError(message: "its bytecode ends inside the caches of \(name)") }
            for cache in stride(from: offset + 2, to: next, by: 2) where code[cache] != 0 || code[cache + 1] != 0 {
                throw BytecodeError(message: "the cache after \(name) at offset \(offset) is not zero (offset \(cache))")
            }
            if name == "EXTENDED_ARG" {
                // Four bytes of argument at most: a fourth prefix would only shift bits out.
                extendedCount += 1
                guard extendedCount <= 3 else { throw BytecodeError(message: "too many EXTENDED_ARG prefixes at offset \(offset)") }
                extended = argument << 8
            } else {
                instructions.append(Instruction(offset: offset, name: name, argument: argument))
                extended = 0
                extendedCount = 0
            }
            offset = next
        }
        guard extendedCount == 0 else { throw BytecodeError(message: "its bytecode ends with EXTENDED_ARG") }
        return instructions
    }
}
