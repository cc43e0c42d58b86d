import CThreads
import Glibc
import RecurKernel

/// Whether the kernel may use a second thread: when the machine has more than one processor
/// and `RECUR_THREADS=1` does not say otherwise.
let secondThreadAvailable: Bool = {
    if let setting = getenv("RECUR_THREADS"), String(cString: setting) == "1" { return false }
    return sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 && recur_start_worker() == 0
}()

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
        if secondThreadAvailable { network.pairRunner = recur_run_pair }
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
        do throws(PlanError) {
            return try Network(layers: kernelLayers, input: input, batch: batch, training: training, optimizerSlots: optimizerSlots)
        } catch {
            let name = kernelLayerNames[safe: error.layer] ?? "?"
            throw .data("\(path): layer '\(name)' cannot run: \(error.reason.text)")
        }
    }
}

extension StaticString {
    /// The text, for messages built outside the kernel.
    var text: String { withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }
}
