import Synchronization

/// The memory a command may allocate for what its user and its files ask for (`--max-memory`),
/// counted before each large allocation: series, archive members, configurations, weights and
/// their initialisation, arenas, stream buffers. A request that would take the total held over
/// the limit is refused with one sentence before anything is allocated.
///
/// The command line turns it on (``limit``); left off, as in a program that links recur's
/// libraries, nothing is counted and only each network's own limit (``KerasModel/memoryLimit``)
/// applies.
public enum MemoryBudget {
    private static let state = Mutex<(limit: Int?, held: Int)>((nil, 0))

    /// The most that may be held at once; nil counts nothing.
    public static var limit: Int? {
        get { state.withLock { $0.limit } }
        set { state.withLock { $0.limit = newValue } }
    }

    /// What is held now.
    public static var held: Int { state.withLock { $0.held } }

    /// `count` values of `size` bytes each, or `Int.max` when that overflows (which no limit
    /// allows).
    public static func bytes(_ count: Int, of size: Int) -> Int {
        let product = max(count, 0).multipliedReportingOverflow(by: size)
        return product.overflow ? Int.max : product.partialValue
    }

    /// Counts `bytes` as held from now on, or refuses them: `what` says what they are for.
    public static func reserve(_ bytes: Int, for what: @autoclosure () -> String) throws(RecurError) {
        let refused: (limit: Int, held: Int)? = state.withLock { state in
            guard let limit = state.limit else { return nil }
            let total = state.held.addingReportingOverflow(bytes)
            guard total.overflow || total.partialValue > limit else {
                state.held = total.partialValue
                return nil
            }
            return (limit, state.held)
        }
        guard let refused else { return }
        let purpose = what()
        let alongside = refused.held >= 1 << 20 ? " beside the \(megabytes(refused.held)) already in use" : ""
        let size = bytes == Int.max ? "more bytes than a machine has" : "\(bytes) bytes (\(megabytes(bytes)))"
        throw .data("\(purpose) would take \(size)\(alongside), more than the limit of \(megabytes(refused.limit)); raise --max-memory")
    }

    /// Gives back bytes counted by ``reserve(_:for:)``.
    public static func release(_ bytes: Int) {
        state.withLock { state in
            if state.limit != nil { state.held = max(0, state.held - bytes) }
        }
    }

    /// Holds `bytes` while `body` runs.
    public static func holding<R>(_ bytes: Int, for what: @autoclosure () -> String, _ body: () throws(RecurError) -> R) throws(RecurError) -> R {
        try reserve(bytes, for: what())
        defer { release(bytes) }
        return try body()
    }
}
