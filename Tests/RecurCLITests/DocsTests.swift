import Foundation
import RecurTestSupport
import Testing

/// The help, the completion scripts and the docs: what they show is what recur does.
@Suite struct DocsTests {
    static let commands = ["predict", "forecast", "inspect", "train", "lr-find", "bench", "stream", "export"]

    /// Every command's help has an example that runs that command.
    @Test(arguments: commands)
    func helpHasAnExample(command: String) throws {
        let help = try recur([command, "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Example"), "\(command) --help has no example")
        #expect(help.stdout.contains("recur \(command) "), "\(command) --help shows no 'recur \(command) …' line")
    }

    @Test func rootHelpNamesTheCompletionScripts() throws {
        let help = try recur(["--help"])
        #expect(help.stdout.contains("recur --generate-completion-script bash|zsh|fish"))
    }

    /// swift-argument-parser writes the scripts; they know every subcommand and the new options.
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(shell: String) throws {
        let script = try recur(["--generate-completion-script", shell])
        #expect(script.status == 0)
        // Fish lists options without their dashes.
        for word in Self.commands + ["plot", "json", "training", "time-column"] {
            #expect(script.stdout.contains(word), "\(shell) completion lacks \(word)")
        }
        if shell == "bash" {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/bin/bash")
            check.arguments = ["-n"]
            let input = Pipe()
            check.standardInput = input
            try check.run()
            input.fileHandleForWriting.write(Data(script.stdout.utf8))
            try input.fileHandleForWriting.close()
            check.waitUntilExit()
            #expect(check.terminationStatus == 0, "bash cannot parse the completion script")
        }
    }

    /// A command shown in the docs with its output, as `tools/make-docs-outputs.sh` writes it.
    struct Shown {
        let file: String
        let command: String
        let output: String
    }

    static func shownOutputs() throws -> [Shown] {
        var shown: [Shown] = []
        for file in pages {
            let lines = try String(contentsOfFile: Fixtures.repository + "/" + file, encoding: .utf8).components(separatedBy: "\n")
            for (index, line) in lines.enumerated() where line.hasPrefix("<!-- output: ") && line.hasSuffix(" -->") {
                let command = String(line.dropFirst("<!-- output: ".count).dropLast(" -->".count))
                let body = lines[(index + 2)...].prefix { $0 != "```" }
                #expect(body.first == "$ " + command, "\(file): the block after '\(command)' does not show it")
                shown.append(Shown(file: file, command: command, output: body.dropFirst().joined(separator: "\n")))
            }
        }
        return shown
    }

    /// The docs show real outputs: the ones that cannot vary (no timings, no training, only
    /// files of this repository) are run again here and must match to the byte.
    @Test func docsShowTheOutputsRecurGives() throws {
        let shown = try Self.shownOutputs()
        #expect(shown.count >= 10, "docs show \(shown.count) command outputs")
        let folder = temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder + "/bin/recur", withDestinationPath: recurBinary)
        try FileManager.default.createSymbolicLink(atPath: folder + "/models", withDestinationPath: Fixtures.repository + "/models")
        let stable = ["inspect", "forecast", "predict", "--help", "help"]
        var checked = 0
        for item in shown {
            let words = item.command.split(separator: " ").map(String.init)
            guard words.first == "recur", words.count > 1, stable.contains(words[1]),
                !item.command.contains(where: { "|<>;&$".contains($0) }),
                words.dropFirst(2).allSatisfy({ !$0.contains("/") || $0.hasSuffix(".svg") || FileManager.default.fileExists(atPath: Fixtures.repository + "/" + $0) })
            else { continue }
            let run = Process()
            run.executableURL = URL(fileURLWithPath: "/bin/bash")
            run.arguments = ["-c", item.command + " 2>&1"]
            run.currentDirectoryURL = URL(fileURLWithPath: folder)
            run.environment = ["PATH": folder + "/bin:/usr/bin:/bin", "COLUMNS": "80"]
            let output = Pipe()
            run.standardOutput = output
            try run.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            run.waitUntilExit()
            #expect(Self.comparable(text.trimmingCharacters(in: .newlines)) == Self.comparable(item.output), "\(item.file): '\(item.command)' prints something else now (rerun tools/make-docs-outputs.sh)")
            checked += 1
        }
        #expect(checked >= 5, "only \(checked) outputs checked")
    }

    /// The text with every number that has a fraction written to six significant digits: a
    /// float32 result's last digits differ between CPUs (vector width, fused multiply-add), and
    /// the docs are about what recur prints, not about the seventh digit.
    static func comparable(_ text: String) -> String {
        let number = try! NSRegularExpression(pattern: #"-?[0-9]+\.[0-9]+(e[-+]?[0-9]+)?"#)
        var result = text
        for match in number.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            let range = Range(match.range, in: text)!
            guard let value = Double(text[range]) else { continue }
            result.replaceSubrange(Range(match.range, in: result)!, with: String(format: "%.6g", value))
        }
        return result
    }

    static let pages = ["docs/README.md", "docs/from-notebook-to-box.md", "docs/sunspots.md", "docs/shell-completion.md", "models/sunspots/README.md", "docs/embedding.md"]

    /// Every picture and page these docs link to is in the repository.
    @Test(arguments: pages)
    func linksResolve(file: String) throws {
        let text = try String(contentsOfFile: Fixtures.repository + "/" + file, encoding: .utf8)
        let links = try NSRegularExpression(pattern: #"\]\(([^)#:\s]+)(#[^)]*)?\)"#)
        let base = URL(fileURLWithPath: Fixtures.repository + "/" + file).deletingLastPathComponent()
        for match in links.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let target = String(text[Range(match.range(at: 1), in: text)!])
            #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent(target).path), "\(file) links to \(target), which is missing")
        }
    }

    /// The committed pictures of the three plots are rendered PNGs of the size the plots have.
    @Test(arguments: ["forecast", "lr-find", "train", "sunspots-forecast"])
    func committedPicturesRender(name: String) throws {
        let path = Fixtures.repository + "/docs/images/\(name).png"
        let image = try decodePNG(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(image.width == 800 && image.height == 400)
        #expect(image.nonWhiteCount > 800 * 400 / 50)
    }
}
