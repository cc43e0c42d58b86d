import CIOSupport
import Glibc

/// Writes an output so that the path holds either the old file or the whole new one, never a
/// part: the bytes go to a temporary file in the same folder (`.NAME.recur-XXXXXX`), which is
/// flushed to disk and then renamed over the path.
///
/// Only a regular file is ever replaced. A path that names a symbolic link is followed to the
/// file it names, which is replaced (the link stays a link); a character device or a FIFO
/// (`/dev/null`, `/dev/stdout`, a pipe someone reads) is opened and written through; anything
/// else (a folder, a socket, a block device) is refused. Stop signals wait until the save is
/// done (``recur_save_begin()``); a temporary file is removed on every failure, and one left by
/// a process that was killed is removed by the next write of the same output.
public enum AtomicFile {
    /// Writes `bytes` to `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws(RecurError) {
        recur_save_begin()
        defer { recur_save_end() }
        switch try destination(of: path) {
        case .device(let device): try writeThrough(bytes, to: device, named: path)
        case .file(let file): try replace(file, with: bytes, named: path)
        }
    }

    /// Writes `text` to `path`.
    public static func write(_ text: String, to path: String) throws(RecurError) {
        try write(Array(text.utf8), to: path)
    }

    enum Destination: Equatable {
        /// A regular file to replace, or to create: symbolic links resolved.
        case file(String)
        /// A character device or a FIFO, written through the path as given.
        case device(String)
    }

    /// What writing `path` means for what is there now.
    static func destination(of path: String) throws(RecurError) -> Destination {
        var status = stat()
        if stat(path, &status) == 0 {
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                guard let resolved = realpath(path, nil) else { throw cannot(path, errno) }
                defer { free(resolved) }
                return .file(String(cString: resolved))
            case S_IFCHR, S_IFIFO:
                return .device(path)
            case S_IFDIR: throw RecurError(.cannotCreate, "\(path) is a folder; recur writes a regular file, a character device or a FIFO")
            case S_IFSOCK: throw RecurError(.cannotCreate, "\(path) is a socket; recur writes a regular file, a character device or a FIFO")
            default: throw RecurError(.cannotCreate, "\(path) is a block device; recur writes a regular file, a character device or a FIFO")
            }
        }
        guard errno == ENOENT else { throw cannot(path, errno) }
        // Nothing there, or a link to nothing: the file the last link names is created.
        var name = path
        for _ in 0..<40 {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(name, &buffer, buffer.count - 1)
            guard length > 0 else { return .file(name) }
            let target = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            name = target.hasPrefix("/") ? target : folder(of: name) + "/" + target
        }
        throw cannot(path, ELOOP)
    }

    /// Opens the device or FIFO and writes to it; a FIFO that nobody reads is refused, not
    /// waited on.
    static func writeThrough(_ bytes: [UInt8], to device: String, named path: String) throws(RecurError) {
        let fd = open(device, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENXIO { throw RecurError(.cannotCreate, "\(path) is a FIFO that nobody reads") }
            throw cannot(path, errno)
        }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let failure = bytes.withUnsafeBytes { recur_write_all(fd, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
        guard failure == 0 else { throw RecurError(.cannotCreate, "\(path) could not be written in full: \(String(cString: strerror(failure)))") }
    }

    /// Writes a temporary file beside `file` and renames it over `file`.
    static func replace(_ file: String, with bytes: [UInt8], named path: String) throws(RecurError) {
        let folder = folder(of: file)
        let prefix = temporaryPrefix(of: file)
        removeStaleTemporaryFiles(in: folder, prefix: prefix)
        var template = Array((folder + "/" + prefix + "XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw RecurError(.cannotCreate, "\(path) cannot be written: \(String(cString: strerror(errno))) in \(folder)")
        }
        // Held until the file is renamed or removed: another recur's clean-up passes it over.
        _ = recur_lock_file(fd, 1)
        defer { close(fd) }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do throws(RecurError) {
            let failure = bytes.withUnsafeBytes { recur_write_all(fd, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
            guard failure == 0 else {
                throw RecurError(.cannotCreate, "\(path) could not be written in full: \(String(cString: strerror(failure)))")
            }
            guard fsync(fd) == 0 else { throw cannot(path, errno) }
            // The permissions a new file would get.
            let mask = umask(0)
            umask(mask)
            fchmod(fd, 0o666 & ~mask)
            guard rename(temporary, file) == 0 else { throw cannot(path, errno) }
        } catch {
            unlink(temporary)
            throw error
        }
        // The rename itself is durable once the folder is flushed.
        let directory = open(folder, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// `.NAME.recur-`: the temporary files of `file` and of nothing else (NAME cut to 200
    /// bytes, so that the name stays within the system's 255).
    static func temporaryPrefix(of file: String) -> String {
        let name = file.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? file
        return "." + String(decoding: name.utf8.prefix(200), as: UTF8.self) + ".recur-"
    }

    /// Removes the temporary files of the same output that a killed recur left: regular files
    /// in `folder` named `prefix` and six of mkstemp's letters, owned by this user, that no
    /// process holds locked (a recur writing one holds it: ``recur_lock_file(_:_:)``).
    static func removeStaleTemporaryFiles(in folder: String, prefix: String) {
        guard let directory = opendir(folder) else { return }
        defer { closedir(directory) }
        let letters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        // A dirent is as long as its name: the name is read in place, never as the 256-byte
        // array its type declares (past the end of the last entry of readdir's buffer).
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(directory) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            guard name.hasPrefix(prefix), name.utf8.count == prefix.utf8.count + 6,
                name.utf8.suffix(6).allSatisfy(letters.contains)
            else { continue }
            let path = folder + "/" + name
            // Open for writing: an exclusive fcntl lock needs it.
            let fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var status = stat()
            guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_uid == geteuid(),
                recur_lock_file(fd, 0) == 0
            else { continue }
            unlink(path)
        }
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func cannot(_ path: String, _ code: Int32) -> RecurError {
        RecurError(.cannotCreate, "\(path) cannot be written: \(String(cString: strerror(code)))")
    }
}
