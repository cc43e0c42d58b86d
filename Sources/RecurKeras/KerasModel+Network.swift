import CThreads
import Glibc
import RecurKernel

/// `RECUR_THREADS`: `1` keeps the kernel on one thread, `2` lets it use a second one for any
/// network; unset, it does so when the machine has more than one processor, for networks whose
/// halves are big enough to pay for the hand-off (batches and training, not one window at a
/// time, where a second thread saves microseconds but costs milliseconds whenever the scheduler
/// is slow to give it a core).
enum ThreadSetting {
    case one, two, automatic

    static let current: ThreadSetting = {
        guard let setting = getenv("RECUR_THREADS") else { return .automatic }
        switch String(cString: setting) {
        case "1": return .one
        case "2": return .two
        default: return .automatic
        }
    }()

    static let workerStarted: Bool = sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 && recur_start_worker() == 0

    static func useSecondThread(batch: Int, training: Bool) -> Bool {
        switch current {
        case .one: return false
        case .two: return recur_start_worker() == 0
        case .automatic: return (batch > 1 || training) && workerStarted
        }
    }
}

extension KerasModel {
    /// Plans a network for this model, allocates its arena once, and copies the weights in.
    ///
    /// - Parameters:
    ///   - window: the window length when the file leaves it open (ignored otherwise, unless it
    ///     contradicts the file).
    ///   - batch: the largest batch that will be run. A stateful model always runs the batch it
    ///     was built for (each row carries one sequence's state), whatever is asked.
    ///   - training: keep what a backward pass needs.
    ///   - optimizerSlots: optimizer values per parameter.
    public func makeNetwork(window: Int?, batch: Int, training: Bool = false, optimizerSlots: Int = 0) throws(RecurError) -> Network {
        let input = try inputShape(window: window)
        let batch = statefulBatch ?? batch
        var network = try planned(input: input, batch: batch, training: training, optimizerSlots: optimizerSlots)
        if ThreadSetting.useSecondThread(batch: batch, training: training) { network.pairRunner = recur_run_pair }
        guard network.plan.parameterCount == weights.count else {
            throw .data("\(path): the model needs \(network.plan.parameterCount) weights for this input but the file holds \(weights.count)")
        }
        weights.withUnsafeBufferPointer { source in
            network.parameters.baseAddress!.update(from: source.baseAddress!, count: source.count)
        }
        return network
    }
}

extension KerasModel {
    func planned(input: TensorShape, batch: Int, training: Bool, optimizerSlots: Int) throws(RecurError) -> Network {
        // Plan first (nothing is allocated) to refuse an arena over the limit.
        var table = kernelLayers
        let plan: NetworkPlan
        do throws(PlanError) {
            plan = try table.withUnsafeMutableBufferPointer { buffer throws(PlanError) in
                try NetworkPlan(layers: buffer, input: input, batch: batch, training: training, optimizerSlots: optimizerSlots)
            }
        } catch {
            throw planFailure(error)
        }
        guard plan.totalBytes <= memoryLimit else {
            throw .data("\(path) needs \(plan.totalBytes) bytes (\(megabytes(plan.totalBytes))) for a batch of \(batch), more than the limit of \(megabytes(memoryLimit)); lower --batch or raise --max-memory")
        }
        try MemoryBudget.reserve(plan.totalBytes, for: "the network of \(path) for a batch of \(batch)")
        do throws(PlanError) {
            return try Network(layers: kernelLayers, input: input, batch: batch, training: training, optimizerSlots: optimizerSlots)
        } catch {
            throw planFailure(error)
        }
    }

    func planFailure(_ error: PlanError) -> RecurError {
        let name = kernelLayerNames[safe: error.layer] ?? "?"
        return .data("\(path): layer '\(name)' cannot run: \(error.reason.text)")
    }
}

/// Half of the machine's memory, or of the address space the process may have (`ulimit -v`)
/// when that is less: a generous default that still refuses an arena the box cannot hold, before
/// trying to allocate it.
public let defaultMemoryLimit: Int = {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    var limit = pages > 0 && size > 0 ? pages / 2 * size : 1 << 32
    var space = rlimit()
    if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &space) == 0, space.rlim_cur != rlim_t.max {
        limit = min(limit, Int(clamping: space.rlim_cur / 2))
    }
    return limit
}()

/// A byte count in megabytes with one decimal, for messages.
public func megabytes(_ bytes: Int) -> String {
    let megabyte = 1 << 20
    let tenths = bytes / megabyte * 10 + (bytes % megabyte * 10 + megabyte / 2) / megabyte
    return "\(tenths / 10).\(tenths % 10) MB"
}

extension StaticString {
    /// The text, for messages built outside the kernel.
    var text: String { withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }
}
