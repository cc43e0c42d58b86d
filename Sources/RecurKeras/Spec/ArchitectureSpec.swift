import RecurKernel

/// A model written as a Keras-like layer list, as a course student would write it:
///
///     SimpleRNN(40, return_sequences=True), SimpleRNN(40), Dense(1), Scale(100)
///     Bidirectional(LSTM(32, return_sequences=True)), Bidirectional(LSTM(32)), Dense(1), Scale(100)
///
/// Layers: `SimpleRNN`, `LSTM`, `GRU` (units; `activation`, `recurrent_activation`, `use_bias`,
/// `return_sequences`, `go_backwards`, `reset_after`), `Bidirectional(layer, merge_mode=…)`,
/// `Dense(units, activation=…, use_bias=…)`, `Scale(c)` (x·c, the course's `Lambda(x * 100)`),
/// `Rescaling(scale, offset=…)`, `Activation(name)`; `Conv1D(filters, kernel_size, strides=…,
/// padding='causal'|'valid'|'same', dilation_rate=…, activation=…, use_bias=…)`,
/// `MaxPooling1D(pool_size, strides=…, padding=…)`, `AveragePooling1D(…)`,
/// `GlobalAveragePooling1D()`, `GlobalMaxPooling1D()`, `Flatten()`, `Dropout(rate)`,
/// `SpatialDropout1D(rate)`; recurrent layers also take `dropout=` and `recurrent_dropout=`.
/// A univariate window gets its feature axis first, as the course's `Lambda(expand_dims)`
/// gives it.
public struct ArchitectureSpec: Sendable {
    public let layers: [ModelLayer]

    /// Parses `text`; errors name the layer and what is wrong, with the column where reading stopped.
    public init(_ text: String) throws(RecurError) {
        var parser = SpecParser(text: Array(text.utf8))
        let calls = try parser.parseList()
        var names = LayerNames()
        var layers: [ModelLayer] = [ModelLayer(name: names.next("expand_dims"), className: "ExpandDims", kernel: .expandDims(), config: .null)]
        for call in calls {
            layers.append(try Self.layer(call, names: &names))
        }
        guard layers.count > 1 else { throw .usage("--arch lists no layers") }
        self.layers = layers
    }

    static func layer(_ call: SpecCall, names: inout LayerNames) throws(RecurError) -> ModelLayer {
        var arguments = SpecArguments(call)
        let kernel: Layer
        let name: String
        switch call.name {
        case "SimpleRNN", "LSTM", "GRU":
            kernel = try recurrent(call.name, &arguments, directions: .forward)
            name = names.next(snakeCase(call.name))
        case "Bidirectional":
            guard case .call(let inner)? = arguments.positional(0), ["SimpleRNN", "LSTM", "GRU"].contains(inner.name) else {
                throw .usage("--arch: Bidirectional takes a SimpleRNN, LSTM or GRU, e.g. Bidirectional(LSTM(32))")
            }
            var innerArguments = SpecArguments(inner)
            var layer = try recurrent(inner.name, &innerArguments, directions: .bidirectional)
            try innerArguments.finish()
            switch try arguments.string("merge_mode", default: "concat") {
            case "concat": layer.merge = .concat
            case "sum": layer.merge = .sum
            case "ave": layer.merge = .average
            case "mul": layer.merge = .multiply
            case let other: throw .usage("--arch: Bidirectional merge_mode '\(other)' is not concat, sum, ave or mul")
            }
            kernel = layer
            name = names.next("bidirectional")
        case "Dense":
            kernel = .dense(
                units: try arguments.units(), activation: try arguments.activation("activation", default: "linear"),
                useBias: try arguments.flag("use_bias", default: true))
            name = names.next("dense")
        case "Scale":
            kernel = .elementwise(.multiply, Float(try arguments.number(0, "scale")))
            name = names.next("scale")
        case "Rescaling":
            kernel = .elementwise(.scaleAndOffset, Float(try arguments.number(0, "scale")), offset: Float(try arguments.number(1, "offset", default: 0)))
            name = names.next("rescaling")
        case "Activation":
            kernel = .activation(try arguments.activation(0, "activation"))
            name = names.next("activation")
        case "Conv1D":
            let filters = try arguments.units()
            let size = try arguments.wholeNumber(1, "kernel_size")
            let window = Window(
                size: size, stride: try arguments.wholeNumber(nil, "strides", default: 1),
                dilation: try arguments.wholeNumber(nil, "dilation_rate", default: 1),
                padding: try arguments.padding(allowCausal: true))
            kernel = .conv1D(filters: filters, window: window, activation: try arguments.activation("activation", default: "linear"),
                             useBias: try arguments.flag("use_bias", default: true))
            name = names.next("conv1d")
        case "MaxPooling1D", "AveragePooling1D":
            let size = try arguments.wholeNumber(0, "pool_size", default: 2)
            let window = Window(size: size, stride: try arguments.wholeNumber(nil, "strides", default: size), padding: try arguments.padding(allowCausal: false))
            kernel = .pool1D(window, average: call.name == "AveragePooling1D")
            name = names.next(call.name == "AveragePooling1D" ? "average_pooling1d" : "max_pooling1d")
        case "GlobalAveragePooling1D", "GlobalMaxPooling1D":
            let average = call.name == "GlobalAveragePooling1D"
            kernel = .globalPool1D(average: average)
            name = names.next(average ? "global_average_pooling1d" : "global_max_pooling1d")
        case "Flatten":
            kernel = Layer(kind: .flatten)
            name = names.next("flatten")
        case "Dropout", "SpatialDropout1D":
            let rate = try arguments.number(0, "rate")
            guard rate >= 0, rate < 1 else { throw .usage("--arch: \(call.name) needs a rate in [0, 1)") }
            kernel = .dropout(rate: Float(rate), spatial: call.name == "SpatialDropout1D")
            name = names.next(call.name == "Dropout" ? "dropout" : "spatial_dropout1d")
        default:
            throw .usage("--arch: '\(call.name)' is not a layer recur builds (SimpleRNN, LSTM, GRU, Bidirectional, Dense, Scale, Rescaling, Activation, Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, Flatten, Dropout, SpatialDropout1D)")
        }
        try arguments.finish()
        return ModelLayer(name: name, className: call.name, kernel: kernel, config: .null)
    }

    static func recurrent(_ className: String, _ arguments: inout SpecArguments, directions: Directions) throws(RecurError) -> Layer {
        let cell: Cell
        switch className {
        case "SimpleRNN": cell = .simple
        case "LSTM": cell = .lstm
        default: cell = try arguments.flag("reset_after", default: true) ? .gruResetAfter : .gruResetBefore
        }
        let units = try arguments.units()
        let activation = try arguments.activation("activation", default: "tanh")
        let recurrentActivation = cell == .simple ? .sigmoid : try arguments.activation("recurrent_activation", default: "sigmoid")
        let goBackwards = try arguments.flag("go_backwards", default: false)
        if goBackwards && directions == .bidirectional {
            throw .usage("--arch: go_backwards inside Bidirectional is not supported")
        }
        var layer = Layer.recurrent(
            cell, units: units, activation: activation, recurrentActivation: recurrentActivation,
            useBias: try arguments.flag("use_bias", default: true),
            returnSequences: try arguments.flag("return_sequences", default: false),
            directions: goBackwards ? .backward : directions)
        let inputDropout = try arguments.number(nil, "dropout", default: 0)
        let recurrentDropout = try arguments.number(nil, "recurrent_dropout", default: 0)
        guard (0..<1).contains(inputDropout), (0..<1).contains(recurrentDropout) else {
            throw .usage("--arch: \(className) needs dropout rates in [0, 1)")
        }
        layer.inputDropout = Float(inputDropout)
        layer.recurrentDropout = Float(recurrentDropout)
        return layer
    }

    static func snakeCase(_ name: String) -> String {
        switch name {
        case "SimpleRNN": return "simple_rnn"
        default: return name.lowercased()
        }
    }
}

/// Keras's default layer names: `dense`, `dense_1`, `dense_2`, ….
struct LayerNames {
    var used: [String: Int] = [:]
    mutating func next(_ base: String) -> String {
        let count = used[base, default: 0]
        used[base] = count + 1
        return count == 0 ? base : "\(base)_\(count)"
    }
}

/// A parsed `Name(arguments…)`.
struct SpecCall: Sendable {
    let name: String
    let positional: [SpecValue]
    let keywords: [(String, SpecValue)]
}

indirect enum SpecValue: Sendable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case call(SpecCall)

    var described: String {
        switch self {
        case .number(let n): return "\(n)"
        case .string(let s): return "'\(s)'"
        case .bool(let b): return b ? "True" : "False"
        case .call(let c): return c.name + "(…)"
        }
    }
}

/// Reads one layer's arguments, refusing any that are not used.
struct SpecArguments {
    let call: SpecCall
    var usedKeywords: Set<String> = []
    var usedPositions: Set<Int> = []

    init(_ call: SpecCall) { self.call = call }

    mutating func positional(_ index: Int) -> SpecValue? {
        usedPositions.insert(index)
        return index < call.positional.count ? call.positional[index] : nil
    }

    mutating func keyword(_ key: String) -> SpecValue? {
        usedKeywords.insert(key)
        return call.keywords.first { $0.0 == key }?.1
    }

    /// A value given by position `index` or by `key`.
    mutating func value(_ index: Int?, _ key: String) throws(RecurError) -> SpecValue? {
        let byPosition = index.flatMap { positional($0) }
        let byKeyword = keyword(key)
        if byPosition != nil && byKeyword != nil {
            throw .usage("--arch: \(call.name) gets '\(key)' twice")
        }
        return byPosition ?? byKeyword
    }

    mutating func units() throws(RecurError) -> Int {
        guard case .number(let n)? = try value(0, "units"), n == n.rounded(), n >= 1, n <= 65536 else {
            throw .usage("--arch: \(call.name) needs a whole number of units from 1 to 65536, e.g. \(call.name)(32)")
        }
        return Int(n)
    }

    mutating func number(_ index: Int?, _ key: String, default fallback: Double? = nil) throws(RecurError) -> Double {
        switch try value(index, key) {
        // The kernel computes in float32: a number it cannot hold is no number here.
        case .number(let n)? where Float(n).isFinite: return n
        case nil where fallback != nil: return fallback!
        case let other: throw .usage("--arch: \(call.name) needs a number for '\(key)', not \(other?.described ?? "nothing")")
        }
    }

    mutating func wholeNumber(_ index: Int?, _ key: String, default fallback: Int? = nil) throws(RecurError) -> Int {
        let value = try number(index, key, default: fallback.map(Double.init))
        guard value == value.rounded(), value >= 1, value <= 65536 else {
            throw .usage("--arch: \(call.name) needs a whole number from 1 to 65536 for '\(key)'")
        }
        return Int(value)
    }

    mutating func padding(allowCausal: Bool) throws(RecurError) -> Padding {
        switch try string("padding", default: "valid") {
        case "valid": return .valid
        case "same": return .same
        case "causal" where allowCausal: return .causal
        case let other: throw .usage("--arch: \(call.name) has no padding '\(other)'")
        }
    }

    mutating func flag(_ key: String, default fallback: Bool) throws(RecurError) -> Bool {
        switch keyword(key) {
        case .bool(let b)?: return b
        case nil: return fallback
        case let other?: throw .usage("--arch: \(call.name) needs True or False for '\(key)', not \(other.described)")
        }
    }

    mutating func string(_ key: String, default fallback: String) throws(RecurError) -> String {
        switch keyword(key) {
        case .string(let s)?: return s
        case nil: return fallback
        case let other?: throw .usage("--arch: \(call.name) needs a quoted name for '\(key)', not \(other.described)")
        }
    }

    mutating func activation(_ key: String, default fallback: String) throws(RecurError) -> Activation {
        try activationNamed(try string(key, default: fallback))
    }

    mutating func activation(_ index: Int, _ key: String) throws(RecurError) -> Activation {
        guard case .string(let name)? = try value(index, key) else {
            throw .usage("--arch: \(call.name) needs an activation name, e.g. \(call.name)('tanh')")
        }
        return try activationNamed(name)
    }

    func activationNamed(_ name: String) throws(RecurError) -> Activation {
        guard let activation = Activation(kerasName: name, kerasMajor: 3) else {
            throw .usage("--arch: \(call.name) uses activation '\(name)', which recur does not implement")
        }
        return activation
    }

    func finish() throws(RecurError) {
        if let extra = call.positional.indices.first(where: { !usedPositions.contains($0) }) {
            throw .usage("--arch: \(call.name) does not take a value \(call.positional[extra].described) at position \(extra + 1)")
        }
        if let extra = call.keywords.first(where: { !usedKeywords.contains($0.0) }) {
            throw .usage("--arch: \(call.name) has no option '\(extra.0)'")
        }
    }
}

/// A small recursive-descent reader of `Name(value, key=value, …), …`, bounded in depth so
/// that no input can exhaust the stack.
struct SpecParser {
    let text: [UInt8]
    var position = 0
    static let maxDepth = 8

    func error(_ what: String) -> RecurError {
        .usage("--arch: \(what) at column \(position + 1)")
    }

    mutating func skipSpace() {
        while position < text.count, text[position] == 0x20 || text[position] == 0x09 || text[position] == 0x0A { position += 1 }
    }

    mutating func parseList() throws(RecurError) -> [SpecCall] {
        var calls: [SpecCall] = []
        skipSpace()
        while position < text.count {
            calls.append(try parseCall(depth: 0))
            skipSpace()
            if position < text.count {
                guard text[position] == UInt8(ascii: ",") else { throw error("expected ',' between layers") }
                position += 1
                skipSpace()
            }
        }
        return calls
    }

    mutating func identifier() -> String? {
        let start = position
        while position < text.count {
            let c = text[position]
            let isLetter = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
            let isDigit = c >= 0x30 && c <= 0x39
            guard isLetter || (isDigit && position > start) else { break }
            position += 1
        }
        return position > start ? String(decoding: text[start..<position], as: UTF8.self) : nil
    }

    mutating func parseCall(depth: Int) throws(RecurError) -> SpecCall {
        guard depth < Self.maxDepth else { throw error("layers nested too deeply") }
        skipSpace()
        guard let name = identifier() else { throw error("expected a layer name") }
        skipSpace()
        guard position < text.count, text[position] == UInt8(ascii: "(") else { throw error("expected '(' after \(name)") }
        position += 1
        var positional: [SpecValue] = []
        var keywords: [(String, SpecValue)] = []
        skipSpace()
        while position < text.count, text[position] != UInt8(ascii: ")") {
            let save = position
            if let key = identifier() {
                skipSpace()
                if position < text.count, text[position] == UInt8(ascii: "=") {
                    position += 1
                    keywords.append((key, try parseValue(depth: depth)))
                } else {
                    position = save
                    positional.append(try parseValue(depth: depth))
                }
            } else {
                guard keywords.isEmpty else { throw error("a positional value after a keyword") }
                positional.append(try parseValue(depth: depth))
            }
            skipSpace()
            if position < text.count, text[position] == UInt8(ascii: ",") {
                position += 1
                skipSpace()
            } else if position < text.count, text[position] != UInt8(ascii: ")") {
                throw error("expected ',' or ')'")
            }
        }
        guard position < text.count else { throw error("missing ')' after \(name)(") }
        position += 1
        return SpecCall(name: name, positional: positional, keywords: keywords)
    }

    mutating func parseValue(depth: Int) throws(RecurError) -> SpecValue {
        skipSpace()
        guard position < text.count else { throw error("expected a value") }
        let c = text[position]
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
            position += 1
            let start = position
            while position < text.count, text[position] != c { position += 1 }
            guard position < text.count else { throw error("unterminated string") }
            let value = String(decoding: text[start..<position], as: UTF8.self)
            position += 1
            return .string(value)
        }
        if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") {
            let start = position
            position += 1
            while position < text.count {
                let d = text[position]
                let numeric = (d >= 0x30 && d <= 0x39) || d == UInt8(ascii: ".") || d == UInt8(ascii: "e") || d == UInt8(ascii: "E")
                    || ((d == UInt8(ascii: "-") || d == UInt8(ascii: "+")) && (text[position - 1] == UInt8(ascii: "e") || text[position - 1] == UInt8(ascii: "E")))
                guard numeric else { break }
                position += 1
            }
            let literal = String(decoding: text[start..<position], as: UTF8.self)
            guard let value = Double(literal), value.isFinite else { throw error("'\(literal)' is not a number") }
            return .number(value)
        }
        let save = position
        if let word = identifier() {
            if word == "True" || word == "true" { return .bool(true) }
            if word == "False" || word == "false" { return .bool(false) }
            position = save
            return .call(try parseCall(depth: depth + 1))
        }
        throw error("unexpected character")
    }
}
