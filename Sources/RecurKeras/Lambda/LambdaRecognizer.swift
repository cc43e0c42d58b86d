/// One of the operations recur can run in place of a Keras `Lambda` layer.
public enum LambdaOperation: Equatable, Sendable {
    /// `tf.expand_dims(x, axis=A)` (also `keras.ops.expand_dims`, `K.expand_dims`,
    /// `tf.keras.backend.expand_dims`, `tf.expand_dims(x, -1)`, …). Any integer axis is reported;
    /// the caller decides whether it is acceptable.
    case expandDims(axis: Int)
    /// `x * c`, `c * x`, `x / c`, `x + c`, `c + x`, `x - c` or `c - x` for a numeric constant `c`.
    case arithmetic(ArithmeticOperator, Double)

    /// Why recur cannot run the operation, or nil: its constant must be a finite float32 (the
    /// kernel computes in float32), and not a zero divisor.
    public var refusal: String? {
        guard case .arithmetic(let op, let constant) = self else { return nil }
        if !Float(constant).isFinite { return "its constant \(constant) is not a finite float32" }
        if op == .divide && constant == 0 { return "it divides by zero" }
        return nil
    }
}

/// The operator of `LambdaOperation.arithmetic`; the constant is always the right operand
/// except for `subtractFrom`.
public enum ArithmeticOperator: Sendable, Equatable {
    /// `x * c` or `c * x`.
    case multiply
    /// `x / c`.
    case divide
    /// `x + c` or `c + x`.
    case add
    /// `x - c`.
    case subtract
    /// `c - x`.
    case subtractFrom
}

/// Why a Lambda's code was not recognised, as one sentence about the code, such as
/// "its code calls tf.reshape, which recur does not map".
public struct LambdaRecognitionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// Recognises the code of a Keras `Lambda` layer — base64 of `marshal.dumps(fn.__code__)` from
/// CPython 3.6 to 3.13 — as a `LambdaOperation`, without running any Python.
///
/// The blob does not say which Python wrote it. The code object's field layout separates 3.6–3.7,
/// 3.8–3.10 and 3.11–3.13; each version of that family then decodes and symbolically runs the
/// bytecode with its own opcode table. A result is returned only when every version that reads
/// the code consistently agrees on the same operation.
///
/// Only the code is checked. Keras also stores the function's `defaults` and `closure` beside it
/// (`"defaults": null, "closure": null`); callers must refuse a Lambda whose stored values are
/// not null, or that has non-empty `arguments`.
public enum LambdaRecognizer {
    /// Lambdas are a few hundred bytes; this only bounds the work done on hostile input.
    static let maxMarshalledSize = 1 << 20

    /// Recognises the base64 text Keras stores in a Lambda's config (`"code"` in Keras 3, the
    /// first element of `"function"` in Keras 2). Line breaks and other ASCII whitespace are ignored.
    public static func recognize(base64: String) throws(LambdaRecognitionError) -> LambdaOperation {
        let bytes: [UInt8]
        do {
            bytes = try Base64.decode(base64, maxLength: maxMarshalledSize / 3 * 4 + maxMarshalledSize / 38)
        } catch {
            throw LambdaRecognitionError(reason: "its code is not valid base64: \(error.message)")
        }
        return try recognize(marshalled: bytes)
    }

    /// Recognises the bytes of `marshal.dumps(fn.__code__)`.
    public static func recognize(marshalled: [UInt8]) throws(LambdaRecognitionError) -> LambdaOperation {
        guard marshalled.count <= maxMarshalledSize else {
            throw LambdaRecognitionError(reason: "its code is \(marshalled.count) bytes, far more than any lambda recur maps")
        }
        var readings: [(version: String, reading: Reading)] = []
        var marshalErrors: [(layout: String, message: String)] = []
        for layout in CodeObject.Layout.allCases {
            let code: CodeObject
            do {
                code = try MarshalReader.readCode(marshalled, layout: layout)
            } catch {
                marshalErrors.append((layout.versionRange, error.message))
                continue
            }
            for table in OpcodeTable.all where table.layout == layout {
                readings.append((table.versionName, read(code, as: table)))
            }
        }
        guard !readings.isEmpty else {
            // Which layout was meant is unknown, so every layout's failure is reported.
            let details = marshalErrors.map { "as \($0.layout), \($0.message)" }.joined(separator: "; ")
            throw LambdaRecognitionError(reason: "its code is not a marshalled CPython 3.6–3.13 code object (\(details))")
        }
        return try decide(readings)
    }

    // MARK: Choosing among versions

    private enum Reading {
        case recognized(LambdaOperation)
        /// Consistent code for this version that is not a mapped pattern. `complete` when the
        /// whole body was read (rather than stopping at an instruction recur does not model),
        /// which makes its reason the better description of what the lambda does.
        case refused(String, complete: Bool)
        /// The bytes cannot be this version's code.
        case invalid(String)
    }

    private static func decide(_ readings: [(version: String, reading: Reading)]) throws(LambdaRecognitionError) -> LambdaOperation {
        var recognized: [(version: String, operation: LambdaOperation)] = []
        var refused: [(version: String, reason: String, complete: Bool)] = []
        var invalid: [(version: String, reason: String)] = []
        for (version, reading) in readings {
            switch reading {
            case .recognized(let operation): recognized.append((version, operation))
            case .refused(let reason, let complete): refused.append((version, reason, complete))
            case .invalid(let reason): invalid.append((version, reason))
            }
        }
        if let first = recognized.first {
            if let other = recognized.first(where: { $0.operation != first.operation }) {
                throw LambdaRecognitionError(reason: "its bytecode reads as \(describe(first.operation)) under Python \(first.version) but as \(describe(other.operation)) under Python \(other.version), so recur cannot tell which was meant")
            }
            if let other = refused.first {
                throw LambdaRecognitionError(reason: "its bytecode reads as \(describe(first.operation)) under Python \(first.version) but not under Python \(other.version) (\(other.reason)), so recur cannot tell which was meant")
            }
            return first.operation
        }
        if let best = refused.first(where: \.complete) ?? refused.first { throw LambdaRecognitionError(reason: best.reason) }
        guard let first = invalid.first else { throw LambdaRecognitionError(reason: "its code could not be read") }
        throw LambdaRecognitionError(reason: "its code is not valid bytecode for any of Python 3.6–3.13 (as Python \(first.version), \(first.reason))")
    }

    private static func describe(_ operation: LambdaOperation) -> String {
        switch operation {
        case .expandDims(let axis): "expand_dims(axis=\(axis))"
        case .arithmetic(.multiply, let c): "x * \(c)"
        case .arithmetic(.divide, let c): "x / \(c)"
        case .arithmetic(.add, let c): "x + \(c)"
        case .arithmetic(.subtract, let c): "x - \(c)"
        case .arithmetic(.subtractFrom, let c): "\(c) - x"
        }
    }

    // MARK: One version

    private static func read(_ code: CodeObject, as table: OpcodeTable) -> Reading {
        if let reason = signatureProblem(code) { return .refused(reason, complete: true) }
        let outcome: SymbolicEvaluator.Outcome
        do {
            let instructions = try Bytecode.decode(code.bytecode, table: table)
            outcome = try SymbolicEvaluator.evaluate(instructions, code: code, table: table)
        } catch {
            return .invalid(error.message)
        }
        switch outcome {
        case .unsupported(let opcode):
            return .refused("its code uses the \(opcode) instruction, which recur does not map (it maps only expand_dims and arithmetic with a constant)", complete: false)
        case .returned(let expression):
            switch match(expression) {
            case .success(let operation): return .recognized(operation)
            case .failure(let error): return .refused(error.reason, complete: true)
            }
        }
    }

    /// Refusals that follow from the code object alone, before any bytecode is read.
    private static func signatureProblem(_ code: CodeObject) -> String? {
        // CO_VARARGS = 0x04, CO_VARKEYWORDS = 0x08.
        if code.flags & 0x0C != 0 {
            return "it takes variable arguments (*args or **kwargs); recur maps only lambdas of one argument"
        }
        if code.argumentCount != 1 || code.keywordOnlyArgumentCount != 0 {
            let count = code.argumentCount + code.keywordOnlyArgumentCount
            let names = code.localNames.prefix(min(count, 8)).joined(separator: ", ")
            return "it takes \(count) arguments (\(names)); recur maps only lambdas of one argument"
        }
        // CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE, CO_ASYNC_GENERATOR.
        if code.flags & 0x3A0 != 0 { return "it is a generator or coroutine, which recur does not map" }
        if !code.freeVariables.isEmpty {
            return "it is a closure over \(code.freeVariables.prefix(8).joined(separator: ", ")), whose value is not stored in the model"
        }
        if !code.cellVariables.isEmpty {
            return "it defines an inner function that captures \(code.cellVariables.prefix(8).joined(separator: ", ")), which recur does not map"
        }
        return nil
    }

    // MARK: Patterns

    /// Modules whose `expand_dims` is the one recur maps, and the submodules it may be reached through.
    private static let expandDimsRoots: Set<String> = ["tf", "tensorflow", "keras", "tf_keras", "K", "backend", "ops"]
    private static let expandDimsPath: Set<String> = ["keras", "backend", "ops", "compat", "v1", "v2"]

    private static func match(_ expression: Expression) -> Result<LambdaOperation, LambdaRecognitionError> {
        func refuse(_ reason: String) -> Result<LambdaOperation, LambdaRecognitionError> {
            .failure(LambdaRecognitionError(reason: reason))
        }
        switch expression {
        case .call(let callee, let arguments, let keywords):
            guard let path = callee.dottedName else {
                return refuse("its code calls \(callee.source), which recur does not map")
            }
            let name = path.joined(separator: ".")
            guard path.last == "expand_dims" else {
                return refuse("its code calls \(name), which recur does not map")
            }
            guard path.count >= 2, expandDimsRoots.contains(path[0]), path.dropFirst().dropLast().allSatisfy(expandDimsPath.contains) else {
                return refuse("its code calls \(name), but recur maps expand_dims only from tf, keras, K, backend or ops")
            }
            return matchExpandDims(name: name, source: expression.source, arguments: arguments, keywords: keywords)
        case .binary(let op, let lhs, let rhs):
            return matchArithmetic(op, lhs, rhs, source: expression.source)
        case .argument:
            return refuse("its code returns its input unchanged, which recur does not map")
        case .constant(let value):
            return refuse("its code returns the constant \(value.source()) and ignores its input")
        case .subscript(.argument, _):
            return refuse("its code indexes its input (\(expression.source)), which recur does not map")
        default:
            return refuse("its code computes \(expression.source), which recur does not map")
        }
    }

    /// `expand_dims(x, axis)`: the input positionally or as `input=`/`x=`, the axis positionally
    /// or as `axis=`, and nothing else.
    private static func matchExpandDims(
        name: String, source: String, arguments: [Expression], keywords: [(name: String, value: Expression)]
    ) -> Result<LambdaOperation, LambdaRecognitionError> {
        var positional = arguments[...]
        var input = positional.popFirst()
        var axis = positional.popFirst()
        for keyword in keywords {
            switch keyword.name {
            case "input" where input == nil, "x" where input == nil: input = keyword.value
            case "axis" where axis == nil: axis = keyword.value
            default:
                return .failure(LambdaRecognitionError(reason: "its call \(source) passes \(keyword.name)=, which recur does not map"))
            }
        }
        guard positional.isEmpty, case .argument? = input, let axis else {
            return .failure(LambdaRecognitionError(reason: "its call \(source) does not have the form \(name)(x, axis=A)"))
        }
        guard case .constant(.int(let value)) = axis else {
            return .failure(LambdaRecognitionError(reason: "its call \(source) has an axis that is not an integer constant"))
        }
        return .success(.expandDims(axis: value))
    }

    private static func matchArithmetic(
        _ op: Expression.BinaryOperator, _ lhs: Expression, _ rhs: Expression, source: String
    ) -> Result<LambdaOperation, LambdaRecognitionError> {
        func refuse(_ reason: String) -> Result<LambdaOperation, LambdaRecognitionError> {
            .failure(LambdaRecognitionError(reason: reason))
        }
        let constantOnLeft: Bool
        let other: Expression
        switch (lhs, rhs) {
        case (.argument, .argument):
            return refuse("its code computes \(source), which recur does not map")
        case (.argument, _): (constantOnLeft, other) = (false, rhs)
        case (_, .argument): (constantOnLeft, other) = (true, lhs)
        case (.binary, _), (.call, _), (.negate, _), (.subscript, _), (_, .binary), (_, .call), (_, .negate), (_, .subscript):
            // An operand that is itself an operation or a call: e.g. `x * 100.0 + 1`.
            return refuse("its code computes \(source), which is more than one operation")
        default:
            return refuse("its code computes \(source), which does not use its input as recur requires")
        }
        switch other {
        case .constant(let value):
            guard let c = value.number else {
                return refuse("its code computes \(source), but \(value.source()) is not a number")
            }
            guard c.isFinite else { return refuse("its code computes \(source) with a constant that is not finite") }
            switch (op, constantOnLeft) {
            case (.multiply, _): return .success(.arithmetic(.multiply, c))
            case (.add, _): return .success(.arithmetic(.add, c))
            case (.trueDivide, false): return .success(.arithmetic(.divide, c))
            case (.subtract, false): return .success(.arithmetic(.subtract, c))
            case (.subtract, true): return .success(.arithmetic(.subtractFrom, c))
            default:
                return refuse("its code computes \(source), but recur maps only x * c, c * x, x / c, x + c, c + x, x - c and c - x")
            }
        case .global(let name), .local(let name), .free(let name):
            return refuse("its code computes \(source), but \(name) is a variable, not a constant")
        case .binary, .call, .negate, .subscript:
            return refuse("its code computes \(source), which is more than one operation")
        default:
            return refuse("its code computes \(source), which recur does not map")
        }
    }
}
