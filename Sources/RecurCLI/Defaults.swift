import Glibc

/// The shipped model and series that `recur forecast` uses when it is given none.
enum Defaults {
    static let model = "models/e3_bilstm2.h5"
    static let series = "models/course_series.csv"
    /// The course's window and split (`window_size = 20`, `split_time = 1000`).
    static let window = 20
    static let split = 1000

    /// `relative` in the current folder, or else beside the project that holds the running
    /// binary (`.build/release/recur` → the project's root), so that the defaults work from
    /// anywhere inside a checkout.
    static func locate(_ relative: String) -> String {
        if access(relative, F_OK) == 0 { return relative }
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return relative }
        var folder = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while let slash = folder.lastIndex(of: "/"), !folder.isEmpty {
            folder = String(folder[..<slash])
            let candidate = folder + "/" + relative
            if access(candidate, F_OK) == 0 { return candidate }
        }
        return relative
    }
}
