import ArgumentParser
import RecurKeras

/// How a command finds its model: the file, the architecture of a file that holds weights
/// only, and Lambda layers mapped by hand.
struct ModelOptions: ParsableArguments {
    // Not `--arch`: `train` and `lr-find` already take `--arch` for the model they build, and a
    // command cannot take one option name twice.
    @Option(
        name: .customLong("config"), parsing: .unconditional,
        help: ArgumentHelp(
            "The architecture of a weights-only model file (.weights.h5, or Keras 2's save_weights .h5): the model's .keras, full .h5 or model.to_json() JSON file, or a layer list in --arch's syntax for weights recur wrote, e.g. \"SimpleRNN(40), Dense(1), Scale(100)\".",
            valueName: "arch"))
    var architecture: String?

    @Option(
        name: .customLong("lambda"), parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "Map a Lambda layer by hand: NAME=expand-dims, NAME=scale:C (x*C), NAME=divide:C, NAME=add:C, NAME=subtract:C. Repeatable.",
            valueName: "name=op"))
    var lambdas: [String] = []

    @Option(
        name: .customLong("max-memory"), parsing: .unconditional,
        help: ArgumentHelp(
            "Refuse, before allocating, a model whose memory would exceed this many bytes (suffix K, M or G; default: half of this machine's memory).",
            valueName: "bytes"))
    var maxMemory: String?

    /// Checks `--max-memory` and makes it the command's ``MemoryBudget``.
    func validate() throws {
        do { MemoryBudget.limit = try memoryLimit() } catch { throw ValidationError(error.message) }
    }

    /// The `--max-memory` limit in bytes.
    func memoryLimit() throws(RecurError) -> Int {
        guard let maxMemory else { return defaultMemoryLimit }
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        var digits = Substring(maxMemory)
        var scale = 1
        if let last = digits.last, let unit = units[last] {
            scale = unit
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0, value <= Int.max / scale else {
            throw .usage("--max-memory \(maxMemory): give a number of bytes, e.g. 64M or 2G")
        }
        return value * scale
    }

    /// Parses the `--lambda` mappings.
    func lambdaOverrides() throws(RecurError) -> [String: LambdaOperation] {
        var result: [String: LambdaOperation] = [:]
        for mapping in lambdas {
            let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw .usage("--lambda \(mapping): write it as NAME=OPERATION, e.g. lambda_1=scale:100")
            }
            let operation = parts[1].split(separator: ":", maxSplits: 1).map(String.init)
            let constant = operation.count == 2 ? Double(operation[1]) : nil
            switch (operation[0], constant) {
            case ("expand-dims", nil) where operation.count == 1: result[parts[0]] = .expandDims(axis: -1)
            case ("scale", let c?), ("multiply", let c?): result[parts[0]] = .arithmetic(.multiply, c)
            case ("divide", let c?): result[parts[0]] = .arithmetic(.divide, c)
            case ("add", let c?): result[parts[0]] = .arithmetic(.add, c)
            case ("subtract", let c?): result[parts[0]] = .arithmetic(.subtract, c)
            default:
                throw .usage("--lambda \(mapping): the operation must be expand-dims, scale:C, divide:C, add:C or subtract:C")
            }
            if let refusal = result[parts[0]]?.refusal { throw .usage("--lambda \(mapping): \(refusal)") }
        }
        return result
    }

    func load(_ path: String) throws(RecurError) -> KerasModel {
        try Preflight.check(path: path, options: self)
        var model: KerasModel
        if let architecture {
            model = try KerasModel.load(weights: path, architecture: ArchitectureSource(argument: architecture), lambdaOverrides: try lambdaOverrides())
        } else {
            model = try KerasModel.load(path: path, lambdaOverrides: try lambdaOverrides())
        }
        model.memoryLimit = try memoryLimit()
        return model
    }
}
