extension Network {
    /// Floats in the state that a stateful model (Keras's `stateful=True`) carries from one call
    /// to the next: for each stateful recurrent layer and direction, `[batchCapacity, units]`
    /// hidden values, and as many cell values for an LSTM. Zero for a model without state.
    public var carriedStateCount: Int {
        Self.carriedStateCount(layers: UnsafeBufferPointer(layers), batch: plan.batchCapacity)
    }

    /// ``carriedStateCount`` of a planned layer table, before its network is built.
    public static func carriedStateCount(layers: UnsafeBufferPointer<Layer>, batch: Int) -> Int {
        var count = 0
        for layer in layers where layer.kind == .recurrent && layer.stateful {
            count += layer.directions.count * batch * layer.units * (layer.cell == .lstm ? 2 : 1)
        }
        return count
    }

    /// Writes the state the next call starts from (``carriedStateCount`` floats), layer by
    /// layer, direction by direction, row by row: the hidden values, then an LSTM's cell values.
    ///
    /// Allocates: never.
    public func saveCarriedState(to target: UnsafeMutablePointer<Float>) {
        var cursor = target
        forEachCarriedRow { source, units in
            cursor.update(from: source, count: units)
            cursor += units
        }
    }

    /// Makes the next call start from a state that ``saveCarriedState(to:)`` wrote (of this
    /// network, or of one planned from the same model for the same batch).
    ///
    /// Allocates: never.
    public func loadCarriedState(from source: UnsafePointer<Float>) {
        var cursor = source
        // The initial-state buffers take it, and the forward pass reads them as they are.
        let table = layers
        for index in table.indices where table[index].kind == .recurrent && table[index].stateful {
            table[index].stateIsCarried = false
        }
        forEachCarriedRow { target, units in
            target.update(from: cursor, count: units)
            cursor += units
        }
    }

    /// Calls `body` with each row of carried state, in the order of ``saveCarriedState(to:)``:
    /// where a forward pass left its final state (the last step it cached), or, before one has
    /// run since a reset or a load, the initial-state buffers.
    private func forEachCarriedRow(_ body: (UnsafeMutablePointer<Float>, Int) -> Void) {
        let batch = plan.batchCapacity
        for layer in layers where layer.kind == .recurrent && layer.stateful {
            let units = layer.units
            let cachedSteps = plan.training ? layer.input.steps : 1
            for direction in 0..<layer.directions.count {
                let state = direction == 0 ? layer.forwardState : layer.backwardState
                let carried = layer.stateIsCarried
                let rowStride = carried ? cachedSteps * units : units
                let first = carried ? (cachedSteps - 1) * units : 0
                let hidden = carried ? state.hidden : state.initialHidden
                for row in 0..<batch { body(arena.floats(at: hidden) + first + row * rowStride, units) }
                guard layer.cell == .lstm else { continue }
                let cell = carried ? state.cellState : state.initialCell
                for row in 0..<batch { body(arena.floats(at: cell) + first + row * rowStride, units) }
            }
        }
    }
}
