import Foundation
import RecurTestSupport
import Testing
@testable import RecurKeras

/// A model file may not make libhdf5 read other files: external links, external storage and
/// virtual datasets are refused by name before any data is read (tools/make_hostile_fixtures.py
/// made each from a sound model; loaded as they are, the first reads /etc/passwd into a kernel).
@Suite struct SelfContainedTests {
    @Test(arguments: [
        ("external_storage.h5", "its dataset '/model_weights/dense/sequential/dense/kernel' keeps its values in other files (external storage)"),
        ("external_link.h5", "its link '/model_weights/dense' points into another file (an external link)"),
        ("virtual_dataset.h5", "its dataset '/model_weights/dense/sequential/dense/kernel' maps its values from other datasets (a virtual dataset)"),
        ("external_storage.keras", "its model.weights.h5 is not self-contained: its dataset '/layers/dense/vars/0' keeps its values in other files"),
    ])
    func pointersOutOfTheFileAreRefused(file: String, reason: String) throws {
        let path = Fixtures.path("hostile/" + file)
        let error = #expect(throws: RecurError.self) { try KerasModel.load(path: path) }
        #expect(error?.exitCode == 65)
        #expect(error?.message.hasPrefix(path) == true)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    /// The same file with its own data: the link's target, a copy of the model, loads.
    @Test func theTargetItselfLoads() throws {
        let model = try KerasModel.load(path: Fixtures.path("hostile/external_link_target.h5"))
        #expect(!model.weights.isEmpty)
    }

    /// As the architecture of a weights file, the same refusal.
    @Test func asAnArchitectureToo() throws {
        let error = #expect(throws: RecurError.self) {
            try KerasModel.load(weights: Fixtures.path("stream/tiny_rnn.h5"), architecture: .file(Fixtures.path("hostile/external_link.h5")))
        }
        #expect(error?.message.contains("is not self-contained") == true, "\(error?.message ?? "")")
    }
}
