import RecurKeras

/// A univariate series read from a CSV file: one column of numbers, with or without a header.
struct Series {
    let path: String
    /// The column's name (from the header) or its number.
    let column: String
    let values: [Double]

    /// Reads column `column` (a header name or a 1-based number; by default the last column)
    /// of the CSV file at `path`. Blank lines are skipped; any other line whose field is not a
    /// finite number is an error that names the line.
    init(path: String, column: String?) throws(RecurError) {
        let bytes = try FileBytes.read(path)
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { ($0.offset + 1, $0.element) }
        lines = lines.filter { !$0.1.allSatisfy { $0 == " " || $0 == "\r" || $0 == "\t" } }
        guard let first = lines.first else { throw .data("\(path) holds no values") }

        let firstFields = Self.fields(first.1)
        let isNumber = { (field: Substring) in if case .success = NumberText.parseDouble(field) { true } else { false } }
        let names = firstFields.map { $0.trimmingSpaces }
        let index: Int
        switch column {
        case nil:
            index = firstFields.count - 1
        case let name?:
            if let position = names.firstIndex(of: name), !isNumber(firstFields[position]) {
                index = position
            } else if let number = Int(name), number >= 1, number <= firstFields.count {
                index = number - 1
            } else {
                let known = firstFields.allSatisfy(isNumber) ? " (it has no header; give a column number)" : ": it has " + names.map { "'\($0)'" }.joined(separator: ", ")
                throw .usage("\(path) has no column '\(name)'\(known)")
            }
        }
        // The first line is a header when the column's first field is not a number; other
        // fields of a data line, such as timestamps, may well be text.
        let headerless = isNumber(firstFields[index])
        let header = headerless ? nil : names
        self.path = path
        self.column = header?[index] ?? String(index + 1)

        var values: [Double] = []
        values.reserveCapacity(lines.count)
        for (number, line) in lines.dropFirst(headerless ? 0 : 1) {
            let fields = Self.fields(line)
            guard index < fields.count else {
                throw .data("\(path) line \(number): has \(fields.count) fields, and column \(self.column) is field \(index + 1)")
            }
            switch NumberText.parseDouble(fields[index]) {
            case .success(let value): values.append(value)
            case .failure(let failure):
                throw .data("\(path) line \(number): '\(fields[index].trimmingSpaces)' \(failure.reason)")
            }
        }
        guard !values.isEmpty else { throw .data("\(path) holds no values") }
        self.values = values
    }

    static func fields(_ line: Substring) -> [Substring] {
        line.split(separator: ",", omittingEmptySubsequences: false)
    }
}

extension Substring {
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\"" }
        return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
