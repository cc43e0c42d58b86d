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

    @Option(parsing: .unconditional, help: ArgumentHelp("The samples, one per line; - reads standard input.", valueName: "file"), completion: .file())
    var input: String

    @Option(parsing: .unconditional, help: "Samples run together; larger batches amortise the per-step cost.")
    var batch = 32

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        try OptionBounds.check("--batch", batch, in: OptionBounds.sizes)
    }

    /// The longest input line: a window of 2^20 values (``OptionBounds/sizes``), each up to
    /// sixteen characters.
    static let lineLimit = 16 << 20

    func execute() throws(RecurError) {
        let model = try modelOptions.load(self.model)
        var reader = try LineReader(path: input, lineLimit: Self.lineLimit)
        let source = reader.name
        var samples: [(line: Int, values: [Float])] = []
        while let line = try reader.next() {
            if line.allSatisfy(Series.isSpace) { continue }
            var values: [Float] = []
            for (field, text) in line.split(separator: 0x2C, omittingEmptySubsequences: false).enumerated() {
                switch NumberText.parseFloat(text) {
                case .success(let value): values.append(value)
                case .failure(let failure):
                    throw .data("\(source) line \(reader.lineNumber): field \(field + 1) '\(Series.quoted(Series.text(text)))' \(failure.reason)")
                }
            }
            // Each sample is kept until all are read (a stateful model needs whole batches).
            try MemoryBudget.reserve(MemoryBudget.bytes(values.count, of: MemoryLayout<Float>.size) + 64, for: "the samples of \(source)")
            samples.append((reader.lineNumber, values))
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
