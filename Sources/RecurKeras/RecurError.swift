/// An error a user sees: one sentence that names the file, layer or line, and the exit status
/// it maps to (the BSD sysexits values the command-line contract documents).
public struct RecurError: Error, CustomStringConvertible, Sendable {
    public enum Category: Sendable {
        /// A wrong command line (64).
        case usage
        /// Input that is not what it should be: a foreign or corrupt file, an unsupported layer,
        /// a bad number (65).
        case data
        /// A file that is missing or cannot be read (66).
        case noInput
        /// An output that cannot be written (73).
        case cannotCreate
        /// Anything else (1).
        case failure
        /// Stopped by a signal (128 + the signal: 130 for SIGINT, 143 for SIGTERM).
        case interrupted(Int32)
    }

    public let category: Category
    public let message: String

    public init(_ category: Category, _ message: String) {
        self.category = category
        self.message = message
    }

    public var description: String { message }

    public var exitCode: Int32 {
        switch category {
        case .usage: return 64
        case .data: return 65
        case .noInput: return 66
        case .cannotCreate: return 73
        case .failure: return 1
        case .interrupted(let signal): return 128 + signal
        }
    }

    /// The error a process reported with exit status `code` and `message`: of the category
    /// whose ``exitCode`` that is (a status of 128 + n: stopped by signal n), else `.failure`.
    public init(exitCode code: Int32, _ message: String) {
        let categories: [Category] = [.usage, .data, .noInput, .cannotCreate, .failure]
        let category = categories.first { RecurError($0, message).exitCode == code }
        self.init(category ?? (code > 128 ? .interrupted(code - 128) : .failure), message)
    }

    public static func usage(_ message: String) -> RecurError { RecurError(.usage, message) }
    public static func data(_ message: String) -> RecurError { RecurError(.data, message) }
    public static func noInput(_ message: String) -> RecurError { RecurError(.noInput, message) }
}
