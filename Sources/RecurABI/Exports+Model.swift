import RecurKernel
import RecurKeras

// recur.h's model calls and the making of sessions. Each checks every pointer and number it
// is given and fails with a status and one sentence rather than trapping.

/// A failure whose sentence is written: the status to return.
struct Failure: Error {
    let status: Int32
}

func openModel(_ pointer: OpaquePointer) -> OpenModel {
    Unmanaged<OpenModel>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
}

@_cdecl("recur_model_open")
public func recurModelOpen(_ path: UnsafePointer<CChar>?, _ model: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guard let model else { return failNull("recur_model_open", "model") }
    model.pointee = nil
    guard let path else { return failNull("recur_model_open", "path") }
    do throws(RecurError) {
        let opened = try OpenModel(path: String(cString: path))
        model.pointee = OpaquePointer(Unmanaged.passRetained(opened).toOpaque())
        return Status.ok
    } catch {
        return fail(error)
    }
}

@_cdecl("recur_model_close")
public func recurModelClose(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<OpenModel>.fromOpaque(UnsafeRawPointer(model)).release()
}

/// One number of the model at `pointer`, or -1 and the sentence for a NULL.
func query(_ pointer: OpaquePointer?, _ function: StaticString, _ value: (OpenModel) -> Int) -> Int32 {
    guard let pointer else {
        _ = failNull(function, "model")
        return -1
    }
    return Int32(value(openModel(pointer)))
}

@_cdecl("recur_model_window")
public func recurModelWindow(_ model: OpaquePointer?) -> Int32 {
    query(model, "recur_model_window") { $0.fixedWindow ?? 0 }
}

@_cdecl("recur_model_features")
public func recurModelFeatures(_ model: OpaquePointer?) -> Int32 {
    query(model, "recur_model_features") { $0.features }
}

@_cdecl("recur_model_outputs")
public func recurModelOutputs(_ model: OpaquePointer?) -> Int32 {
    query(model, "recur_model_outputs") { $0.outputs }
}

@_cdecl("recur_model_batch")
public func recurModelBatch(_ model: OpaquePointer?) -> Int32 {
    query(model, "recur_model_batch") { $0.statefulBatch ?? 0 }
}

@_cdecl("recur_session_bytes")
public func recurSessionBytes(_ model: OpaquePointer?, _ batch: Int32, _ window: Int32) -> Int {
    let function: StaticString = "recur_session_bytes"
    guard let model else {
        _ = failNull(function, "model")
        return 0
    }
    let open = openModel(model)
    do throws(Failure) {
        let window = try open.sessionWindow(batch: batch, window: window, function: function)
        return try open.withPlan(window: window, batch: Int(batch)) { result, table throws(Failure) in
            let plan = try open.checked(result)
            return SessionLayout(plan: plan, layers: table, window: window).totalBytes
        }
    } catch {
        return 0
    }
}

@_cdecl("recur_session_init")
public func recurSessionInit(
    _ model: OpaquePointer?, _ memory: UnsafeMutableRawPointer?, _ bytes: Int, _ batch: Int32, _ window: Int32,
    _ session: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    let function: StaticString = "recur_session_init"
    guard let session else { return failNull(function, "session") }
    session.pointee = nil
    guard let model else { return failNull(function, "model") }
    guard let memory else { return failNull(function, "memory") }
    guard Int(bitPattern: memory) % Arena.alignment == 0 else {
        return fail(Status.usage) { $0.append("recur_session_init: the memory must be aligned to 64 bytes (RECUR_SESSION_ALIGNMENT)") }
    }
    let open = openModel(model)
    do throws(Failure) {
        let window = try open.sessionWindow(batch: batch, window: window, function: function)
        try open.withPlan(window: window, batch: Int(batch)) { result, table throws(Failure) in
            let layout = SessionLayout(plan: try open.checked(result), layers: table, window: window)
            guard bytes >= layout.totalBytes else {
                throw Failure(status: fail(Status.usage) { text in
                    text.append("recur_session_init: the session needs ")
                    text.append(layout.totalBytes)
                    text.append(" bytes (recur_session_bytes), not ")
                    text.append(bytes)
                })
            }
            open.build(in: memory, layout: layout, table: table)
        }
        session.pointee = OpaquePointer(memory)
        return Status.ok
    } catch {
        return error.status
    }
}

extension OpenModel {
    /// The window a session of `window` steps (0: the model's own) runs, after checking both
    /// numbers as the commands check theirs, and that the input fits in memory at all (the
    /// planner's sizes then fit in 64 bits).
    func sessionWindow(batch: Int32, window: Int32, function: StaticString) throws(Failure) -> Int {
        let steps = try resolvedWindow(batch: batch, window: window, function: function)
        guard Int(batch) * steps * features <= Self.largestInput else {
            throw Failure(status: fail(Status.usage) { text in
                text.append(function)
                text.append(": a batch of ")
                text.append(Int(batch))
                text.append(" windows of ")
                text.append(steps)
                text.append(" steps is more than any memory holds")
            })
        }
        return steps
    }

    /// Floats in the largest input a session takes (16 GiB).
    static let largestInput = 1 << 32

    private func resolvedWindow(batch: Int32, window: Int32, function: StaticString) throws(Failure) -> Int {
        guard batch >= 1 else {
            throw Failure(status: fail(Status.usage) { text in
                text.append(function)
                text.append(": the batch must be at least 1, not ")
                text.append(Int(batch))
            })
        }
        guard window >= 0 else {
            throw Failure(status: fail(Status.usage) { text in
                text.append(function)
                text.append(": the window must be at least 1 (or 0: the model's own), not ")
                text.append(Int(window))
            })
        }
        if let rows = statefulBatch, Int(batch) != rows {
            throw mismatch(" is stateful with a batch of ", rows, ": its sessions run that batch, not ", Int(batch))
        }
        if let fixedWindow {
            guard window == 0 || Int(window) == fixedWindow else {
                throw mismatch(" takes windows of ", fixedWindow, " steps, not ", Int(window))
            }
            return fixedWindow
        }
        if window > 0 { return Int(window) }
        if statefulBatch != nil { return 1 }
        throw Failure(status: fail(Status.usage) { text in
            text.append(keras.path)
            text.append(" takes windows of any length; give ")
            text.append(function)
            text.append(" a window")
        })
    }

    /// "PATH takes windows of 12 steps, not 5": a number of the call that is not the model's.
    private func mismatch(_ before: StaticString, _ models: Int, _ between: StaticString, _ given: Int) -> Failure {
        Failure(status: fail(Status.usage) { text in
            text.append(keras.path)
            text.append(before)
            text.append(models)
            text.append(between)
            text.append(given)
        })
    }

    /// The plan, or the sentence `makeNetwork` gives for a layer that cannot run or weights that
    /// do not fit.
    func checked(_ result: Result<NetworkPlan, PlanError>) throws(Failure) -> NetworkPlan {
        switch result {
        case .failure(let error):
            throw Failure(status: fail(Status.data) { text in
                text.append(keras.path)
                text.append(": layer '")
                text.append(layerNames[error.layer])
                text.append("' cannot run: ")
                text.append(error.reason)
            })
        case .success(let plan):
            guard plan.parameterCount == keras.weights.count else {
                throw Failure(status: fail(Status.data) { text in
                    text.append(keras.path)
                    text.append(": the model needs ")
                    text.append(plan.parameterCount)
                    text.append(" weights for this input but the file holds ")
                    text.append(keras.weights.count)
                })
            }
            return plan
        }
    }

    /// Builds a session where `layout` says, from the planned `table`: the network with its
    /// weights copied in, and the stream when the model can stream in it. Allocates: never.
    func build(in memory: UnsafeMutableRawPointer, layout: SessionLayout, table: UnsafeBufferPointer<Layer>) {
        let plan = layout.plan
        let arena = Arena(borrowing: UnsafeMutableRawBufferPointer(start: memory + layout.arenaOffset, count: plan.totalBytes))
        let network = Network(layers: table, plan: plan, arena: arena)
        if !keras.weights.isEmpty {
            keras.weights.withUnsafeBufferPointer { network.parameters.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        }
        let refusal = StreamRefusal(model: self, window: layout.window, plan: plan)
        var stream: UnsafeMutablePointer<StreamForecaster>? = nil
        if refusal == nil {
            let scratch = (memory + layout.scratchOffset).bindMemory(to: Float.self, capacity: layout.scratchFloats)
            stream = (memory + layout.streamOffset).bindMemory(to: StreamForecaster.self, capacity: 1)
            stream!.initialize(to: StreamForecaster(for: network, window: layout.window, scratch: scratch))
        }
        memory.bindMemory(to: Session.self, capacity: 1).initialize(to: Session(
            tag: Session.tag, model: Unmanaged.passUnretained(self), network: network, batch: plan.batchCapacity,
            window: layout.window, isStateful: statefulBatch != nil, stream: stream, streamRefusal: refusal,
            stateStaging: (memory + layout.stateOffset).bindMemory(to: Float.self, capacity: layout.stateFloats),
            stateFloats: layout.stateFloats))
    }
}
