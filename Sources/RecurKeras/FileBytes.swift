import Glibc

/// Reading whole files, with errors that name the file.
public enum FileBytes {
    /// The contents of `path`; refuses files larger than `limit` bytes.
    public static func read(_ path: String, limit: Int = 1 << 30) throws(RecurError) -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw .noInput("\(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var status = stat()
        guard fstat(fileno(file), &status) == 0 else { throw .noInput("\(path): \(String(cString: strerror(errno)))") }
        guard (status.st_mode & S_IFMT) != S_IFDIR else { throw .noInput("\(path) is a folder, not a file") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes += chunk.prefix(count) }
            guard bytes.count <= limit else { throw .data("\(path) is larger than \(limit) bytes") }
            if count < chunk.count {
                if ferror(file) != 0 { throw .noInput("\(path) cannot be read: \(String(cString: strerror(errno)))") }
                break
            }
        }
        return bytes
    }
}
