import CIOSupport
import Glibc
import RecurKeras

/// Reads text line by line from a file or standard input, holding at most one line: the
/// reader behind every CSV and every line of samples recur reads (`--series`, `--warmup`,
/// `predict --input`).
///
/// Lines end at a newline; a carriage return before it (a file saved on Windows) and a UTF-8
/// byte-order mark at the start of the text are not part of any line, so such a file reads as
/// the same lines. A line longer than `lineLimit` bytes is refused with its number, so that an
/// endless line (`/dev/zero`) ends in a sentence, not in all of memory; the buffer it grows to
/// counts against the ``MemoryBudget``. A named file that is not a regular file (a FIFO, a
/// device) is waited on for at most ``idleSeconds`` at a time: a FIFO that nobody writes to is
/// refused, not waited on forever.
struct LineReader: ~Copyable {
    /// How the file is named in messages ("standard input" for `-`).
    let name: String
    let lineLimit: Int
    /// The line last returned, from 1.
    private(set) var lineNumber = 0

    static let idleSeconds: Int32 = 10
    private static let chunk = 1 << 16

    private let fd: Int32
    private let ownsDescriptor: Bool
    private let waits: Bool
    private var buffer: [UInt8]
    private var reserved: Int
    private var start = 0
    private var end = 0
    private var finished = false

    /// Opens `path` (`-`: standard input).
    init(path: String, lineLimit: Int) throws(RecurError) {
        var descriptor: Int32 = 0
        var isRegular = true
        if path != "-" {
            // Non-blocking, so that opening a FIFO does not wait for a writer.
            descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard descriptor >= 0 else { throw .noInput("\(path): \(String(cString: strerror(errno)))") }
            var status = stat()
            fstat(descriptor, &status)
            isRegular = status.st_mode & S_IFMT == S_IFREG
            if status.st_mode & S_IFMT == S_IFDIR {
                close(descriptor)
                throw .noInput("\(path) is a folder, not a file")
            }
        }
        do throws(RecurError) { try MemoryBudget.reserve(Self.chunk, for: "reading \(path)") } catch {
            if path != "-" { close(descriptor) }
            throw error
        }
        name = path == "-" ? "standard input" : path
        self.lineLimit = lineLimit
        fd = descriptor
        ownsDescriptor = path != "-"
        waits = !isRegular && path != "-"
        reserved = Self.chunk
        buffer = [UInt8](repeating: 0, count: Self.chunk)
    }

    deinit {
        if ownsDescriptor { close(fd) }
        MemoryBudget.release(reserved)
    }

    /// The next line, without its newline and carriage return; nil at the end of the text.
    mutating func next() throws(RecurError) -> ArraySlice<UInt8>? {
        // Bytes of the unfinished line already searched for its newline.
        var searched = 0
        while true {
            if let newline = buffer[(start + searched)..<end].firstIndex(of: 0x0A) {
                return take(upTo: newline, skipping: 1)
            }
            searched = end - start
            if finished {
                return end > start ? take(upTo: end, skipping: 0) : nil
            }
            guard end - start <= lineLimit else {
                throw .data("\(name) line \(lineNumber + 1) is longer than \(lineLimit) bytes")
            }
            try fill()
        }
    }

    private mutating func take(upTo lineEnd: Int, skipping separator: Int) -> ArraySlice<UInt8> {
        lineNumber += 1
        var first = start
        var last = lineEnd
        if lineNumber == 1, buffer[first..<last].starts(with: [0xEF, 0xBB, 0xBF]) { first += 3 }
        if last > first, buffer[last - 1] == 0x0D { last -= 1 }
        start = lineEnd + separator
        return buffer[first..<last]
    }

    /// Reads more after the unfinished line, which moves to the front of the buffer first.
    private mutating func fill() throws(RecurError) {
        if start > 0 {
            buffer.withUnsafeMutableBufferPointer { bytes in
                _ = memmove(bytes.baseAddress!, bytes.baseAddress! + start, end - start)
            }
            end -= start
            start = 0
        }
        if buffer.count - end < Self.chunk {
            let grown = min(2 * buffer.count, lineLimit + 2 * Self.chunk)
            try MemoryBudget.reserve(grown - buffer.count, for: "a line of \(name)")
            reserved += grown - buffer.count
            buffer += [UInt8](repeating: 0, count: grown - buffer.count)
        }
        while true {
            if waits {
                var readable = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&readable, 1, Self.idleSeconds * 1000)
                if ready == 0 {
                    throw .noInput("\(name): nothing arrived for \(Self.idleSeconds) s (a FIFO that nobody writes to?)")
                }
                if ready < 0 && errno == EINTR { continue }
            }
            let count = buffer.withUnsafeMutableBufferPointer { bytes in
                recur_read_some(fd, UnsafeMutableRawPointer(bytes.baseAddress! + end).assumingMemoryBound(to: CChar.self), bytes.count - end, nil)
            }
            if count > 0 {
                end += count
                return
            }
            if count == 0 {
                finished = true
                return
            }
            if Int32(-count) == EAGAIN { continue }
            throw .noInput("\(name) cannot be read: \(String(cString: strerror(Int32(-count))))")
        }
    }
}
