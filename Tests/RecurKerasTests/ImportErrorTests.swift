import Foundation
import RecurTestSupport
import Testing
@testable import RecurKeras

/// Files that are not what recur needs: each gives one sentence naming the file, and the
/// documented exit status.
@Suite(.serialized) struct ImportErrorTests {
    static let folder = temporaryFolder("import-errors")

    static func write(_ name: String, _ bytes: [UInt8]) -> String { writeFile(folder, name, bytes) }

    static func expectFailure(_ path: String, status: Int32, mentioning words: [String]) {
        expectRefusal(status, words, naming: path) { () throws(RecurError) in try KerasModel.load(path: path) }
    }

    @Test func missingFile() {
        Self.expectFailure(Self.folder + "/nothing-here.h5", status: 66, mentioning: ["No such file"])
    }

    @Test func folderInsteadOfFile() {
        Self.expectFailure(Self.folder, status: 66, mentioning: ["not a regular file"])
    }

    @Test func emptyFile() {
        Self.expectFailure(Self.write("empty.h5", []), status: 65, mentioning: ["empty"])
    }

    @Test func textFile() {
        Self.expectFailure(Self.write("text.h5", Array("time,value\n1,2\n".utf8)), status: 65, mentioning: ["not a Keras model"])
    }

    @Test(arguments: [8, 96, 512, 4096, 20000, 60000])
    func truncatedModel(length: Int) throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Fixtures.path("external/m1_simplernn.h5"))))
        Self.expectFailure(Self.write("truncated-\(length).h5", Array(bytes.prefix(length))), status: 65, mentioning: [])
    }

    @Test func hdf5ThatIsNotAModel() {
        // A Keras fixture's reference-data file is HDF5 but holds no model.
        let path = Fixtures.path("external/m8_lstm_nolambda.io.h5")
        Self.expectFailure(path, status: 65, mentioning: ["not a Keras model", "model_config"])
    }

    @Test func weightsOnlyFile() {
        Self.expectFailure(Fixtures.path("external/minimal/min_weights_legacy.h5"), status: 65, mentioning: ["weights only"])
    }
}

/// The generated corpus of malformed models (`tools/make_bad_models.py`): each file's exit
/// status and the words its message must contain are listed in `EXPECTED.tsv`.
@Suite(.serialized) struct MalformedModelTests {
    static let cases = ExpectedRefusal.read("bad")

    @Test func corpusIsPresent() {
        #expect(Self.cases.count >= 20)
    }

    @Test(arguments: cases)
    func givesItsSentence(_ test: ExpectedRefusal) throws {
        let path = Fixtures.path("bad/" + test.file)
        do {
            let model = try KerasModel.load(path: path)
            #expect(test.status == 0, "\(test.file) loaded")
            // Convertible weight types load with the same values as float32 ones, to their precision.
            let valid = try KerasModel.load(path: Fixtures.path("bad/valid.h5"))
            #expect(worstError(model.weights, valid.weights, relative: 1e-3) <= 1)
        } catch {
            #expect(error.exitCode == test.status, "\(error.message)")
            #expect(error.message.hasPrefix(path), "\(error.message)")
            #expect(!error.message.contains("\n"))
            for word in test.words {
                #expect(error.message.lowercased().contains(word.lowercased()), "'\(word)' missing from: \(error.message)")
            }
        }
    }
}
