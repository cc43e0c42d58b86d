import CIOSupport
import Foundation
import RecurTestSupport
import Testing

/// What an output path can be besides a regular file (issue 18): only a regular file is ever
/// replaced; a device or a FIFO is written through, a link followed, anything else refused; a
/// full disk, a file-size limit and a stop signal never leave a partial file or a temporary one.
@Suite(.serialized) struct OutputFileTests {
    static let model = Fixtures.repository + "/models/e1_simplernn.h5"
    static let large = Fixtures.repository + "/models/e4_bilstm3.h5"

    func forecast(to output: String) throws -> Result {
        try recur(["forecast", Self.model, "--window", "20", "--output", output])
    }

    func temporaryFiles(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".recur-") }
    }

    /// A character device stays one: recur writes through it (a private node, as CI runs as
    /// root and /dev/null itself must not be touched).
    @Test func characterDeviceIsWrittenThrough() throws {
        let folder = temporaryFolder()
        let device = folder + "/null"
        // Major 1, minor 3: the kernel's null device (makedev(1, 3)).
        guard mknod(device, S_IFCHR | 0o666, dev_t(1 << 8 | 3)) == 0 else { return }
        let result = try forecast(to: device)
        #expect(result.status == 0, "\(result.stderr)")
        var status = stat()
        #expect(stat(device, &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
        #expect(try temporaryFiles(in: folder).isEmpty)
    }

    /// A full device (a private node of the kernel's, 1:7, where mknod is allowed: the
    /// machine's /dev/full is not to be at stake).
    @Test func fullDeviceIs73() throws {
        let folder = temporaryFolder()
        let full = mknod(folder + "/full", S_IFCHR | 0o666, dev_t(1 << 8 | 7)) == 0 ? folder + "/full" : "/dev/full"
        let result = try forecast(to: full)
        #expect(result.status == 73)
        #expect(result.stderr == "recur: \(full) could not be written in full: No space left on device\n")
        var status = stat()
        #expect(stat(full, &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
    }

    /// A FIFO someone reads gets the file; one nobody reads is refused at once.
    @Test func fifo() throws {
        let folder = temporaryFolder()
        let fifo = folder + "/out.csv"
        #expect(mkfifo(fifo, 0o600) == 0)
        let refused = try forecast(to: fifo)
        #expect(refused.status == 73)
        #expect(refused.stderr.contains("a FIFO that nobody reads"), "\(refused.stderr)")
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/sh")
        reader.arguments = ["-c", "cat \"$0\" > \"$0.copy\"", fifo]
        try reader.run()
        Thread.sleep(forTimeInterval: 0.3)
        let result = try forecast(to: fifo)
        reader.waitUntilExit()
        #expect(result.status == 0, "\(result.stderr)")
        let copy = try String(contentsOfFile: fifo + ".copy", encoding: .utf8)
        #expect(copy.hasPrefix("time,value,forecast\n"))
    }

    /// A link is followed: the file it names is replaced, the link stays; a link to nothing
    /// creates the file it names.
    @Test func symbolicLinks() throws {
        let folder = temporaryFolder()
        try "old".write(toFile: folder + "/real.csv", atomically: false, encoding: .utf8)
        #expect(symlink("real.csv", folder + "/link.csv") == 0)
        #expect(try forecast(to: folder + "/link.csv").status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/link.csv") == "real.csv")
        #expect(try String(contentsOfFile: folder + "/real.csv", encoding: .utf8).hasPrefix("time,value,forecast"))
        #expect(symlink("new.csv", folder + "/dangling.csv") == 0)
        #expect(try forecast(to: folder + "/dangling.csv").status == 0)
        #expect(FileManager.default.fileExists(atPath: folder + "/new.csv"))
        #expect(try temporaryFiles(in: folder).isEmpty)
    }

    @Test func folderAndMissingFolderAre73() throws {
        let folder = temporaryFolder()
        let folderResult = try forecast(to: folder)
        #expect(folderResult.status == 73)
        #expect(folderResult.stderr == "recur: \(folder) is a folder; recur writes a regular file, a character device or a FIFO\n")
        #expect(try forecast(to: folder + "/missing/out.csv").status == 73)
    }

    /// `ulimit -f`: the write fails with EFBIG (not SIGXFSZ's death), 73, no temporary file.
    @Test func fileSizeLimitIs73() throws {
        let folder = temporaryFolder()
        let output = folder + "/out.h5"
        try "old".write(toFile: output, atomically: false, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -f 16; exec \"$0\" export \"$1\" --output \"$2\"", recurBinary, Self.large, output]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 73, "\(text)")
        #expect(text.contains("File too large"), "\(text)")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "old")
        #expect(try temporaryFiles(in: folder).isEmpty)
    }

    /// Temporary files a killed recur left beside the same output are removed by the next
    /// write of it; one that a live writer holds, and those of other outputs, are not.
    @Test func staleTemporaryFilesAreCleared() throws {
        let folder = temporaryFolder()
        for name in [".out.csv.recur-AbC123", ".out.csv.recur-held99", ".other.csv.recur-AbC123", ".out.csv.recur-toolong1", "out.csv.recur-AbC123"] {
            #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8)))
        }
        // Held as a writing recur holds its temporary file (an open file description's lock).
        let held = open(folder + "/.out.csv.recur-held99", O_RDWR)
        defer { close(held) }
        #expect(recur_lock_file(held, 0) == 0)
        #expect(try forecast(to: folder + "/out.csv").status == 0)
        #expect(try temporaryFiles(in: folder).sorted() == [".other.csv.recur-AbC123", ".out.csv.recur-held99", ".out.csv.recur-toolong1", "out.csv.recur-AbC123"])
    }

    /// SIGINT during a save waits for it: the whole file is written, then the process exits
    /// 130 with one sentence. The save is held open by a FIFO that is read only after the
    /// signal was sent.
    @Test func stopSignalWaitsForTheSave() throws {
        let folder = temporaryFolder()
        let fifo = folder + "/out.h5"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Open for reading without reading: the export's writes block once the pipe is full.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        defer { close(reader) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: recurBinary)
        process.arguments = ["export", Self.large, "--output", fifo]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var total = 0
        // Wait for the first bytes: the save has begun.
        while total == 0 {
            let count = read(reader, &buffer, buffer.count)
            if count > 0 { total += count } else { Thread.sleep(forTimeInterval: 0.01) }
        }
        kill(process.processIdentifier, SIGINT)
        Thread.sleep(forTimeInterval: 0.3)
        while true {
            let count = read(reader, &buffer, buffer.count)
            if count > 0 { total += count; continue }
            if count == 0 { break }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "\(text)")
        #expect(text == "recur: stopped by signal 2\n")
        // The whole file went through: an export of the same model is as long.
        let whole = folder + "/whole.h5"
        #expect(try recur(["export", Self.large, "--output", whole]).status == 0)
        let size = try FileManager.default.attributesOfItem(atPath: whole)[.size] as? Int
        #expect(total == size)
    }
}
