import CRecurABI
import RecurKernel
import RecurKeras

/// The status codes of recur.h: the `recur` command's exit statuses.
enum Status {
    static let ok = Int32(RECUR_OK)
    static let usage = Int32(RECUR_USAGE)
    static let data = Int32(RECUR_DATA)
}

/// Writes this thread's error sentence (what recur_last_error returns) in place and returns
/// `status`. Composed from static text, numbers and the model's path in the fixed thread-local
/// buffer: nothing allocates, so that the calls that must not allocate can fail too.
@inline(never)
func fail(_ status: Int32, _ compose: (inout TextWriter) -> Void) -> Int32 {
    let text = UnsafeMutableRawPointer(recur_error_text()!).assumingMemoryBound(to: UInt8.self)
    var writer = TextWriter(text, capacity: Int(RECUR_ERROR_CAPACITY))
    compose(&writer)
    writer.endString()
    return status
}

/// The sentence and status of an error from the layers below (opening a file).
@inline(never)
func fail(_ error: RecurError) -> Int32 {
    fail(error.exitCode) { $0.append(error.message) }
}

/// A NULL where the call needs a pointer.
@inline(never)
func failNull(_ function: StaticString, _ argument: StaticString) -> Int32 {
    fail(Status.usage) { text in
        text.append(function)
        text.append(": ")
        text.append(argument)
        text.append(" is NULL")
    }
}

extension TextWriter {
    /// A Swift string's UTF-8 bytes, read in place (a native string's are contiguous).
    mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { bytes in
            if let base = bytes.baseAddress { append(base, count: bytes.count) }
        }
    }
}
