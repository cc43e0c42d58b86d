import Testing
@testable import RecurKeras

@Suite struct ConfigTests {
    static func config(_ text: String) throws -> KerasModelConfig {
        try KerasModelConfig(JSON.parse(text))
    }

    @Test func keras3FunctionalChain() throws {
        let config = try Self.config("""
            {"class_name": "Functional", "config": {"name": "f", "layers": [
              {"class_name": "Dense", "config": {"name": "out", "units": 1}, "name": "out",
               "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "keras_history": ["mid", 0, 0]}}], "kwargs": {}}]},
              {"class_name": "InputLayer", "config": {"batch_shape": [null, 7, 2], "name": "in"}, "name": "in", "inbound_nodes": []},
              {"class_name": "LSTM", "config": {"name": "mid", "units": 4}, "name": "mid",
               "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 7, 2], "keras_history": ["in", 0, 0]}}], "kwargs": {}}]}
            ], "input_layers": [["in", 0, 0]], "output_layers": [["out", 0, 0]]}}
            """)
        #expect(config.layers.map(\.name) == ["mid", "out"])
        #expect(config.inputDims == [7, 2])
        #expect(config.weightOrder == ["out", "mid"])
    }

    @Test func keras2FunctionalChain() throws {
        let config = try Self.config("""
            {"class_name": "Model", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, null, 1], "name": "input_1"}, "name": "input_1", "inbound_nodes": []},
              {"class_name": "GRU", "config": {"name": "gru", "units": 3}, "name": "gru", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
              {"class_name": "Dense", "config": {"name": "dense", "units": 1}, "name": "dense", "inbound_nodes": [[["gru", 0, 0, {}]]]}
            ], "input_layers": [["input_1", 0, 0]], "output_layers": [["dense", 0, 0]]}}
            """)
        #expect(config.layers.map(\.name) == ["gru", "dense"])
        #expect(config.inputDims == [nil, 1])
    }

    @Test func refusesBranchingModels() {
        #expect(throws: RecurError.self) {
            try Self.config("""
                {"class_name": "Functional", "config": {"name": "f", "layers": [
                  {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "in"}, "name": "in", "inbound_nodes": []},
                  {"class_name": "Dense", "config": {"name": "a", "units": 1}, "name": "a", "inbound_nodes": [[["in", 0, 0, {}]]]},
                  {"class_name": "Dense", "config": {"name": "b", "units": 1}, "name": "b", "inbound_nodes": [[["in", 0, 0, {}]]]},
                  {"class_name": "Add", "config": {"name": "sum"}, "name": "sum", "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]}
                ], "input_layers": [["in", 0, 0]], "output_layers": [["sum", 0, 0]]}}
                """)
        }
    }

    static func mapped(_ className: String, _ config: String, kerasMajor: Int = 3) throws(RecurError) -> ModelLayer {
        let json = try! JSON.parse(config)
        return try mapLayer(KerasLayerConfig(className: className, name: json["name"]?.string ?? "x", config: json),
                            MappingContext(kerasMajor: kerasMajor))
    }

    @Test func hardSigmoidFollowsTheKerasVersion() throws {
        let config = #"{"name": "l", "units": 2, "recurrent_activation": "hard_sigmoid"}"#
        #expect(try Self.mapped("LSTM", config, kerasMajor: 3).kernel?.recurrentActivation == .hardSigmoid)
        #expect(try Self.mapped("LSTM", config, kerasMajor: 2).kernel?.recurrentActivation == .hardSigmoidKeras2)
    }

    /// Options that change the numbers and are not implemented are refused by name.
    @Test(arguments: [
        ("Conv1D", #"{"name": "c", "filters": 2, "kernel_size": 3, "groups": 2}"#, "groups"),
        ("LSTM", #"{"name": "l", "units": 2, "return_state": true}"#, "return_state"),
        ("GRU", #"{"name": "g", "units": 2, "time_major": true}"#, "time_major"),
        ("Dense", #"{"name": "d", "units": 2, "activation": "softmax"}"#, "softmax"),
        ("Dense", #"{"name": "d", "units": 2, "some_new_option": 3}"#, "some_new_option"),
        ("Dense", #"{"name": "d", "units": 2, "dtype": "mixed_float16"}"#, "mixed_float16"),
        ("Conv2D", #"{"name": "c", "filters": 2}"#, "Conv2D"),
        ("Bidirectional", #"{"name": "b", "merge_mode": null, "layer": {"class_name": "LSTM", "config": {"name": "l", "units": 2}}}"#, "merge"),
        ("Lambda", #"{"name": "lam", "function": {"class_name": "__lambda__", "config": {"code": "AAAA"}}}"#, "--lambda lam="),
        ("Dense", #"{"name": "d", "units": 0}"#, "units"),
    ])
    func refusesWithTheOptionNamed(className: String, config: String, named: String) {
        do {
            _ = try Self.mapped(className, config)
            Issue.record("\(className) \(config) was accepted")
        } catch {
            #expect(error.message.contains(named), "\(error.message)")
            #expect(error.exitCode == 65)
        }
    }

    @Test func acceptsOptionsThatOnlyShapeTraining() throws {
        let layer = try Self.mapped("LSTM", """
            {"name": "l", "units": 2, "dropout": 0.2, "recurrent_dropout": 0.1, "unroll": true, "implementation": 2,
             "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
             "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}}, "seed": 7, "use_cudnn": "auto"}
            """)
        #expect(layer.kernel?.units == 2)
    }
}
