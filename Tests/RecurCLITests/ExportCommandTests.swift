import Foundation
import RecurKernel
import RecurKeras
import RecurTestSupport
import Testing

/// `recur export MODEL --output FILE`, end to end through the binary.
@Suite struct ExportCommandTests {
    /// The exported file predicts what the original predicts, to the bit (the course models'
    /// constant is a multiplication, which Rescaling computes exactly).
    @Test(arguments: ["external/m1_simplernn", "external/m3_bilstm2"])
    func exportedFilePredictsTheSame(stem: String) throws {
        let folder = temporaryFolder()
        let output = folder + "/exported.h5"
        let export = try recur(["export", Fixtures.path(stem + ".h5"), "--output", output])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.isEmpty && export.stderr.isEmpty)
        let inputs = try readDataset(Fixtures.path(stem + ".io.h5"), "inputs")
        let windows = folder + "/windows.csv"
        try predictInput(inputs).write(toFile: windows, atomically: true, encoding: .utf8)
        let original = try recur(["predict", Fixtures.path(stem + ".h5"), "--input", windows])
        let exported = try recur(["predict", output, "--input", windows])
        #expect(original.status == 0 && exported.status == 0, "\(exported.stderr)")
        #expect(!exported.stdout.isEmpty)
        #expect(exported.stdout == original.stdout)
    }

    @Test(arguments: ["model.txt", "model", "model.json"])
    func otherFormatsAreRefused(name: String) throws {
        let folder = temporaryFolder()
        let result = try recur(["export", Fixtures.path("external/m1_simplernn.h5"), "--output", folder + "/" + name])
        #expect(result.status == 64)
        #expect(result.stderr.contains(".h5 or .hdf5"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func hdf5SuffixIsAccepted() throws {
        let folder = temporaryFolder()
        let result = try recur(["export", Fixtures.path("external/m5_gru.h5"), "--output", folder + "/model.HDF5"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder + "/model.HDF5"))
    }

    @Test func missingModelIs66() throws {
        let folder = temporaryFolder()
        let result = try recur(["export", folder + "/absent.h5", "--output", folder + "/out.h5"])
        #expect(result.status == 66)
        #expect(result.stderr.contains(folder + "/absent.h5"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/out.h5"))
    }

    /// Keras 3's hard_sigmoid is not Keras 2's: a file cannot give recur's numbers in both, so
    /// the export is refused unless `--keras 3` says which one the file is for; the file then
    /// reads back with Keras 3's function.
    @Test func hardSigmoidNeedsItsKeras() throws {
        let folder = temporaryFolder()
        let source = folder + "/hard_sigmoid.h5"
        let lstm = Layer.recurrent(.lstm, units: 2, recurrentActivation: .hardSigmoid)
        let count = try Network(layers: [lstm], input: .sequence(4, 1), batch: 1).plan.parameterCount
        let model = ExportableModel(
            name: "hard", inputDims: [nil, 1], layers: [ExportableLayer(name: "lstm", kernel: lstm)],
            weights: (0..<count).map { Float($0 % 7) * 0.3 - 0.9 })
        try writeLegacyH5(model, to: source, for: .keras3)

        let output = folder + "/out.h5"
        let refused = try recur(["export", source, "--output", output])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("layer 'lstm'") && refused.stderr.contains("hard_sigmoid") && refused.stderr.contains("--keras 3"), "\(refused.stderr)")
        #expect(try recur(["export", source, "--output", output, "--keras", "2"]).status == 65)
        #expect(!FileManager.default.fileExists(atPath: output))

        let accepted = try recur(["export", source, "--output", output, "--keras", "3"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let reread = try KerasModel.load(path: output)
        #expect(reread.kernelLayers.first?.recurrentActivation == .hardSigmoid)
        #expect(reread.kerasVersion?.hasPrefix("3.") == true)
    }

    /// The export is cut off part way by the file-size limit (SIGXFSZ ignored, so writes fail
    /// with EFBIG): exit 73, the previous file is as it was, and no temporary file is left.
    @Test func interruptedExportLeavesThePreviousFile() throws {
        let folder = temporaryFolder()
        let output = folder + "/out.h5"
        #expect(try recur(["export", Fixtures.path("external/m1_simplernn.h5"), "--output", output]).status == 0)
        let previous = try #require(FileManager.default.contents(atPath: output))

        let large = Fixtures.path("external/m3_bilstm2.h5")
        let limited = try shell("trap '' XFSZ; ulimit -f 16; exec \"$0\" export \"$1\" --output \"$2\"", [recurBinary, large, output])
        #expect(limited.status == 73, "\(limited.stderr)")
        #expect(limited.stderr.contains(output))
        #expect(FileManager.default.contents(atPath: output) == previous)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.h5"])
    }

    @Test func helpHasAnExample() throws {
        let result = try recur(["export", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("recur export models/e3_bilstm2.h5 --output"))
        #expect(result.stdout.contains("--keras"))
    }

    /// Runs `script` with `/bin/sh -c`, `arguments` as `$0`, `$1`, ….
    func shell(_ script: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: text, as: UTF8.self))
    }
}
