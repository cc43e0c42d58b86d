import Foundation
import RecurTestSupport
import Testing
@testable import RecurKeras

/// Archives and weights files that are damaged, hostile or for another model: each is refused
/// with one sentence that names the file, and exit status 65 (66 for a missing file, 64 for a
/// wrong command line).
@Suite(.serialized) struct FormatsMalformedTests {
    static let folder = temporaryFolder("formats-malformed")

    static func write(_ name: String, _ bytes: [UInt8]) -> String { writeFile(folder, name, bytes) }

    static func expectFailure(
        _ status: Int32, _ words: [String], naming path: String? = nil, _ load: () throws(RecurError) -> KerasModel
    ) {
        expectRefusal(status, words, naming: path, ignoringCase: true, load)
    }

    /// An archive that is not what it should be.
    static func expectArchiveFailure(_ name: String, _ bytes: [UInt8], _ words: [String]) {
        let path = write(name, bytes)
        expectFailure(65, words, naming: path) { () throws(RecurError) in try KerasModel.load(path: path) }
    }

    static let archive: [UInt8] = try! FileBytes.read(Fixtures.path("formats/k3_named.keras"))
    static let deflated: [UInt8] = try! FileBytes.read(Fixtures.path("formats/k3_mixed.deflated.keras"))

    /// The offset of `name`'s entry in the central directory.
    static func centralEntry(_ bytes: [UInt8], _ name: String) -> Int {
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        for offset in stride(from: bytes.count - 46, through: 0, by: -1)
        where Array(bytes[offset..<offset + 4]) == signature && Array(bytes[offset + 46..<min(bytes.count, offset + 46 + name.utf8.count)]) == Array(name.utf8) {
            return offset
        }
        fatalError("no central entry for \(name)")
    }

    static func patch(_ bytes: [UInt8], at offset: Int, u32 value: UInt32) -> [UInt8] {
        var copy = bytes
        for index in 0..<4 { copy[offset + index] = UInt8(value >> (8 * UInt32(index)) & 0xFF) }
        return copy
    }

    static func patch(_ bytes: [UInt8], at offset: Int, u16 value: UInt16) -> [UInt8] {
        var copy = bytes
        copy[offset] = UInt8(value & 0xFF)
        copy[offset + 1] = UInt8(value >> 8)
        return copy
    }

    static func member(_ bytes: [UInt8], _ name: String) -> ZipArchive.Member {
        try! ZipArchive(bytes: bytes).member(name)!
    }

    @Test(arguments: [1, 22, 100, 1000, 20000, 28000, -22, -1])
    func truncatedArchive(length: Int) {
        let bytes = Array(Self.archive.prefix(length > 0 ? length : Self.archive.count + length))
        Self.expectArchiveFailure("truncated\(length).keras", bytes, [])
    }

    @Test func damagedWeightsFailTheCRC() {
        let weights = Self.member(Self.archive, "model.weights.h5")
        var bytes = Self.archive
        bytes[weights.localHeaderOffset + 30 + "model.weights.h5".utf8.count + 2000] ^= 0x55
        Self.expectArchiveFailure("crc.keras", bytes, ["model.weights.h5", "CRC"])
    }

    @Test func localHeaderNamingAnotherMember() {
        var bytes = Self.archive
        bytes[Self.member(bytes, "config.json").localHeaderOffset + 30] = UInt8(ascii: "C")
        Self.expectArchiveFailure("wrong-member.keras", bytes, ["config.json", "another member"])
    }

    /// A member declaring more than recur reads is refused before anything is allocated.
    @Test func hugeDeclaredSize() {
        let entry = Self.centralEntry(Self.archive, "model.weights.h5")
        let bytes = Self.patch(Self.patch(Self.archive, at: entry + 20, u32: 0x7FFF_FFFF), at: entry + 24, u32: 0x7FFF_FFFF)
        Self.expectArchiveFailure("huge.keras", bytes, ["model.weights.h5", "2147483647 bytes"])
    }

    /// A deflated member that inflates to more than it declares (a zip bomb) stops at the
    /// declared size.
    @Test func memberInflatingBeyondItsSize() {
        let entry = Self.centralEntry(Self.deflated, "model.weights.h5")
        let bytes = Self.patch(Self.deflated, at: entry + 24, u32: 4096)
        Self.expectArchiveFailure("bomb.keras", bytes, ["model.weights.h5", "more than the 4096 bytes"])
    }

    @Test(arguments: [40, 300, 2000])
    func damagedDeflateData(offset: Int) {
        var bytes = Self.deflated
        let weights = Self.member(bytes, "model.weights.h5")
        for index in 0..<8 { bytes[weights.localHeaderOffset + 30 + "model.weights.h5".utf8.count + offset + index] ^= 0xA5 }
        Self.expectArchiveFailure("deflate\(offset).keras", bytes, ["model.weights.h5"])
    }

    @Test func encryptedMember() {
        let entry = Self.centralEntry(Self.archive, "config.json")
        Self.expectArchiveFailure("encrypted.keras", Self.patch(Self.archive, at: entry + 8, u16: 1), ["config.json", "encrypted"])
    }

    @Test func unknownCompression() {
        let entry = Self.centralEntry(Self.archive, "config.json")
        Self.expectArchiveFailure("bzip2.keras", Self.patch(Self.archive, at: entry + 10, u16: 12), ["config.json", "method 12"])
    }

    @Test func zip64() {
        let entry = Self.centralEntry(Self.archive, "config.json")
        Self.expectArchiveFailure("zip64.keras", Self.patch(Self.archive, at: entry + 20, u32: 0xFFFF_FFFF), ["ZIP64"])
    }

    @Test func absurdMemberCount() {
        let end = Self.archive.count - 22
        let bytes = Self.patch(Self.patch(Self.archive, at: end + 8, u16: 40000), at: end + 10, u16: 40000)
        Self.expectArchiveFailure("count.keras", bytes, ["40000 members"])
    }

    @Test func directoryOutsideTheFile() {
        let end = Self.archive.count - 22
        Self.expectArchiveFailure("directory.keras", Self.patch(Self.archive, at: end + 16, u32: 0x00FF_FFFF), ["central directory"])
    }

    static func archive(_ members: [(String, [UInt8])]) -> [UInt8] {
        var writer = ZipWriter()
        for (name, bytes) in members { writer.addStored(name, bytes, date: .epoch) }
        return writer.bytes()
    }

    static var configJSON: [UInt8] { try! ZipArchive(bytes: archive).contents(of: member(archive, "config.json"), limit: 1 << 20) }
    static var weightsH5: [UInt8] { try! ZipArchive(bytes: archive).contents(of: member(archive, "model.weights.h5"), limit: 1 << 30) }

    @Test func archiveWithoutConfiguration() {
        Self.expectArchiveFailure("no-config.keras", Self.archive([("model.weights.h5", Self.weightsH5)]), ["no config.json"])
    }

    @Test func archiveWithoutWeights() {
        Self.expectArchiveFailure("no-weights.keras", Self.archive([("config.json", Self.configJSON)]), ["no model.weights.h5"])
    }

    @Test func archiveWithNPZWeights() {
        Self.expectArchiveFailure("npz.keras", Self.archive([("config.json", Self.configJSON), ("model.weights.npz", [1, 2])]), ["npz"])
    }

    @Test func archiveWithTwoConfigurations() {
        let bytes = Self.archive([("config.json", Self.configJSON), ("config.json", Self.configJSON), ("model.weights.h5", Self.weightsH5)])
        Self.expectArchiveFailure("twice.keras", bytes, ["two members named 'config.json'"])
    }

    @Test func configurationThatIsNotJSON() {
        Self.expectArchiveFailure("text.keras", Self.archive([("config.json", Array("{not json".utf8)), ("model.weights.h5", Self.weightsH5)]), ["config.json", "not valid JSON"])
    }

    @Test func weightsThatAreNotHDF5() {
        let bytes = Self.archive([("config.json", Self.configJSON), ("model.weights.h5", Array(repeating: 7, count: 5000))])
        Self.expectArchiveFailure("garbage.keras", bytes, ["model.weights.h5 is damaged"])
    }

    @Test func weightsOfAnotherModel() throws {
        let other = try ZipArchive(bytes: Self.deflated)
        let weights = try other.contents(of: try #require(other.member("model.weights.h5")), limit: 1 << 30)
        Self.expectArchiveFailure("other.keras", Self.archive([("config.json", Self.configJSON), ("model.weights.h5", weights)]), ["layer 'enc'", "layers/simple_rnn"])
    }

    /// `tools/make_format_fixtures.py`'s damaged copies of a Keras 3 `.weights.h5`, read with
    /// the architecture they were saved from.
    static let cases = ExpectedRefusal.read("formats/bad")

    @Test func corpusIsPresent() {
        #expect(Self.cases.count >= 10)
    }

    @Test(arguments: cases)
    func damagedWeights(_ test: ExpectedRefusal) {
        let path = Fixtures.path("formats/bad/" + test.file)
        Self.expectFailure(test.status, test.words, naming: path) { () throws(RecurError) in
            try KerasModel.load(weights: path, architecture: .file(Fixtures.path("formats/k3_named.json")))
        }
    }

    /// A weight that declares 100 MB and stores nothing is refused before it is allocated.
    @Test func shapeBomb() {
        let path = Fixtures.path("formats/bad/shape_bomb.weights.h5")
        Self.expectFailure(65, ["layers/dense/vars/0", "25000000 values", "stores almost none"], naming: path) { () throws(RecurError) in
            try KerasModel.load(weights: path, architecture: .file(Fixtures.path("formats/bad/shape_bomb.json")))
        }
    }

    /// Keras 2's weights-only layout, read into a model with another number of layers.
    @Test func legacyWeightsOfAnotherModel() {
        let path = Fixtures.path("formats/k2_mixed.weights-only.h5")
        Self.expectFailure(65, ["5 layers", "4 layers with weights"], naming: path) { () throws(RecurError) in
            try KerasModel.load(weights: path, architecture: .file(Fixtures.path("formats/k3_named.json")))
        }
    }

    /// Without its architecture, a weights file is refused with the option that gives it.
    @Test(arguments: ["formats/k3_named.weights.h5", "formats/k2_mixed.weights-only.h5"])
    func weightsWithoutArchitecture(file: String) {
        let path = Fixtures.path(file)
        Self.expectFailure(65, ["weights only", "--config"], naming: path) { () throws(RecurError) in try KerasModel.load(path: path) }
    }

    @Test func architectureThatIsAWeightsFile() {
        let architecture = Fixtures.path("formats/k3_named.weights.h5")
        Self.expectFailure(65, ["no model configuration"], naming: architecture) { () throws(RecurError) in
            try KerasModel.load(weights: Fixtures.path("formats/k3_named.weights.h5"), architecture: .file(architecture))
        }
    }

    @Test func architectureThatIsNotJSON() {
        let architecture = Self.write("arch.txt", Array("LSTM 32\n".utf8))
        Self.expectFailure(65, ["neither a Keras model file nor"], naming: architecture) { () throws(RecurError) in
            try KerasModel.load(weights: Fixtures.path("formats/k3_named.weights.h5"), architecture: .file(architecture))
        }
    }

    @Test func missingArchitecture() {
        let architecture = Self.folder + "/absent.json"
        Self.expectFailure(66, [], naming: architecture) { () throws(RecurError) in
            try KerasModel.load(weights: Fixtures.path("formats/k3_named.weights.h5"), architecture: .file(architecture))
        }
    }

    @Test func specThatDoesNotParse() {
        Self.expectFailure(64, ["--config", "Conv7"]) { () throws(RecurError) in
            try KerasModel.load(weights: Fixtures.path("formats/k3_named.weights.h5"), architecture: .spec("Conv7(3)"))
        }
    }

    /// A command-line value is a file when one exists, a layer list when it reads as one.
    @Test func architectureArgument() {
        #expect(ArchitectureSource(argument: "LSTM(4), Dense(1)") == .spec("LSTM(4), Dense(1)"))
        #expect(ArchitectureSource(argument: "model.json") == .file("model.json"))
        let odd = Self.write("Dense(1)", [])
        #expect(ArchitectureSource(argument: odd) == .file(odd))
    }
}
