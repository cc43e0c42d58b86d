import RecurKernel

/// A session (`recur_session`), built in the caller's memory:
///
///     | Session | StreamForecaster | the network's arena | the stream's scratch | a state |
///
/// each part starting on 64 bytes. Nothing in it owns memory elsewhere, so the caller ends a
/// session by freeing or reusing the memory, without a call.
struct Session: ~Copyable {
    /// Marks memory that holds a session, so that a pointer to anything else is refused.
    static let tag: UInt64 = 0x7265_6375_7273_6573
    let tag: UInt64
    /// Not retained: the caller keeps the model open while it uses the session.
    let model: Unmanaged<OpenModel>
    let network: Network
    let batch: Int
    let window: Int
    /// Whether the model carries a state from call to call (every call runs the whole batch).
    let isStateful: Bool
    /// The stream (at its own address, so that a call can change it while reading `network`),
    /// unless the model cannot stream in this session (``streamRefusal``).
    let stream: UnsafeMutablePointer<StreamForecaster>?
    let streamRefusal: StreamRefusal?
    /// Room for one state (``StateFormat``), so that saving and loading never read or write
    /// the caller's buffer as floats, whatever its alignment.
    let stateStaging: UnsafeMutablePointer<Float>
    let stateFloats: Int

    var openModel: OpenModel { model.takeUnretainedValue() }
}

/// Where the parts of a session lie in its memory.
struct SessionLayout {
    let plan: NetworkPlan
    let window: Int
    let streamOffset: Int
    let arenaOffset: Int
    let scratchOffset: Int
    let scratchFloats: Int
    let stateOffset: Int
    let stateFloats: Int
    let totalBytes: Int

    init(plan: NetworkPlan, layers: UnsafeBufferPointer<Layer>, window: Int) {
        self.plan = plan
        self.window = window
        let carried = Network.carriedStateCount(layers: layers, batch: plan.batchCapacity)
        streamOffset = roundedUp(MemoryLayout<Session>.stride)
        arenaOffset = streamOffset + roundedUp(MemoryLayout<StreamForecaster>.stride)
        scratchOffset = arenaOffset + roundedUp(plan.totalBytes)
        scratchFloats = StreamForecaster.scratchCount(window: window, carriedStateCount: carried)
        stateOffset = scratchOffset + roundedUp(scratchFloats * 4)
        stateFloats = StreamForecaster.stateCount(window: window, carriedStateCount: carried)
        totalBytes = stateOffset + roundedUp(stateFloats * 4)
    }
}

/// Up to a multiple of the session alignment (recur.h's RECUR_SESSION_ALIGNMENT).
func roundedUp(_ bytes: Int) -> Int {
    (bytes + Arena.alignment - 1) / Arena.alignment * Arena.alignment
}

/// Why a session cannot stream: `recur stream` refuses the same models.
enum StreamRefusal: Equatable {
    /// A stateful model whose file fixes windows of more than one step (65).
    case statefulFixedWindow(Int)
    /// A stateful model in a session of a window other than 1 (64).
    case statefulWindow(Int)
    /// A stateful model of several sequences (65).
    case statefulBatch(Int)
    /// A model that takes several values per step (65).
    case features(Int)

    init?(model: OpenModel, window: Int, plan: NetworkPlan) {
        if let rows = model.statefulBatch {
            if let fixed = model.fixedWindow, fixed != 1 {
                self = .statefulFixedWindow(fixed)
                return
            }
            if window != 1 {
                self = .statefulWindow(window)
                return
            }
            if rows != 1 {
                self = .statefulBatch(rows)
                return
            }
        }
        guard plan.input.count == window else {
            self = .features(plan.input.count / window)
            return
        }
        return nil
    }

    /// The status and the sentence, as `recur stream` words them for its command line:
    /// "PATH<before>N<between>FUNCTION<after>".
    func fail(_ function: StaticString, path: String) -> Int32 {
        let (status, before, number, between, after): (Int32, StaticString, Int, StaticString, StaticString)
        switch self {
        case .statefulFixedWindow(let steps):
            (status, before, number, between, after) = (Status.data, " is stateful with windows of ", steps, " steps; ",
                                                        " feeds a stateful model one sample per step")
        case .statefulWindow(let window):
            (status, before, number, between, after) = (Status.usage, " is stateful and the session's window is ", window,
                                                        " steps; ", " feeds a stateful model one sample per step, its state carried, so its session needs window 1")
        case .statefulBatch(let rows):
            (status, before, number, between, after) = (Status.data, " is stateful with a batch of ", rows, "; ",
                                                        " runs one sequence")
        case .features(let features):
            (status, before, number, between, after) = (Status.data, " takes ", features, " values per step; ",
                                                        " takes one sample at a time")
        }
        return RecurABI.fail(status) { text in
            text.append(path)
            text.append(before)
            text.append(number)
            text.append(between)
            text.append(function)
            text.append(after)
        }
    }
}
