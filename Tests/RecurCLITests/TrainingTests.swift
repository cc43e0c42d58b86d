import Foundation
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurCLI
@testable import RecurKeras

@Suite(.serialized) struct TrainingTests {
    static func courseData(window: Int = 20, split: Int = 1000) throws -> TrainingData {
        let series = try Series(path: Fixtures.repository + "/models/course_series.csv", column: nil)
        return try TrainingData(series: series.values, window: window, split: split)
    }

    static func archModel(_ spec: String) throws -> KerasModel {
        var model = KerasModel(path: "--arch", inputDims: [nil], layers: try ArchitectureSpec(spec).layers, weights: [])
        model.weights = [Float](repeating: 0, count: try model.parameterCount())
        return model
    }

    /// Whole epochs — next batch, forward, loss, backward, clipping, update — allocate nothing
    /// once the session exists.
    @Test(arguments: [
        "Bidirectional(LSTM(8, return_sequences=True)), GRU(6), Dense(1), Scale(100)",
        "SimpleRNN(10, return_sequences=True), SimpleRNN(10), Dense(1), Scale(100)",
        "Conv1D(8, 3, padding='causal', activation='relu'), LSTM(6, return_sequences=True, dropout=0.2, recurrent_dropout=0.2), Dropout(0.1), GRU(4, reset_after=False, recurrent_dropout=0.3), Dense(1), Scale(100)",
        "Conv1D(6, 2, strides=2, padding='same'), MaxPooling1D(2), SpatialDropout1D(0.2), GlobalAveragePooling1D(), Dense(1)",
    ])
    func epochsDoNotAllocate(spec: String) throws {
        let data = try Self.courseData()
        var session = try TrainingSession(
            model: Self.archModel(spec), data: data, batch: 64,
            recipe: TrainingRecipe(loss: .huber(delta: 1), optimizer: .adamDefault, clipping: .globalNorm(5)),
            shuffleBuffer: 1000, seed: 3, initialize: true)
        _ = session.epoch(data, batch: 64, learningRate: { _ in 1e-4 }, stopRequested: { 0 })
        var control: [Int] = []
        #expect(allocations { for i in 0..<100 { control.append(i) } } > 0)
        let count = allocations {
            for _ in 0..<3 { _ = session.epoch(data, batch: 64, learningRate: { _ in 1e-4 }, stopRequested: { 0 }) }
        }
        #expect(count == 0)
    }

    /// The same seed gives the same weights, bit for bit; another seed does not.
    @Test func seedsRepeatRuns() throws {
        let data = try Self.courseData()
        func run(_ seed: UInt64) throws -> [Float] {
            var session = try TrainingSession(
                model: Self.archModel("LSTM(6), Dense(1), Scale(100)"), data: data, batch: 32,
                recipe: TrainingRecipe(loss: .meanSquaredError, optimizer: .sgd(momentum: 0.9, nesterov: false)),
                shuffleBuffer: 100, seed: seed, initialize: true)
            for _ in 0..<2 { _ = session.epoch(data, batch: 32, learningRate: { _ in 1e-6 }, stopRequested: { 0 }) }
            return session.parameters
        }
        #expect(try run(11) == run(11))
        #expect(try run(11) != run(12))
    }

    /// A shuffle buffer smaller than the data shuffles locally: an index never comes out more
    /// than `capacity − 1` places before its turn, and every window comes out once per epoch.
    @Test func shuffleBufferIsLocal() {
        var shuffle = WindowShuffle(capacity: 10)
        var random = RandomNumbers(seed: 5)
        shuffle.start(windowCount: 500)
        var seen: [Int] = []
        while let index = shuffle.next(&random) { seen.append(index) }
        #expect(seen.sorted() == Array(0..<500))
        for (position, index) in seen.enumerated() { #expect(index <= position + 9) }
        #expect(seen != Array(0..<500))
    }

    /// Keras's orthogonal initializer: QᵀQ = I for the recurrent kernel, limits for Glorot.
    @Test func initializersFollowKeras() throws {
        let network = try Network(layers: [.recurrent(.lstm, units: 8), .dense(units: 3)], input: .sequence(5, 2), batch: 1)
        var random = RandomNumbers(seed: 1)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: network.initializerScratchCount)
        defer { scratch.deallocate() }
        network.initializeParameters(random: &random, scratch: scratch)
        let p = Array(network.parameters)
        // kernel [2, 32]: Glorot limit sqrt(6 / 34).
        #expect(p[0..<64].allSatisfy { abs($0) <= Float(sqrt(6.0 / 34)) })
        // recurrent [8, 32]: rows orthonormal.
        let u = Array(p[64..<64 + 256])
        for r in 0..<8 {
            for s in 0..<8 {
                let dot = (0..<32).reduce(0.0) { $0 + Double(u[r * 32 + $1]) * Double(u[s * 32 + $1]) }
                #expect(abs(dot - (r == s ? 1 : 0)) < 1e-5)
            }
        }
        // bias [32]: forget gate (units 8..<16) one, others zero.
        let bias = Array(p[320..<352])
        #expect(bias == (0..<32).map { $0 >= 8 && $0 < 16 ? 1 : 0 })
    }
}
