import RecurKernel

// recur.h's session calls. None allocates or makes a system call, failures included: they
// check their arguments, run the kernel on the session's memory, and write any sentence into
// the thread's fixed buffer.

/// Calls `body` with the session at `pointer`, or fails: NULL, or memory that
/// recur_session_init did not make a session of.
func withSession<R>(
    _ pointer: OpaquePointer?, _ function: StaticString, failed: R, _ body: (UnsafeMutablePointer<Session>) -> R
) -> R {
    guard let pointer else {
        _ = failNull(function, "session")
        return failed
    }
    let raw = UnsafeMutableRawPointer(pointer)
    guard Int(bitPattern: raw) % Arena.alignment == 0,
          raw.assumingMemoryBound(to: Session.self).pointee.tag == Session.tag else {
        _ = fail(Status.usage) { text in
            text.append(function)
            text.append(": the session is not one that recur_session_init made")
        }
        return failed
    }
    return body(raw.assumingMemoryBound(to: Session.self))
}

@_cdecl("recur_session_window")
public func recurSessionWindow(_ session: OpaquePointer?) -> Int32 {
    withSession(session, "recur_session_window", failed: -1) { Int32($0.pointee.window) }
}

@_cdecl("recur_session_outputs")
public func recurSessionOutputs(_ session: OpaquePointer?) -> Int32 {
    withSession(session, "recur_session_outputs", failed: -1) { Int32($0.pointee.network.plan.output.count) }
}

@_cdecl("recur_predict")
public func recurPredict(
    _ session: OpaquePointer?, _ input: UnsafePointer<Float>?, _ rows: Int32, _ output: UnsafeMutablePointer<Float>?
) -> Int32 {
    let function: StaticString = "recur_predict"
    return withSession(session, function, failed: Status.usage) { session in
        guard let input else { return failNull(function, "input") }
        guard let output else { return failNull(function, "output") }
        let batch = session.pointee.batch, rows = Int(rows)
        guard rows >= 1 && rows <= batch else {
            return fail(Status.usage) { text in
                text.append("recur_predict: rows must be from 1 to the session's batch of ")
                text.append(batch)
                text.append(", not ")
                text.append(rows)
            }
        }
        if session.pointee.isStateful && rows != batch {
            return fail(Status.usage) { text in
                text.append(session.pointee.openModel.keras.path)
                text.append(" is stateful with a batch of ")
                text.append(batch)
                text.append(": each call carries every row's state on, so rows must be ")
                text.append(batch)
                text.append(", not ")
                text.append(rows)
            }
        }
        let width = session.pointee.network.plan.input.count
        for index in 0..<rows * width where !input[index].isFinite {
            return fail(Status.data) { text in
                text.append("recur_predict: row ")
                text.append(index / width + 1)
                text.append(", value ")
                text.append(index % width + 1)
                text.append(" is not a finite number")
            }
        }
        session.pointee.network.input.update(from: input, count: rows * width)
        session.pointee.network.forward(batch: rows)
        output.update(from: session.pointee.network.output, count: rows * session.pointee.network.plan.output.count)
        return Status.ok
    }
}

@_cdecl("recur_push")
public func recurPush(
    _ session: OpaquePointer?, _ sample: Float, _ forecast: UnsafeMutablePointer<Float>?, _ ready: UnsafeMutablePointer<Int32>?
) -> Int32 {
    push(session, "recur_push", sample, horizon: 1, forecast, ready)
}

@_cdecl("recur_push_ahead")
public func recurPushAhead(
    _ session: OpaquePointer?, _ sample: Float, _ horizon: Int32, _ forecasts: UnsafeMutablePointer<Float>?,
    _ ready: UnsafeMutablePointer<Int32>?
) -> Int32 {
    push(session, "recur_push_ahead", sample, horizon: horizon, forecasts, ready)
}

func push(
    _ session: OpaquePointer?, _ function: StaticString, _ sample: Float, horizon: Int32,
    _ forecasts: UnsafeMutablePointer<Float>?, _ ready: UnsafeMutablePointer<Int32>?
) -> Int32 {
    withSession(session, function, failed: Status.usage) { session in
        guard let ready else { return failNull(function, "ready") }
        ready.pointee = 0
        guard let forecasts else { return failNull(function, "forecast") }
        if let refusal = session.pointee.streamRefusal {
            return refusal.fail(function, path: session.pointee.openModel.keras.path)
        }
        let outputs = session.pointee.network.plan.output.count
        guard horizon >= 1 else {
            return fail(Status.usage) { text in
                text.append(function)
                text.append(": the horizon must be at least 1, not ")
                text.append(Int(horizon))
            }
        }
        guard horizon == 1 || outputs == 1 else {
            return fail(Status.usage) { text in
                text.append(session.pointee.openModel.keras.path)
                text.append(" outputs ")
                text.append(outputs)
                text.append(" values per window; a horizon above 1 feeds each forecast back as the next sample, so it needs a model that outputs one")
            }
        }
        guard sample.isFinite else {
            return fail(Status.data) { text in
                text.append(function)
                text.append(": the sample is not a finite number")
            }
        }
        let stream = session.pointee.stream!
        if stream.pointee.push(sample, horizon: Int(horizon), into: forecasts, on: session.pointee.network) {
            ready.pointee = 1
        }
        return Status.ok
    }
}

@_cdecl("recur_reset")
public func recurReset(_ session: OpaquePointer?) -> Int32 {
    withSession(session, "recur_reset", failed: Status.usage) { session in
        if let stream = session.pointee.stream {
            stream.pointee.reset(session.pointee.network)
        } else {
            session.pointee.network.resetStates()
        }
        return Status.ok
    }
}
