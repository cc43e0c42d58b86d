/// A task of a pair: `task(context, index)` for index 0 and 1.
public typealias PairTask = @convention(c) (UnsafeMutableRawPointer?, Int) -> Void
/// Runs `task(context, 0)` and `task(context, 1)`, possibly at the same time, and returns when
/// both are done (the host's `recur_run_pair`).
public typealias PairRunner = @convention(c) (UnsafeMutableRawPointer?, PairTask?) -> Void

/// A planned network in its arena: the layer table, parameters and every buffer.
///
/// Built once; after that, ``forward(batch:)`` runs with no allocation and no system call.
public struct Network: ~Copyable {
    public let arena: Arena
    public let plan: NetworkPlan
    /// Runs two tasks at once (the directions of a Bidirectional layer, the two halves of a
    /// batch through a one-direction recurrent layer, or two parts of such a layer's weight
    /// gradients), when the host gives a second thread; without one, they run one after the
    /// other. Either way the numbers are the same.
    public var pairRunner: PairRunner? = nil

    /// Copies the planned layer table into the arena and clears the rest.
    ///
    /// - Parameters:
    ///   - layers: the table that ``NetworkPlan/init(layers:input:batch:training:optimizerSlots:)``
    ///     planned.
    ///   - arena: at least `plan.totalBytes` bytes.
    public init(layers: UnsafeBufferPointer<Layer>, plan: NetworkPlan, arena: consuming Arena) {
        precondition(layers.count == plan.layerCount, "layer table does not match its plan")
        precondition(arena.capacity >= plan.totalBytes, "arena is smaller than the plan")
        let table = arena.base.bindMemory(to: Layer.self, capacity: layers.count)
        for index in 0..<layers.count { (table + index).initialize(to: layers[index]) }
        let floatsAfterTable = (plan.totalBytes - plan.sizes.table) / 4
        arena.zero(at: plan.sizes.table / 4, count: floatsAfterTable)
        self.arena = arena
        self.plan = plan
    }

    /// The layer table.
    public var layers: UnsafeMutableBufferPointer<Layer> {
        UnsafeMutableBufferPointer(start: arena.base.assumingMemoryBound(to: Layer.self), count: plan.layerCount)
    }

    /// All parameters, in Keras's weight order, layer after layer.
    public var parameters: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: arena.floats(at: plan.parameters), count: plan.parameterCount)
    }

    /// The gradients, parallel to ``parameters`` (training plans only).
    public var gradients: UnsafeMutableBufferPointer<Float> {
        precondition(plan.training, "an inference plan has no gradients")
        return UnsafeMutableBufferPointer(start: arena.floats(at: plan.gradients), count: plan.parameterCount)
    }

    /// The input of `batchCapacity` samples, `[batch, input.count]`.
    public var input: UnsafeMutablePointer<Float> { arena.floats(at: plan.inputBuffer) }

    /// The output of the last ``forward(batch:)``, `[batch, output.count]`.
    public var output: UnsafeMutablePointer<Float> { arena.floats(at: plan.outputBuffer) }

    /// Runs every layer on the first `batch` samples of ``input``, as at inference (dropout is
    /// the identity).
    ///
    /// Allocates: never.
    public func forward(batch: Int) {
        forward(batch: batch, dropout: nil)
    }

    /// Runs every layer; with `dropout`, dropout layers draw their masks from it (training).
    func forward(batch: Int, dropout: UnsafeMutablePointer<RandomNumbers>?) {
        precondition(batch > 0 && batch <= plan.batchCapacity, "batch exceeds the planned capacity")
        let table = layers
        var input = plan.inputBuffer
        var stacked = false
        for index in 0..<table.count {
            let layer = table[index]
            if stacked {
                // Run with the layer before it.
                stacked = false
                input = layer.outputBuffer
                continue
            }
            if layer.kind == .recurrent && runsAsStack(index, batch: batch) {
                stackedSimpleForward(layer, table[index + 1], input: arena.floats(at: input))
                stacked = true
                input = layer.outputBuffer
                continue
            }
            switch layer.kind {
            case .dense:
                denseForward(layer, input: arena.floats(at: input), batch: batch, training: plan.training)
            case .recurrent:
                recurrentForward(layer, index: index, input: arena.floats(at: input), batch: batch, dropout: dropout)
            case .elementwise:
                elementwiseForward(
                    layer, output: arena.floats(at: layer.outputBuffer), input: arena.floats(at: input),
                    count: batch * layer.input.count)
            case .activation:
                layer.activation.apply(
                    arena.floats(at: input), to: arena.floats(at: layer.outputBuffer), count: batch * layer.input.count)
            case .conv1D:
                conv1DForward(layer, input: arena.floats(at: input), batch: batch, training: plan.training)
            case .pool1D:
                pool1DForward(layer, input: arena.floats(at: input), batch: batch, training: plan.training)
            case .globalPool1D:
                globalPool1DForward(layer, input: arena.floats(at: input), batch: batch, training: plan.training)
            case .dropout:
                // Without its own memory (an inference plan) it is a view of its input.
                guard plan.training else { break }
                if let dropout {
                    dropoutForward(layer, input: arena.floats(at: input), batch: batch, random: &dropout.pointee)
                } else {
                    arena.floats(at: layer.outputBuffer).update(from: arena.floats(at: input), count: batch * layer.input.count)
                }
            case .expandDims, .flatten, .reshape:
                break
            }
            input = layer.outputBuffer
        }
    }

    /// Clears the recurrent state carried between calls (the initial state of every recurrent
    /// layer), as Keras's `reset_states()`.
    /// Runs `body(0)` and `body(1)` with the pair runner, or in turn without one.
    func runPair<Job>(_ job: inout Job, _ task: PairTask) {
        if let pairRunner {
            withUnsafeMutablePointer(to: &job) { pairRunner(UnsafeMutableRawPointer($0), task) }
        } else {
            withUnsafeMutablePointer(to: &job) {
                task(UnsafeMutableRawPointer($0), 0)
                task(UnsafeMutableRawPointer($0), 1)
            }
        }
    }

    public func resetStates() {
        let table = layers
        for index in table.indices where table[index].kind == .recurrent {
            table[index].stateIsCarried = false
            let layer = table[index]
            let batch = plan.batchCapacity
            for direction in 0..<layer.directions.count {
                let state = direction == 0 ? layer.forwardState : layer.backwardState
                arena.zero(at: state.initialHidden, count: batch * layer.units)
                if layer.cell == .lstm { arena.zero(at: state.initialCell, count: batch * layer.units) }
            }
        }
    }
}

#if !hasFeature(Embedded)
extension Network {
    /// Plans `layers` for `input` and `batch`, allocates the arena once, and builds the network.
    /// Allocates: once, here (the arena), plus a temporary copy of the table.
    public init(
        layers: [Layer], input: TensorShape, batch: Int, training: Bool = false, optimizerSlots: Int = 0
    ) throws(PlanError) {
        var table = layers
        let plan = try table.withUnsafeMutableBufferPointer { buffer throws(PlanError) in
            try NetworkPlan(layers: buffer, input: input, batch: batch, training: training, optimizerSlots: optimizerSlots)
        }
        let staging = UnsafeMutableBufferPointer<Layer>.allocate(capacity: table.count)
        defer { staging.deallocate() }
        _ = staging.initialize(fromContentsOf: table)
        self.init(layers: UnsafeBufferPointer(staging), plan: plan, arena: Arena(capacity: plan.totalBytes))
    }
}
#endif
