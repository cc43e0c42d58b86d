import Glibc
import RecurKernel
import RecurKeras

/// A model opened through the C interface (`recur_model`): the Keras file read once, its layer
/// table before planning, and what sessions need to plan themselves without allocating.
final class OpenModel {
    let keras: KerasModel
    /// The kernel's layer table as the importer built it (unplanned), and its names.
    let layers: UnsafeMutableBufferPointer<Layer>
    let layerNames: [String]
    /// A copy of `layers` that a session's planning writes into, one planning at a time.
    private let planningTable: UnsafeMutableBufferPointer<Layer>
    private let planningLock: UnsafeMutablePointer<pthread_mutex_t>

    /// Steps per window when the file fixes them.
    let fixedWindow: Int?
    /// Floats per step, and whether a sample has steps (`[steps, features]`) or is one vector.
    let features: Int
    let hasSteps: Bool
    /// Floats per output sample; 0 when that depends on the window.
    let outputs: Int
    /// The batch of a stateful model.
    let statefulBatch: Int?
    /// What a saved state is checked against: a hash of the layers' kinds and sizes and of the
    /// weights.
    let identity: UInt64

    /// Reads the file. Allocates.
    init(path: String) throws(RecurError) {
        let keras = try KerasModel.load(path: path)
        // Refuses an input of another rank, as every command does before running.
        let nominal = try keras.inputShape(window: keras.fixedWindow ?? 16)
        self.keras = keras
        let table = keras.kernelLayers
        layers = .allocate(capacity: table.count)
        _ = layers.initialize(fromContentsOf: table)
        planningTable = .allocate(capacity: table.count)
        _ = planningTable.initialize(fromContentsOf: table)
        planningLock = .allocate(capacity: 1)
        pthread_mutex_init(planningLock, nil)
        layerNames = keras.kernelLayerNames
        fixedWindow = keras.fixedWindow
        // An input of one axis (the course's windows before expand_dims) is one value a step.
        hasSteps = keras.inputDims.count == 2
        features = hasSteps ? nominal.features : 1
        statefulBatch = keras.statefulBatch
        outputs = Self.outputCount(of: keras, fixedWindow: keras.fixedWindow)
        identity = Self.identity(layers: table, weights: keras.weights)
    }

    deinit {
        layers.deallocate()
        planningTable.deallocate()
        pthread_mutex_destroy(planningLock)
        planningLock.deallocate()
    }

    /// The input shape of a window of `window` steps.
    func inputShape(window: Int) -> TensorShape {
        hasSteps ? .sequence(window, features) : .vector(window)
    }

    /// Plans the layers for `window` and `batch` in the planning table and calls `body` with
    /// the planned table, under the model's lock. Allocates: never.
    func withPlan<R, E: Error>(
        window: Int, batch: Int, _ body: (Result<NetworkPlan, PlanError>, UnsafeBufferPointer<Layer>) throws(E) -> R
    ) throws(E) -> R {
        pthread_mutex_lock(planningLock)
        defer { pthread_mutex_unlock(planningLock) }
        _ = planningTable.update(fromContentsOf: layers)
        let plan: Result<NetworkPlan, PlanError>
        do throws(PlanError) {
            plan = .success(try NetworkPlan(layers: planningTable, input: inputShape(window: window), batch: batch))
        } catch {
            plan = .failure(error)
        }
        return try body(plan, UnsafeBufferPointer(planningTable))
    }

    /// The output's floats per sample, or 0 when a model of any window length gives outputs
    /// whose size follows the window (a sequence out).
    private static func outputCount(of keras: KerasModel, fixedWindow: Int?) -> Int {
        func count(_ window: Int) -> Int? {
            guard let input = try? keras.inputShape(window: window),
                  let last = try? keras.plannedLayers(input: input).last else { return nil }
            return last.output.count
        }
        if let fixedWindow { return count(fixedWindow) ?? 0 }
        guard let some = count(16), some == count(17) else { return 0 }
        return some
    }

    /// FNV-1a over what a layer computes and on what sizes, then over the weights' bits.
    private static func identity(layers: [Layer], weights: [Float]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ value: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash = (hash ^ (value >> UInt64(shift) & 0xFF)) &* 0x0000_0100_0000_01B3
            }
        }
        for layer in layers {
            mix(UInt64(layer.kind.rawValue) | UInt64(layer.cell.rawValue) << 8 | UInt64(layer.directions.rawValue) << 16)
            mix(UInt64(layer.units))
            mix(layer.stateful ? 1 : 0)
        }
        for weight in weights { mix(UInt64(weight.bitPattern)) }
        return hash
    }
}
