import Glibc

/// Writes a file so that the path holds either the old file or the whole new one, never a
/// part: the bytes go to a temporary file in the same folder, which is flushed to disk and then
/// renamed over the path.
public enum AtomicFile {
    /// Writes `bytes` to `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws(RecurError) {
        try write(to: path) { (temporary: String) throws(RecurError) in
            guard let file = fopen(temporary, "wb") else {
                throw RecurError(.cannotCreate, "\(path) cannot be written: \(String(cString: strerror(errno)))")
            }
            let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
            let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
            let closed = fclose(file) == 0
            guard written == bytes.count, flushed, closed else {
                throw RecurError(.cannotCreate, "\(path) could not be written in full: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Writes `text` to `path`.
    public static func write(_ text: String, to path: String) throws(RecurError) {
        try write(Array(text.utf8), to: path)
    }

    /// Lets `produce` write a temporary file beside `path`, then renames it over `path`. The
    /// temporary file is removed if `produce` throws.
    public static func write(to path: String, _ produce: (String) throws(RecurError) -> Void) throws(RecurError) {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let templateText = (folder.isEmpty ? "/" : folder + "/") + ".recur-XXXXXX"
        var template = Array(templateText.utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw RecurError(.cannotCreate, "\(path) cannot be written: \(String(cString: strerror(errno))) in \(folder)")
        }
        close(fd)
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do throws(RecurError) {
            try produce(temporary)
            // Keep the permissions a new file would get.
            let mask = umask(0)
            umask(mask)
            chmod(temporary, 0o666 & ~mask)
            guard rename(temporary, path) == 0 else {
                throw RecurError(.cannotCreate, "\(path) cannot be written: \(String(cString: strerror(errno)))")
            }
            // The rename itself is durable once the folder is flushed.
            let directory = open(folder.isEmpty ? "/" : folder, O_RDONLY)
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
