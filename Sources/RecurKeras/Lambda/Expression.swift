/// What a lambda's body computes, rebuilt from its bytecode by `SymbolicEvaluator`. The
/// recogniser matches this tree instead of opcode sequences, so that the ways different Python
/// versions spell the same call (LOAD_METHOD/CALL_METHOD, PRECALL/CALL + KW_NAMES, CALL_KW …)
/// all arrive at one shape.
indirect enum Expression {
    /// The lambda's (single) parameter.
    case argument(String)
    /// Any other local variable.
    case local(String)
    /// A closure cell or free variable (LOAD_DEREF).
    case free(String)
    case global(String)
    case attribute(Expression, String)
    case constant(MarshalValue)
    /// The NULL that 3.11+ pushes beside a callable (and LOAD_METHOD before), not a Python value.
    case null
    case call(Expression, arguments: [Expression], keywords: [(name: String, value: Expression)])
    case binary(BinaryOperator, Expression, Expression)
    case negate(Expression)
    case `subscript`(Expression, Expression)
    case slice([Expression])
    case tuple([Expression])
    case list([Expression])

    enum BinaryOperator: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", trueDivide = "/", floorDivide = "//"
        case modulo = "%", power = "**", matrixMultiply = "@", leftShift = "<<", rightShift = ">>"
        case and = "&", or = "|", xor = "^"
    }

    /// `tf.keras.backend.expand_dims` as ["tf", "keras", "backend", "expand_dims"]; nil unless
    /// the expression is a global followed by attribute loads.
    var dottedName: [String]? {
        // A loop, not recursion: hostile bytecode can chain thousands of attribute loads.
        var path: [String] = []
        var node = self
        while case .attribute(let base, let name) = node {
            path.append(name)
            node = base
        }
        guard case .global(let root) = node else { return nil }
        return [root] + path.reversed()
    }

    /// Python-like source for messages, shortened so that hostile input cannot make it huge.
    var source: String {
        var budget = 12  // nodes to print before eliding
        return render(depth: 0, budget: &budget)
    }

    private func render(depth: Int, budget: inout Int) -> String {
        budget -= 1
        guard depth < 6, budget >= 0 else { return "…" }
        func list(_ items: [Expression], _ budget: inout Int) -> String {
            var parts: [String] = []
            for item in items.prefix(6) { parts.append(item.render(depth: depth + 1, budget: &budget)) }
            if items.count > 6 { parts.append("…") }
            return parts.joined(separator: ", ")
        }
        switch self {
        case .argument(let name), .local(let name), .free(let name), .global(let name): return name
        case .attribute(let base, let name): return base.render(depth: depth + 1, budget: &budget) + "." + name
        case .constant(let value): return value.source(depth: depth)
        case .null: return "NULL"
        case .call(let callee, let arguments, let keywords):
            var parts = list(arguments, &budget)
            for keyword in keywords.prefix(4) {
                if !parts.isEmpty { parts += ", " }
                parts += keyword.name + "=" + keyword.value.render(depth: depth + 1, budget: &budget)
            }
            return callee.render(depth: depth + 1, budget: &budget) + "(" + parts + ")"
        case .binary(let op, let lhs, let rhs):
            return lhs.render(depth: depth + 1, budget: &budget) + " \(op.rawValue) " + rhs.render(depth: depth + 1, budget: &budget)
        case .negate(let operand): return "-" + operand.render(depth: depth + 1, budget: &budget)
        case .subscript(let base, .tuple(let items)):
            return base.render(depth: depth + 1, budget: &budget) + "[" + list(items, &budget) + "]"
        case .subscript(let base, let index):
            return base.render(depth: depth + 1, budget: &budget) + "[" + index.render(depth: depth + 1, budget: &budget) + "]"
        case .slice(let parts):
            var rendered: [String] = []
            for part in parts {
                if case .constant(.none) = part { rendered.append("") } else { rendered.append(part.render(depth: depth + 1, budget: &budget)) }
            }
            return rendered.joined(separator: ":")
        case .tuple(let items): return "(" + list(items, &budget) + (items.count == 1 ? ",)" : ")")
        case .list(let items): return "[" + list(items, &budget) + "]"
        }
    }
}

extension MarshalValue {
    /// The number a constant stands for, if it is an int or float (bool is not a number here).
    var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .bigInt(let value), .float(let value): value
        default: nil
        }
    }

    /// Python-like repr for messages.
    func source(depth: Int = 0) -> String {
        switch self {
        case .none: return "None"
        case .ellipsis: return "..."
        case .stopIteration: return "StopIteration"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .bigInt(let value): return value.description
        case .float(let value): return value.description
        case .complex(let real, let imaginary): return "(\(real)+\(imaginary)j)"
        case .string(let value):
            let short = value.count > 40 ? String(value.prefix(40)) + "…" : value
            return "'" + short + "'"
        case .bytes(let value): return "b'…' (\(value.count) bytes)"
        case .tuple(let items):
            guard depth < 4 else { return "(…)" }
            let parts = items.prefix(6).map { $0.source(depth: depth + 1) } + (items.count > 6 ? ["…"] : [])
            return "(" + parts.joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case .collection(let kind, _): return "a \(kind)"
        case .code: return "a code object"
        }
    }
}
