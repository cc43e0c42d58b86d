/// Runs straight-line bytecode on a stack of `Expression`s instead of values, giving the
/// expression a lambda returns. Only the opcodes a one-expression lambda of calls, attribute
/// loads, constants, arithmetic and indexing compiles to are modelled; anything else ends the run
/// with `.unsupported`, and inconsistent code (stack underflow, indexes out of range, no return)
/// throws, which tells the recogniser that the code was not written by this Python version.
struct SymbolicEvaluator {
    enum Outcome {
        case returned(Expression)
        /// A real opcode of this version that recur does not model (jumps, stores, comprehensions …).
        case unsupported(opcode: String)
    }

    static let maxStackDepth = 64
    /// Longest list literal modelled; repeated LIST_EXTENDs of a big constant could otherwise
    /// build enormous trees from a small blob.
    static let maxListLength = 64

    private let code: CodeObject
    private let table: OpcodeTable
    private var stack: [Expression] = []
    /// Keyword names announced by KW_NAMES (3.11, 3.12) for the next CALL.
    private var pendingKeywords: [String] = []

    static func evaluate(_ instructions: [Instruction], code: CodeObject, table: OpcodeTable) throws(BytecodeError) -> Outcome {
        var evaluator = SymbolicEvaluator(code: code, table: table)
        for (index, instruction) in instructions.enumerated() {
            switch try evaluator.step(instruction) {
            case .continue:
                continue
            case .unsupported:
                return .unsupported(opcode: instruction.name)
            case .return(let value):
                // A lambda is one expression: the compiler emits nothing after its return.
                guard index == instructions.count - 1, evaluator.stack.isEmpty else {
                    throw BytecodeError(message: "code continues after \(instruction.name) at offset \(instruction.offset)")
                }
                return .returned(value)
            }
        }
        throw BytecodeError(message: "its bytecode ends without returning")
    }

    private enum Step {
        case `continue`, unsupported, `return`(Expression)
    }

    private init(code: CodeObject, table: OpcodeTable) {
        self.code = code
        self.table = table
    }

    // MARK: Stack

    private mutating func push(_ value: Expression) throws(BytecodeError) {
        guard stack.count < Self.maxStackDepth else { throw BytecodeError(message: "its stack grows deeper than \(Self.maxStackDepth)") }
        stack.append(value)
    }

    private mutating func pop() throws(BytecodeError) -> Expression {
        guard let value = stack.popLast() else { throw BytecodeError(message: "its bytecode pops an empty stack") }
        return value
    }

    private mutating func pop(_ count: Int) throws(BytecodeError) -> [Expression] {
        guard count >= 0, count <= stack.count else { throw BytecodeError(message: "its bytecode pops \(count) values from a stack of \(stack.count)") }
        defer { stack.removeLast(count) }
        return Array(stack.suffix(count))
    }

    private func element<T>(_ array: [T], _ index: Int, _ what: String) throws(BytecodeError) -> T {
        guard index >= 0, index < array.count else { throw BytecodeError(message: "it refers to \(what) \(index) of \(array.count)") }
        return array[index]
    }

    private func constant(_ index: Int) throws(BytecodeError) -> Expression {
        .constant(try element(code.constants, index, "constant"))
    }

    private func local(_ index: Int) throws(BytecodeError) -> Expression {
        let name = try element(code.localNames, index, "local variable")
        // Parameters come first in co_varnames/co_localsplusnames, so index 0 is the input.
        return index == 0 && code.argumentCount >= 1 ? .argument(name) : .local(name)
    }

    /// Keyword names for a call: a constant tuple of strings.
    private func keywordNames(_ value: Expression) throws(BytecodeError) -> [String] {
        guard case .constant(.tuple(let items)) = value else { throw BytecodeError(message: "its call keywords are not a constant tuple") }
        var names: [String] = []
        for item in items {
            guard case .string(let name) = item else { throw BytecodeError(message: "its call keywords are not strings") }
            names.append(name)
        }
        return names
    }

    // MARK: Calls

    /// Pops `count` arguments (the last `keywords.count` of them named) and the callable. From
    /// 3.11 (and for LOAD_METHOD before) the callable sits in a pair of slots with NULL or `self`:
    /// [NULL|callable, callable|self] up to 3.12, [callable, NULL|self] from 3.13.
    private mutating func call(argumentCount: Int, keywords: [String], pairedCallable: Bool) throws(BytecodeError) {
        guard keywords.count <= argumentCount else { throw BytecodeError(message: "its call names more keywords than arguments") }
        var arguments = try pop(argumentCount)
        let named = arguments.suffix(keywords.count)
        arguments.removeLast(keywords.count)
        var callable = try pop()
        if pairedCallable {
            let lower = try pop()
            if case .null = lower, table.minor <= 12 {
                // [NULL, callable]: a plain call.
            } else {
                // [callable, self] (any version) or [callable, NULL] (3.13).
                if case .null = callable {} else { arguments.insert(callable, at: 0) }
                callable = lower
            }
        }
        if case .null = callable { throw BytecodeError(message: "its bytecode calls NULL") }
        let keywordArguments = zip(keywords, named).map { (name: $0, value: $1) }
        try push(.call(callable, arguments: arguments, keywords: keywordArguments))
    }

    // MARK: Instructions

    private mutating func step(_ instruction: Instruction) throws(BytecodeError) -> Step {
        let arg = instruction.argument
        let modern = table.minor >= 11
        switch instruction.name {
        case "NOP", "RESUME", "PRECALL":
            break
        case "LOAD_FAST", "LOAD_FAST_CHECK":
            try push(try local(arg))
        case "LOAD_FAST_LOAD_FAST":  // 3.13: two 4-bit local indexes
            try push(try local(arg >> 4))
            try push(try local(arg & 15))
        case "LOAD_DEREF", "LOAD_CLASSDEREF":
            try push(.free(try element(code.derefNames, arg, "cell")))
        case "LOAD_CONST":
            try push(try constant(arg))
        case "LOAD_GLOBAL":
            // 3.11+: the low bit asks for a NULL beside the global (before it until 3.12, after in 3.13).
            let name = try element(code.names, modern ? arg >> 1 : arg, "name")
            let withNull = modern && arg & 1 == 1
            if withNull && table.minor <= 12 { try push(.null) }
            try push(.global(name))
            if withNull && table.minor >= 13 { try push(.null) }
        case "LOAD_ATTR":
            // 3.12+: the low bit makes it a method load, which pushes a pair like LOAD_METHOD.
            let method = table.minor >= 12 && arg & 1 == 1
            let name = try element(code.names, table.minor >= 12 ? arg >> 1 : arg, "name")
            let attribute = Expression.attribute(try pop(), name)
            if method && table.minor == 12 { try push(.null) }
            try push(attribute)
            if method && table.minor >= 13 { try push(.null) }
        case "LOAD_METHOD":  // 3.7–3.11
            let attribute = Expression.attribute(try pop(), try element(code.names, arg, "name"))
            try push(.null)
            try push(attribute)
        case "PUSH_NULL":
            try push(.null)
        case "CALL_FUNCTION":
            try call(argumentCount: arg, keywords: [], pairedCallable: false)
        case "CALL_FUNCTION_KW":  // 3.6–3.10: the keyword-name tuple is on top
            try call(argumentCount: arg, keywords: try keywordNames(try pop()), pairedCallable: false)
        case "CALL_METHOD":
            try call(argumentCount: arg, keywords: [], pairedCallable: true)
        case "KW_NAMES":
            pendingKeywords = try keywordNames(try constant(arg))
        case "CALL":
            let keywords = pendingKeywords
            pendingKeywords = []
            try call(argumentCount: arg, keywords: keywords, pairedCallable: true)
        case "CALL_KW":  // 3.13
            try call(argumentCount: arg, keywords: try keywordNames(try pop()), pairedCallable: true)
        case "BINARY_OP":
            // NB_* order from Include/opcode.h (3.11–3.13); 13 and up are the in-place forms.
            let operators: [Expression.BinaryOperator] = [
                .add, .and, .floorDivide, .leftShift, .matrixMultiply, .multiply, .modulo, .or, .power,
                .rightShift, .subtract, .trueDivide, .xor,
            ]
            guard arg < operators.count else { return .unsupported }
            try binary(operators[arg])
        case "BINARY_ADD": try binary(.add)
        case "BINARY_SUBTRACT": try binary(.subtract)
        case "BINARY_MULTIPLY": try binary(.multiply)
        case "BINARY_TRUE_DIVIDE": try binary(.trueDivide)
        case "BINARY_FLOOR_DIVIDE": try binary(.floorDivide)
        case "BINARY_MODULO": try binary(.modulo)
        case "BINARY_POWER": try binary(.power)
        case "BINARY_MATRIX_MULTIPLY": try binary(.matrixMultiply)
        case "BINARY_LSHIFT": try binary(.leftShift)
        case "BINARY_RSHIFT": try binary(.rightShift)
        case "BINARY_AND": try binary(.and)
        case "BINARY_OR": try binary(.or)
        case "BINARY_XOR": try binary(.xor)
        case "UNARY_NEGATIVE":
            // Python folds `-2.5` at compile time; this only handles what it left, e.g. `-x`.
            let operand = try pop()
            switch operand {
            case .constant(.int(let value)) where value != Int.min: try push(.constant(.int(-value)))
            case .constant(.float(let value)): try push(.constant(.float(-value)))
            default: try push(.negate(operand))
            }
        case "BINARY_SUBSCR":
            let index = try pop()
            try push(.subscript(try pop(), index))
        case "BINARY_SLICE":  // 3.12+: container[start:stop]
            let parts = try pop(2)
            try push(.subscript(try pop(), .slice(parts)))
        case "BUILD_SLICE":
            guard arg == 2 || arg == 3 else { throw BytecodeError(message: "BUILD_SLICE takes 2 or 3 values, not \(arg)") }
            try push(.slice(try pop(arg)))
        case "BUILD_TUPLE":
            try push(.tuple(try pop(arg)))
        case "BUILD_LIST":
            try push(.list(try pop(arg)))
        case "LIST_EXTEND":  // [a, b, c] of constants: BUILD_LIST 0, LOAD_CONST (a, b, c), LIST_EXTEND 1
            guard arg == 1 else { return .unsupported }
            let extra = try pop()
            guard case .list(let items) = try pop() else { throw BytecodeError(message: "LIST_EXTEND without a list") }
            let added: [Expression]
            if case .constant(.tuple(let values)) = extra { added = values.map { .constant($0) } } else { added = [extra] }
            guard items.count + added.count <= Self.maxListLength else { return .unsupported }
            try push(.list(items + added))
        case "RETURN_VALUE":
            return .return(try pop())
        case "RETURN_CONST":  // 3.12+
            return .return(try constant(arg))
        default:
            return .unsupported
        }
        return .continue
    }

    private mutating func binary(_ op: Expression.BinaryOperator) throws(BytecodeError) {
        let rhs = try pop()
        try push(.binary(op, try pop(), rhs))
    }
}
