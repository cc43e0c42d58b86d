import RecurKernel

/// The bytes recur_state_save writes: a header, then ``StreamForecaster``'s state as floats (the
/// window in time order, then a stateful model's state), all in this machine's byte order.
///
///     offset  0  "RECURST1"        8 bytes
///             8  version (1)       UInt32
///            12  window            UInt32
///            16  batch             UInt32
///            20  samples in the window (filled)  UInt32
///            24  the model's identity (OpenModel.identity)  UInt64
///            32  floats that follow  UInt64
///            40  the floats
///
/// Read and written byte by byte, so that the caller's buffer may have any alignment.
enum StateFormat {
    static let magic: UInt64 = 0x3154_5352_5543_4552  // "RECURST1" in little-endian order
    static let version: UInt32 = 1
    static let headerBytes = 40

    static func bytes(floats: Int) -> Int { headerBytes + 4 * floats }
}

@_cdecl("recur_state_bytes")
public func recurStateBytes(_ session: OpaquePointer?) -> Int {
    withSession(session, "recur_state_bytes", failed: 0) { StateFormat.bytes(floats: $0.pointee.stateFloats) }
}

@_cdecl("recur_state_save")
public func recurStateSave(_ session: OpaquePointer?, _ buffer: UnsafeMutableRawPointer?, _ bytes: Int) -> Int32 {
    withSession(session, "recur_state_save", failed: Status.usage) { session in
        guard let buffer else { return failNull("recur_state_save", "buffer") }
        let floats = session.pointee.stateFloats, needed = StateFormat.bytes(floats: floats)
        guard bytes >= needed else {
            return fail(Status.usage) { text in
                text.append("recur_state_save: the state needs ")
                text.append(needed)
                text.append(" bytes (recur_state_bytes), not ")
                text.append(bytes)
            }
        }
        let staging = session.pointee.stateStaging
        var filled = 0
        if let stream = session.pointee.stream {
            stream.pointee.saveState(to: staging, of: session.pointee.network)
            filled = stream.pointee.filled
        } else {
            staging.update(repeating: 0, count: session.pointee.window)
            session.pointee.network.saveCarriedState(to: staging + session.pointee.window)
        }
        buffer.storeBytes(of: StateFormat.magic, toByteOffset: 0, as: UInt64.self)
        buffer.storeBytes(of: StateFormat.version, toByteOffset: 8, as: UInt32.self)
        buffer.storeBytes(of: UInt32(session.pointee.window), toByteOffset: 12, as: UInt32.self)
        buffer.storeBytes(of: UInt32(session.pointee.batch), toByteOffset: 16, as: UInt32.self)
        buffer.storeBytes(of: UInt32(filled), toByteOffset: 20, as: UInt32.self)
        buffer.storeBytes(of: session.pointee.openModel.identity, toByteOffset: 24, as: UInt64.self)
        buffer.storeBytes(of: UInt64(floats), toByteOffset: 32, as: UInt64.self)
        (buffer + StateFormat.headerBytes).copyMemory(from: staging, byteCount: 4 * floats)
        return Status.ok
    }
}

@_cdecl("recur_state_load")
public func recurStateLoad(_ session: OpaquePointer?, _ buffer: UnsafeRawPointer?, _ bytes: Int) -> Int32 {
    withSession(session, "recur_state_load", failed: Status.usage) { session in
        guard let buffer else { return failNull("recur_state_load", "buffer") }
        let floats = session.pointee.stateFloats, window = session.pointee.window
        func refuse(_ reason: StaticString) -> Int32 {
            fail(Status.data) { text in
                text.append("recur_state_load: ")
                text.append(reason)
                text.append(" (")
                text.append(session.pointee.openModel.keras.path)
                text.append(", window ")
                text.append(window)
                text.append(", batch ")
                text.append(session.pointee.batch)
                text.append(")")
            }
        }
        guard bytes >= StateFormat.headerBytes,
              buffer.loadUnaligned(fromByteOffset: 0, as: UInt64.self) == StateFormat.magic,
              buffer.loadUnaligned(fromByteOffset: 8, as: UInt32.self) == StateFormat.version else {
            return refuse("the bytes are not a state that recur_state_save wrote")
        }
        guard buffer.loadUnaligned(fromByteOffset: 24, as: UInt64.self) == session.pointee.openModel.identity else {
            return refuse("the state was saved by a session of another model than this one")
        }
        // Another window's state loads only when its window is empty: the recurrent state alone.
        let savedWindow = Int(buffer.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let savedFloats = Int(clamping: buffer.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        let filled = Int(buffer.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
        guard buffer.loadUnaligned(fromByteOffset: 16, as: UInt32.self) == UInt32(session.pointee.batch),
              savedFloats - savedWindow == floats - window,
              savedWindow == window || filled == 0 else {
            return refuse("the state was saved by a session of another window or batch than this one")
        }
        guard bytes >= StateFormat.bytes(floats: savedFloats), filled <= window,
              filled == 0 || session.pointee.stream != nil else {
            return refuse("the state is cut short or damaged")
        }
        let staging = session.pointee.stateStaging
        staging.update(repeating: 0, count: window)
        UnsafeMutableRawPointer(staging + window).copyMemory(
            from: buffer + StateFormat.headerBytes + 4 * savedWindow, byteCount: 4 * (floats - window))
        if filled > 0 {
            UnsafeMutableRawPointer(staging).copyMemory(from: buffer + StateFormat.headerBytes, byteCount: 4 * window)
        }
        for index in 0..<floats where !staging[index].isFinite {
            return refuse("the state holds a value that is not a finite number")
        }
        if let stream = session.pointee.stream {
            stream.pointee.loadState(from: staging, filled: filled, into: session.pointee.network)
        } else {
            session.pointee.network.loadCarriedState(from: staging + window)
        }
        return Status.ok
    }
}
