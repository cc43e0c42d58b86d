import ArgumentParser
import CIOSupport
import RecurKeras

/// `recur predict MODEL --input FILE|-`: one output line per input line.
struct Predict: RecurCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Keras model on samples, one per line.",
        discussion: """
            Each input line is one sample: comma-separated floats, the T values of a window, or \
            T·F values time-major for a model with F features. Each output line is that sample's \
            output, flattened and comma-separated, printed with %.9g so that it parses back to \
            the same float32. Blank lines are skipped.

            Example:
              recur predict models/e1_simplernn.h5 --input windows.csv
            """)

    @Argument(help: ArgumentHelp("The Keras model file.", valueName: "model"), completion: .file())
    var model: String

    @Option(help: ArgumentHelp("The samples, one per line; - reads standard input.", valueName: "file"), completion: .file())
    var input: String

    @Option(help: "Samples run together; larger batches amortise the per-step cost.")
    var batch = 32

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    func execute() throws(RecurError) {
        let model = try modelOptions.load(self.model)
        let source = input == "-" ? "standard input" : input
        let bytes = input == "-" ? try StandardInput.readAll() : try FileBytes.read(input)
        var samples: [(line: Int, values: [Float])] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\r" || $0 == "\t" }) { continue }
            var values: [Float] = []
            for (field, text) in line.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
                switch NumberText.parseFloat(text) {
                case .success(let value): values.append(value)
                case .failure(let failure):
                    throw .data("\(source) line \(offset + 1): field \(field + 1) '\(text.trimmingSpaces)' \(failure.reason)")
                }
            }
            samples.append((offset + 1, values))
        }
        guard let first = samples.first else { return }

        // The window length follows from the line length when the model leaves it open.
        let features = model.inputDims.count == 2 ? (model.inputDims[1] ?? 1) : 1
        guard first.values.count % features == 0 else {
            throw .data("\(source) line \(first.line): \(first.values.count) values do not make whole steps of \(features) features")
        }
        let window = model.fixedWindow ?? first.values.count / features
        if let rows = model.statefulBatch, samples.count % rows != 0 {
            throw .data("\(self.model) is stateful with a batch of \(rows): it needs the samples in whole batches of \(rows) lines, not \(samples.count)")
        }
        let network = try model.makeNetwork(window: window, batch: min(batch, samples.count))
        let width = network.plan.input.count
        for sample in samples where sample.values.count != width {
            throw .data("\(source) line \(sample.line): \(sample.values.count) values, but \(self.model) takes \(width) per sample")
        }
        let outputWidth = network.plan.output.count
        var out = ""
        runBatches(network, count: samples.count,
            fill: { index, target in
                samples[index].values.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: width) }
            },
            take: { _, output in
                for j in 0..<outputWidth {
                    if j > 0 { out += "," }
                    out += NumberText.format(output[j])
                }
                out += "\n"
                if out.utf8.count > 1 << 16 {
                    Console.out(out)
                    out = ""
                }
            })
        Console.out(out)
    }
}

/// Reading all of standard input.
enum StandardInput {
    static func readAll() throws(RecurError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { recur_read_some(0, $0.baseAddress, $0.count, nil) }
            if count == 0 { return bytes }
            guard count > 0 else { throw .noInput("standard input cannot be read") }
            bytes += chunk.prefix(count)
        }
    }
}
