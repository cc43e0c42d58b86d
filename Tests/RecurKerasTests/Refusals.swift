import RecurTestSupport
import Testing
@testable import RecurKeras

/// `load` must be refused with `status`, in one sentence that names `path` (when given) and
/// holds each of `words` (compared ignoring case when `ignoringCase`).
func expectRefusal(
    _ status: Int32, _ words: [String], naming path: String? = nil, ignoringCase: Bool = false,
    _ load: () throws(RecurError) -> KerasModel
) {
    do {
        _ = try load()
        Issue.record("\(path ?? "the model") loaded")
    } catch {
        #expect(error.exitCode == status, "\(error.message)")
        if let path { #expect(error.message.contains(path), "\(error.message)") }
        let message = ignoringCase ? error.message.lowercased() : error.message
        for word in words {
            #expect(message.contains(ignoringCase ? word.lowercased() : word), "'\(word)' missing from: \(error.message)")
        }
        #expect(!error.message.contains("\n"))
    }
}

/// One line of a malformed-file corpus's `EXPECTED.tsv`: the file, its exit status (0: it
/// loads) and the words its refusal must hold (`|`-separated).
struct ExpectedRefusal: CustomStringConvertible, Sendable {
    let file: String
    let status: Int32
    let words: [String]
    var description: String { file }

    /// The lines of `EXPECTED.tsv` in `folder` (relative to the fixtures), `#` lines skipped.
    static func read(_ folder: String) -> [ExpectedRefusal] {
        let text = (try? String(contentsOfFile: Fixtures.path(folder + "/EXPECTED.tsv"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return ExpectedRefusal(file: fields[0], status: Int32(fields[1])!, words: fields[2].split(separator: "|").map(String.init))
        }
    }
}
