import ArgumentParser
import RecurKernel
import RecurKeras

/// `recur inspect MODEL`: the model as Keras's `summary()` shows it, and its memory plan.
struct Inspect: RecurCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's layers, parameter counts and the memory recur plans for it.",
        discussion: """
            The table has the layout of Keras's model.summary(). Below it: where the file came \
            from, and the arena recur allocates once for a batch and window: weights, gradients, \
            optimizer slots, activations, scratch, total bytes. With --training the arena is the \
            one 'recur train' allocates with that --optimizer and --batch.

            Examples:
              recur inspect models/e3_bilstm2.h5 --window 20 --batch 1
              recur inspect models/e3_bilstm2.h5 --training --optimizer adam --batch 32
            """)

    @Argument(help: ArgumentHelp("The Keras model file.", valueName: "model"), completion: .file())
    var model: String

    @Option(parsing: .unconditional, help: "Steps per window for the memory plan (default: the model's own, else \(Defaults.window)).")
    var window: Int?

    @Option(parsing: .unconditional, help: "Samples per batch for the memory plan.")
    var batch = 1

    @Flag(help: "Plan the memory for training (gradients, optimizer slots, every step's activations).")
    var training = false

    @Option(parsing: .unconditional, help: "With --training: the optimizer whose slots to plan: sgd, adam or rmsprop.")
    var optimizer: TrainingOptions.OptimizerName = .sgd

    @Option(parsing: .unconditional, help: "With --training: the momentum (0 gives SGD and RMSprop one slot fewer).")
    var momentum: Double = 0.9

    @Flag(help: "Print the layers, the file's origin and the memory plan as one JSON object.")
    var json = false

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        try OptionBounds.check("--batch", batch, in: OptionBounds.sizes)
        try OptionBounds.check("--window", window, in: OptionBounds.sizes)
        try OptionBounds.check("--momentum", momentum, in: OptionBounds.fraction, below: true)
    }

    func execute() throws(RecurError) {
        let model = try modelOptions.load(self.model)
        let window = self.window ?? model.fixedWindow ?? Defaults.window
        let slots = training ? optimizer.rule(momentum: momentum, nesterov: false).slotCount : 0
        let network = try model.makeNetwork(window: window, batch: batch, training: training, optimizerSlots: slots)
        let rows = summaryRows(of: model, planned: Array(network.layers))
        let sizes = network.plan.sizes
        // The layer table and the memory reused between layers are both working space.
        let regions: [(name: String, key: String, bytes: Int)] = [
            ("weights", "weights", sizes.parameters), ("gradients", "gradients", sizes.gradients),
            ("optimizer slots", "optimizer_slots", sizes.optimizer), ("activations", "activations", sizes.activations),
            ("scratch", "scratch", sizes.scratch + sizes.table), ("total", "total", sizes.total),
        ]
        if json {
            JSON.print([
                ("model", .string(model.path)), ("name", .string(model.config.name)),
                ("keras_version", model.kerasVersion.map(JSON.string) ?? .null), ("backend", model.backend.map(JSON.string) ?? .null),
                ("layers", .array(rows.map { row in
                    .object([
                        ("name", .string(row.name)), ("class", .string(row.className)),
                        ("output_shape", .array(row.shape.map { $0.map(JSON.int) ?? .null })), ("params", .int(row.parameters)),
                    ])
                })),
                ("total_params", .int(rows.map(\.parameters).reduce(0, +))),
                ("arena", .object([
                    ("batch", .int(batch)), ("window", .int(window)), ("training", .bool(training)),
                    ("optimizer", training ? .string(optimizer.rawValue) : .null), ("slots_per_weight", .int(slots)),
                    ("bytes", .object(regions.map { (key: $0.key, value: JSON.int($0.bytes)) })),
                ])),
            ])
            return
        }
        Console.out(summary(model.config.name, rows))
        var text = "\n"
        text += ConsoleText.line("File: \(model.path) (Keras \(model.kerasVersion ?? "version not recorded"), backend \(model.backend ?? "not recorded"))", limit: 1000) + "\n"
        if training {
            text += "Arena for training with \(optimizer.rawValue) (\(slots) slot\(slots == 1 ? "" : "s") per weight), batch \(batch), window \(window): "
        } else {
            text += "Arena for batch \(batch), window \(window): "
        }
        text += "\(bytes(sizes.total)) (\(sizes.total) bytes)\n"
        for (name, _, count) in regions {
            let number = grouped(count)
            text += "  \(name)" + String(repeating: " ", count: 17 - name.count + max(0, 13 - number.count)) + number + " bytes\n"
        }
        Console.out(text)
    }
}

/// A row of Keras's summary table.
struct SummaryRow {
    let name: String
    let className: String
    /// `(None, 20, 64)` as `[nil, 20, 64]`; the time is nil when the model takes any length.
    let shape: [Int?]
    let parameters: Int
}

/// The rows of Keras's summary table for `model`, with output shapes from the planned table.
func summaryRows(of model: KerasModel, planned: [Layer]) -> [SummaryRow] {
    let variableTime = model.fixedWindow == nil
    var kernelIndex = 0
    var shape = (try? model.inputShape(window: model.fixedWindow ?? Defaults.window)) ?? .vector(0)
    return model.layers.map { layer in
        var parameters = 0
        if layer.kernel != nil {
            let planned = planned[kernelIndex]
            kernelIndex += 1
            shape = planned.output
            parameters = planned.parameterCount
        }
        let dims: [Int?] = shape.hasTime ? [nil, variableTime ? nil : shape.steps, shape.features] : [nil, shape.features]
        return SummaryRow(name: layer.name, className: layer.className, shape: dims, parameters: parameters)
    }
}

/// Keras 3's `model.summary()` text: the table of `rows` under the model's name, then the totals.
func summary(_ name: String, _ rows: [SummaryRow]) -> String {
    let widths = [33, 24, 15]
    func row(_ cells: [String], left: String, middle: String, right: String, alignRight: [Bool]) -> String {
        var line = left
        for (index, cell) in cells.enumerated() {
            let room = widths[index] - 2
            // Names come from the file: escaped, so that they cannot act on the terminal.
            let cell = ConsoleText.line(cell, limit: 1000)
            let text = cell.count > room ? String(cell.prefix(room - 1)) + "…" : cell
            let fill = String(repeating: " ", count: room - text.count)
            line += " " + (alignRight[index] ? fill + text : text + fill) + " "
            line += index == cells.count - 1 ? right : middle
        }
        return line + "\n"
    }
    func rule(_ left: String, _ fill: String, _ middle: String, _ right: String) -> String {
        left + widths.map { String(repeating: fill, count: $0) }.joined(separator: middle) + right + "\n"
    }
    var text = "Model: \"\(ConsoleText.line(name, limit: 200))\"\n"
    text += rule("┏", "━", "┳", "┓")
    text += row(["Layer (type)", "Output Shape", "Param #"], left: "┃", middle: "┃", right: "┃", alignRight: [false, false, true])
    text += rule("┡", "━", "╇", "┩")
    for (index, layer) in rows.enumerated() {
        let shown = "(" + layer.shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")"
        text += row(["\(layer.name) (\(layer.className))", shown, grouped(layer.parameters)], left: "│", middle: "│", right: "│", alignRight: [false, false, true])
        if index < rows.count - 1 { text += rule("├", "─", "┼", "┤") }
    }
    let total = rows.map(\.parameters).reduce(0, +)
    text += rule("└", "─", "┴", "┘")
    text += " Total params: \(grouped(total)) (\(bytes(total * 4)))\n"
    text += " Trainable params: \(grouped(total)) (\(bytes(total * 4)))\n"
    text += " Non-trainable params: 0 (0.00 B)\n"
    return text
}

/// `1234567` as `1,234,567`.
func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var text = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { text += "," }
        text.append(digit)
    }
    return text
}

/// A byte count as Keras prints it: B, KB, MB or GB (powers of 1024) with two decimals.
func bytes(_ count: Int) -> String {
    var value = Double(count)
    var unit = 0
    let units = ["B", "KB", "MB", "GB", "TB"]
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) \(units[unit])"
}
