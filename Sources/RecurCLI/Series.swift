import CIOSupport
import RecurKeras

/// A univariate series read from a CSV file: one column of numbers, with or without a header.
struct Series {
    let path: String
    /// The column's name (from the header) or its number.
    let column: String
    let values: [Double]

    /// The longest line a series file may have (a row of a few hundred columns is far shorter).
    static let lineLimit = 1 << 20
    /// Values counted against the ``MemoryBudget`` at a time, as the series grows.
    static let reservationStep = 1 << 16

    /// Reads column `column` (a header name or a 1-based number; by default the last column)
    /// of the CSV file at `path` line by line (``LineReader``: a file saved with CRLF or a
    /// byte-order mark reads as the plain one). Blank lines are skipped; any other line whose
    /// field is not a number that a float32 can hold (the models compute in float32) is an error
    /// that names the line. The values count against the ``MemoryBudget`` as they are read.
    init(path: String, column: String?) throws(RecurError) {
        var reader = try LineReader(path: path, lineLimit: Self.lineLimit)
        var layout: Layout?
        var values: [Double] = []
        var reserved = 0
        do throws(RecurError) {
            while let line = try reader.next() {
                if line.allSatisfy(Self.isSpace) { continue }
                let fields = line.split(separator: 0x2C, omittingEmptySubsequences: false)
                if layout == nil {
                    layout = try Layout(firstLine: fields, column: column, path: path)
                    if layout!.hasHeader { continue }
                }
                let index = layout!.index
                guard index < fields.count else {
                    throw .data("\(path) line \(reader.lineNumber): has \(fields.count) fields, and column \(layout!.name) is field \(index + 1)")
                }
                if values.count == reserved {
                    try MemoryBudget.reserve(MemoryBudget.bytes(Self.reservationStep, of: 2 * MemoryLayout<Double>.size), for: "the series in \(path)")
                    reserved += Self.reservationStep
                }
                switch Self.number(fields[index]) {
                case .success(let value): values.append(value)
                case .failure(let failure):
                    throw .data("\(path) line \(reader.lineNumber): '\(Series.quoted(Self.text(fields[index])))' \(failure.reason)")
                }
            }
        } catch {
            MemoryBudget.release(MemoryBudget.bytes(reserved, of: 2 * MemoryLayout<Double>.size))
            throw error
        }
        guard let layout, !values.isEmpty else { throw .data("\(path) holds no values") }
        self.path = path
        self.column = layout.name
        self.values = values
    }

    /// Which field of each line holds the series, decided by the first line that is not blank.
    struct Layout {
        let index: Int
        /// The column's header name, or its number.
        let name: String
        let hasHeader: Bool

        init(firstLine fields: [ArraySlice<UInt8>], column: String?, path: String) throws(RecurError) {
            let names = fields.map(Series.text)
            let isNumber = { (field: ArraySlice<UInt8>) in if case .success = Series.number(field) { true } else { false } }
            switch column {
            case nil:
                index = fields.count - 1
            case let name?:
                if let position = names.firstIndex(of: name), !isNumber(fields[position]) {
                    index = position
                } else if let number = Int(name), number >= 1, number <= fields.count {
                    index = number - 1
                } else if fields.allSatisfy(isNumber) {
                    throw .usage("\(path) has no column '\(Series.quoted(name))' (it has no header; give a column number)")
                } else {
                    let shown = names.prefix(12).map { "'\(Series.quoted($0))'" }.joined(separator: ", ")
                    let more = names.count > 12 ? ", … (\(names.count) columns)" : ""
                    throw .usage("\(path) has no column '\(Series.quoted(name))': it has \(shown)\(more)")
                }
            }
            // The first line is a header when the column's first field is not a number; other
            // fields of a data line, such as timestamps, may well be text.
            hasHeader = !isNumber(fields[index])
            name = hasHeader ? names[index] : String(index + 1)
        }
    }

    /// A field as a float64 that rounds to a finite float32, or why not.
    static func number(_ field: ArraySlice<UInt8>) -> Result<Double, ParseFailure> {
        var value: Double = 0
        let status = field.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { recur_parse_double($0.baseAddress, $0.count, &value) }
        }
        guard Int(status) == RECUR_PARSE_OK else { return .failure(ParseFailure(status: status)) }
        return Float(value).isFinite ? .success(value) : .failure(ParseFailure(status: Int32(RECUR_PARSE_NOT_FINITE)))
    }

    /// A field as text, without the spaces and quotes around it.
    static func text(_ field: ArraySlice<UInt8>) -> String {
        let isPadding = { (byte: UInt8) in isSpace(byte) || byte == 0x22 }
        guard let first = field.firstIndex(where: { !isPadding($0) }), let last = field.lastIndex(where: { !isPadding($0) }) else { return "" }
        return String(decoding: field[first...last], as: UTF8.self)
    }

    /// A value from a file as a message quotes it: short, and safe for a terminal.
    static func quoted(_ text: String) -> String { ConsoleText.line(text, limit: 60) }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
}
