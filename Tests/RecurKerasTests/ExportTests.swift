import CHDF5
import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurKeras

/// `writeLegacyH5`: what recur writes, read back by recur. (Keras's own reading of the same
/// files is checked by `tools/keras_roundtrip.py`, which `tools/test.sh` runs.)
@Suite(.serialized) struct ExportTests {
    static let folder = temporaryFolder("export-tests")

    /// Every full-model file among the fixtures (the other team's, Keras 3's and Keras 2's, and
    /// the older TensorFlows' with fixed-length strings and Python 3.8 Lambdas) and the course
    /// models, relative to the repository. A generated fixture counts once its reference
    /// (`NAME.io.h5`, written after the model) is there.
    static let modelFiles: [String] = {
        var found: [String] = []
        let generated = ["Tests/Fixtures/keras3", "Tests/Fixtures/keras2", "Tests/Fixtures/keras-legacy/tf2.4", "Tests/Fixtures/keras-legacy/tf2.15"]
        for folder in ["Tests/Fixtures/external", "models"] + generated {
            let base = Fixtures.repository + "/" + folder
            guard let enumerator = FileManager.default.enumerator(atPath: base) else { continue }
            for case let entry as String in enumerator
            where entry.hasSuffix(".h5") && !entry.hasSuffix(".io.h5") && !entry.contains("weights") {
                let reference = base + "/" + entry.dropLast(".h5".count) + ".io.h5"
                if generated.contains(folder), !FileManager.default.fileExists(atPath: reference) { continue }
                found.append(folder + "/" + entry)
            }
        }
        return found.sorted()
    }()

    @Test func everyKindOfFixtureIsCovered() {
        #expect(Self.modelFiles.contains("Tests/Fixtures/external/m3_bilstm2.h5"))
        #expect(Self.modelFiles.contains { $0.hasPrefix("models/") })
        #expect(Self.modelFiles.count >= 8)
    }

    /// Export, then import with recur: the same layers (as the built-in Keras layers they were
    /// written as), bit-identical weights, and the same outputs.
    @Test(arguments: modelFiles)
    func roundTripIsExact(file: String) throws {
        let original = try KerasModel.load(path: Fixtures.repository + "/" + file)
        let target = Self.target(for: original.kernelLayers)
        let path = Self.folder + "/" + file.replacingOccurrences(of: "/", with: "_")
        try writeLegacyH5(ExportableModel(original), to: path, for: target)
        let exported = try KerasModel.load(path: path)
        Self.expectSameModel(exported, as: ExportableModel(original), file: file)
        #expect(exported.kerasMajor == (target == .keras3 ? 3 : 2))
        try Self.expectSameOutputs(exported, original.makeNetwork(window: original.fixedWindow ?? 7, batch: 3), file: file)
    }

    /// A model built in recur (as `--arch` will), with every kind of layer and option the
    /// exporter writes, round-trips the same way.
    @Test(arguments: ArchModels.all.indices)
    func builtModelRoundTrips(index: Int) throws {
        let model = ArchModels.all[index]
        let path = Self.folder + "/arch-\(model.name).h5"
        try writeLegacyH5(model, to: path)
        let exported = try KerasModel.load(path: path)
        Self.expectSameModel(exported, as: model, file: model.name)
        #expect(exported.inputDims == model.inputDims)
        #expect(exported.config.name == model.name)
        let window = model.inputDims.first.flatMap { $0 } ?? 9
        let original = try Network(layers: model.layers.compactMap(\.kernel), input: Self.shape(model.inputDims, window: window), batch: 3)
        model.weights.withUnsafeBufferPointer { original.parameters.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        try Self.expectSameOutputs(exported, original, file: model.name)
    }

    /// What Keras needs (docs/keras-hdf5-format.md §2, §3, §8), checked on the file itself.
    @Test func fileHasKerasLayout() throws {
        let path = Self.folder + "/layout.h5"
        let source = try KerasModel.load(path: Fixtures.path("external/m1_simplernn.h5"))
        try writeLegacyH5(ExportableModel(source), to: path)

        let head = try #require(FileManager.default.contents(atPath: path))
        #expect(Array(head.prefix(9)) == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0], "superblock version 0")

        try withHDF5 { () throws in
            let reader = try HDF5Reader(path: path)
            let root = reader.file.id
            #expect(try reader.stringAttribute("keras_version", on: root) == "2.21.0")
            #expect(try reader.stringAttribute("backend", on: root) == "tensorflow")
            #expect(Self.characterSet(of: "keras_version", on: root) == H5T_CSET_UTF8)
            #expect(Self.characterSet(of: "model_config", on: root) == H5T_CSET_ASCII)
            #expect(!reader.hasAttribute("training_config", on: root))

            let text = try #require(try reader.stringAttribute("model_config", on: root))
            for dialect in ["batch_shape", "time_major", "module", "DTypePolicy", "Lambda", "registered_name"] {
                #expect(!text.contains("\"\(dialect)"), "model_config holds \(dialect)")
            }
            let config = try JSON.parse(text)
            #expect(config["class_name"] == .string("Sequential"))
            #expect(config["config"]?["name"] == .string(source.config.name))
            let layers = try #require(config["config"]?["layers"]?.array)
            #expect(layers.map { $0["class_name"]?.string ?? "" } == ["InputLayer", "Reshape", "SimpleRNN", "SimpleRNN", "Dense", "Rescaling"])
            #expect(layers[0]["config"]?["batch_input_shape"] == .array([.null, .null]))
            #expect(layers[1]["config"]?["target_shape"] == .array([.number(-1), .number(1)]))
            #expect(layers[5]["config"]?["scale"] == .number(100))

            let weights = try reader.openGroup("model_weights")
            #expect(try reader.stringArrayAttribute("layer_names", on: weights.id) == source.layers.map(\.name))
            #expect(try reader.stringAttribute("keras_version", on: weights.id) == "2.21.0")
            #expect(Self.characterSet(of: "keras_version", on: weights.id) == H5T_CSET_ASCII)
            let rnn = try reader.openGroup("model_weights/" + source.layers[1].name)
            let names = try #require(try reader.stringArrayAttribute("weight_names", on: rnn.id))
            #expect(names == ["kernel", "recurrent_kernel", "bias"].map { "\(source.layers[1].name)/simple_rnn_cell/\($0):0" })
            let kernel = try reader.openDataset(names[0], in: rnn.id)
            let info = try reader.datasetInfo(kernel)
            #expect(info.valueClass == .float && info.size == 4)
            let creation = H5Dget_create_plist(kernel.id)
            defer { H5Pclose(creation) }
            #expect(H5Pget_layout(creation) == H5D_CONTIGUOUS)
            #expect(H5Pget_nfilters(creation) == 0)
            // A layer without weights: an empty float64 list, as h5py writes [].
            let lambda = try reader.openGroup("model_weights/" + source.layers[0].name)
            #expect(Self.typeClass(of: "weight_names", on: lambda.id) == H5T_FLOAT)
            #expect(try reader.stringArrayAttribute("weight_names", on: lambda.id) == [])
        }
    }

    @Test func bidirectionalWeightNamesAreKeras2s() throws {
        let path = Self.folder + "/bidirectional.h5"
        let source = try KerasModel.load(path: Fixtures.path("external/m3_bilstm2.h5"))
        try writeLegacyH5(ExportableModel(source), to: path)
        let layer = try #require(source.layers.first { $0.className == "Bidirectional" })
        let names = try withHDF5 { () throws -> [String]? in
            let reader = try HDF5Reader(path: path)
            let group = try reader.openGroup("model_weights/" + layer.name)
            return try reader.stringArrayAttribute("weight_names", on: group.id)
        }
        #expect(names == ["forward", "backward"].flatMap { direction in
            ["kernel", "recurrent_kernel", "bias"].map { "\(layer.name)/\(direction)_lstm/lstm_cell/\($0):0" }
        })
    }

    @Test func sameModelGivesTheSameBytes() throws {
        let source = try ExportableModel(KerasModel.load(path: Fixtures.path("external/m5_gru.h5")))
        try writeLegacyH5(source, to: Self.folder + "/twice-1.h5")
        try writeLegacyH5(source, to: Self.folder + "/twice-2.h5")
        #expect(FileManager.default.contents(atPath: Self.folder + "/twice-1.h5") == FileManager.default.contents(atPath: Self.folder + "/twice-2.h5"))
    }

    @Test func trainingConfigIsWrittenAsGiven() throws {
        var model = ArchModels.all[0]
        let training = try JSON.parse(#"{"loss": {"class_name": "Huber", "config": {"delta": 1.0}}, "metrics": null, "loss_weights": null, "optimizer_config": {"class_name": "SGD", "config": {"learning_rate": 5e-05, "momentum": 0.9}}}"#)
        model.trainingConfig = training
        let path = Self.folder + "/training.h5"
        try writeLegacyH5(model, to: path)
        let text = try withHDF5 { () throws -> String? in
            let reader = try HDF5Reader(path: path)
            return try reader.stringAttribute("training_config", on: reader.file.id)
        }
        #expect(try JSON.parse(try #require(text)) == training)
    }

    // MARK: - Failures leave the output alone

    @Test func missingFolderIsCannotCreate() {
        let path = Self.folder + "/no-such-folder/model.h5"
        #expect { try writeLegacyH5(ArchModels.all[0], to: path) } throws: { error in
            let error = error as! RecurError
            return error.exitCode == 73 && error.message.contains(path)
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// The whole file is written, then the rename fails (the output is a folder): the folder is
    /// untouched and the temporary file is gone.
    @Test func failedRenameLeavesNoTemporaryFile() throws {
        let parent = Self.folder + "/rename-fails"
        let output = parent + "/model.h5"
        try FileManager.default.createDirectory(atPath: output + "/inside", withIntermediateDirectories: true)
        #expect(throws: RecurError.self) { try writeLegacyH5(ArchModels.all[0], to: output) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["model.h5"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: output) == ["inside"])
    }

    /// A model that cannot be written is refused before the output is touched.
    @Test func refusedModelLeavesThePreviousFile() throws {
        let parent = Self.folder + "/refused"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let output = parent + "/model.h5"
        let previous = Data("previous contents".utf8)
        _ = FileManager.default.createFile(atPath: output, contents: previous)
        var model = ArchModels.all[0]
        model.weights.removeLast()
        #expect(throws: RecurError.self) { try writeLegacyH5(model, to: output) }
        #expect(FileManager.default.contents(atPath: output) == previous)
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["model.h5"])
    }

    // MARK: - Helpers

    /// The Keras a fixture can be written for: both unless an activation exists, or means
    /// recur's function, in one only.
    static func target(for layers: [Layer]) -> KerasTarget {
        var majors: Set<Int> = [2, 3]
        for layer in layers where layer.kind == .dense || layer.kind == .activation || layer.kind == .recurrent {
            majors.formIntersection(layer.activation.kerasMajors)
            if layer.kind == .recurrent && layer.cell != .simple { majors.formIntersection(layer.recurrentActivation.kerasMajors) }
        }
        return majors == [2] ? .keras2 : majors == [3] ? .keras3 : .both
    }

    static func shape(_ dims: [Int?], window: Int) -> TensorShape {
        dims.count == 1 ? .vector(window) : .sequence(window, dims[1]!)
    }

    /// `exported` holds `original`'s layers and weights, with each layer as the Keras built-in
    /// it is written as.
    static func expectSameModel(_ exported: KerasModel, as original: ExportableModel, file: String) {
        #expect(exported.layers.map(\.name) == original.layers.map(\.name), "\(file)")
        #expect(exported.layers.map { $0.kernel == nil } == original.layers.map { $0.kernel == nil }, "\(file)")
        for (read, written) in zip(exported.layers, original.layers) where written.kernel == nil {
            #expect(read.className == written.className, "\(file): \(written.name)")
        }
        let want = original.layers.compactMap(\.kernel).map(LayerSummary.init(writtenAs:))
        let got = exported.kernelLayers.map { LayerSummary($0) }
        #expect(got == want, "\(file)")
        #expect(exported.weights.map(\.bitPattern) == original.weights.map(\.bitPattern), "\(file): weights differ")
    }

    /// The exported model computes `original`'s outputs: bit for bit, except that `x / c` is
    /// written as `x * (1/c)`, one rounding away.
    static func expectSameOutputs(_ exported: KerasModel, _ original: borrowing Network, file: String) throws {
        let batch = 3
        let window = original.plan.input.steps > 0 ? original.plan.input.steps : original.plan.input.features
        let network = try exported.makeNetwork(window: window, batch: batch)
        let count = original.plan.input.count * batch
        #expect(network.plan.input.count * batch == count, "\(file)")
        for i in 0..<count {
            let value = Float(sin(Double(i) * 0.37) * 1.5)
            original.input[i] = value
            network.input[i] = value
        }
        original.forward(batch: batch)
        network.forward(batch: batch)
        let width = original.plan.output.count * batch
        let divides = original.layers.contains { $0.kind == .elementwise && $0.operation == .divide }
        for i in 0..<width {
            let want = original.output[i], got = network.output[i]
            if divides {
                #expect(abs(got - want) <= 2 * want.ulp, "\(file): output \(i) is \(got), not \(want)")
            } else {
                #expect(got.bitPattern == want.bitPattern, "\(file): output \(i) is \(got), not \(want)")
            }
        }
    }

    static func characterSet(of name: String, on object: hid_t) -> H5T_cset_t {
        let attribute = H5Aopen(object, name, chdf5_p_default())
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        return H5Tget_cset(type)
    }

    static func typeClass(of name: String, on object: hid_t) -> H5T_class_t {
        let attribute = H5Aopen(object, name, chdf5_p_default())
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        defer { H5Tclose(type) }
        return H5Tget_class(type)
    }
}

/// What a kernel layer computes, for comparing layers.
struct LayerSummary: Equatable, CustomStringConvertible {
    var kind: LayerKind
    var activation: Activation
    var recurrentActivation: Activation
    var cell: Cell
    var directions: Directions
    var merge: MergeMode
    var units: Int
    var useBias: Bool
    var returnSequences: Bool
    var operation: ElementwiseOperation
    var constant: Float
    var offset: Float
    var target: [Int]
    var axis: Int
    var window: Window
    var average: Bool
    var rate: Float
    var spatial: Bool

    init(_ layer: Layer) {
        kind = layer.kind
        activation = layer.activation
        recurrentActivation = layer.recurrentActivation
        cell = layer.cell
        directions = layer.directions
        merge = layer.merge
        units = layer.units
        useBias = layer.useBias
        returnSequences = layer.returnSequences
        operation = layer.operation
        constant = layer.constant
        offset = layer.offset
        target = [layer.target.steps, layer.target.features]
        axis = layer.axis
        window = layer.window
        average = layer.average
        rate = layer.rate
        spatial = layer.spatial
    }

    /// The layer as recur reads back the Keras built-in it is exported as: `expand_dims` as
    /// `Reshape`, constant arithmetic as `Rescaling(scale, offset)` (`x * scale + offset`).
    init(writtenAs layer: Layer) {
        switch layer.kind {
        case .expandDims:
            self.init(.reshape(to: layer.axis == 1 ? .sequence(1, -1) : .sequence(-1, 1)))
        case .elementwise:
            let c = layer.constant
            let (scale, offset): (Float, Float)
            switch layer.operation {
            case .multiply: (scale, offset) = (c, 0)
            case .divide: (scale, offset) = (Float(1 / Double(c)), 0)
            case .add: (scale, offset) = (1, c)
            case .subtract: (scale, offset) = (1, -c)
            case .subtractFrom: (scale, offset) = (-1, c)
            case .scaleAndOffset: (scale, offset) = (c, layer.offset)
            }
            self.init(.elementwise(.scaleAndOffset, scale, offset: offset))
        default:
            self.init(layer)
        }
    }

    var description: String { "\(kind) units \(units) act \(activation)/\(recurrentActivation) cell \(cell) \(directions) \(operation) \(constant) \(offset) \(target)" }
}

/// Models built in recur from layer lists, covering every layer and option the exporter
/// writes, with deterministic weights.
enum ArchModels {
    static let all: [ExportableModel] = [
        // The course's shape with every constant operation, a noise layer and both directions.
        model("course_ops", [nil], [
            ("expand", .expandDims(axis: -1)),
            ("gru_back", .recurrent(.gruResetBefore, units: 3, returnSequences: true, directions: .backward)),
            ("bi_sum", .recurrent(.lstm, units: 4, recurrentActivation: .sigmoid, returnSequences: true, directions: .bidirectional, merge: .sum)),
            ("drop", nil),
            ("bi_concat", .recurrent(.simple, units: 2, activation: .relu, directions: .bidirectional, merge: .concat)),
            ("dense", .dense(units: 3, activation: .gelu)),
            ("act", .activation(.softsign)),
            ("add", .elementwise(.add, 2)),
            ("sub", .elementwise(.subtract, 0.5)),
            ("sub_from", .elementwise(.subtractFrom, 3)),
            ("div", .elementwise(.divide, 7)),
            ("mul", .elementwise(.multiply, 100)),
            ("rescale", .elementwise(.scaleAndOffset, 0.25, offset: -1.5)),
        ]),
        // expand_dims at axis 1, Dense per time step, Flatten; a fixed window.
        model("axis1_flatten", [12], [
            ("expand", .expandDims(axis: 1)),
            ("per_step", .dense(units: 5, activation: .tanh, useBias: false)),
            ("flat", Layer(kind: .flatten)),
            ("noise", nil),
            ("out", .dense(units: 2, activation: .swish)),
        ]),
        // Features, a Reshape, GRU with reset_after and the other merges.
        model("features_reshape", [nil, 2], [
            ("reshape", .reshape(to: .sequence(-1, 1))),
            ("bi_ave", .recurrent(.gruResetAfter, units: 3, returnSequences: true, directions: .bidirectional, merge: .average)),
            ("bi_mul", .recurrent(.gruResetAfter, units: 2, useBias: false, returnSequences: true, directions: .bidirectional, merge: .multiply)),
            ("lstm_back", .recurrent(.lstm, units: 3, activation: .elu, recurrentActivation: .tanh, directions: .backward)),
            ("out", .dense(units: 1)),
        ]),
        // Convolutions with each padding, pooling, dropout.
        model("conv_pool", [nil, 2], [
            ("causal", .conv1D(filters: 4, window: Window(size: 3, dilation: 2, padding: .causal), activation: .relu)),
            ("spatial_drop", .dropout(rate: 0.25, spatial: true)),
            ("max_pool", .pool1D(Window(size: 2, stride: 2), average: false)),
            ("same", .conv1D(filters: 3, window: Window(size: 2, stride: 2, padding: .same), useBias: false)),
            ("avg_pool", .pool1D(Window(size: 2, stride: 1, padding: .same), average: true)),
            ("drop", .dropout(rate: 0.5)),
            ("valid", .conv1D(filters: 2, window: Window(size: 2), activation: .tanh)),
            ("global", .globalPool1D(average: false)),
            ("out", .dense(units: 1)),
        ]),
    ]

    static func model(_ name: String, _ inputDims: [Int?], _ layers: [(String, Layer?)]) -> ExportableModel {
        let exportable = layers.map { name, kernel -> ExportableLayer in
            if let kernel { return ExportableLayer(name: name, kernel: kernel) }
            return name == "noise"
                ? .identity(name: name, className: "GaussianNoise", options: .object([("stddev", .number(0.1))]))
                : .identity(name: name, className: "GaussianDropout", options: .object([("rate", .number(0.2))]))
        }
        let table = layers.compactMap(\.1)
        let input = ExportTests.shape(inputDims, window: inputDims[0] ?? 9)
        let count = (try? Network(layers: table, input: input, batch: 1).plan.parameterCount) ?? 0
        let weights = (0..<count).map { Float(sin(Double($0) * 1.7 + 0.3) * 0.6) }
        return ExportableModel(name: name, inputDims: inputDims, layers: exportable, weights: weights)
    }
}
