import ArgumentParser
import RecurKernel
import RecurKeras

/// `recur inspect MODEL`: the model as Keras's `summary()` shows it, and its memory plan.
struct Inspect: RecurCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's layers, parameter counts and the memory recur plans for it.",
        discussion: """
            The table has the layout of Keras's model.summary(). Below it: where the file came \
            from, and the arena recur allocates once for a batch and window (weights, \
            activations, scratch, total bytes).

            Example:
              recur inspect models/e3_bilstm2.h5 --window 20 --batch 1
            """)

    @Argument(help: ArgumentHelp("The Keras model file.", valueName: "model"), completion: .file())
    var model: String

    @Option(help: "Steps per window for the memory plan (default: the model's own, else \(Defaults.window)).")
    var window: Int?

    @Option(help: "Samples per batch for the memory plan.")
    var batch = 1

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let window, window < 1 { throw ValidationError("--window must be at least 1") }
    }

    func execute() throws(RecurError) {
        let model = try modelOptions.load(self.model)
        let window = self.window ?? model.fixedWindow ?? Defaults.window
        let network = try model.makeNetwork(window: window, batch: batch)
        Console.out(summary(of: model, planned: Array(network.layers)))
        let sizes = network.plan.sizes
        var text = "\n"
        text += "File: \(model.path) (Keras \(model.kerasVersion ?? "version not recorded"), backend \(model.backend ?? "not recorded"))\n"
        text += "Arena for batch \(batch), window \(window): \(bytes(sizes.total)) (\(sizes.total) bytes)\n"
        text += "  weights      \(pad(sizes.parameters))\n"
        text += "  activations  \(pad(sizes.activations))\n"
        text += "  scratch      \(pad(sizes.scratch + sizes.table))\n"
        Console.out(text)
    }

    func pad(_ count: Int) -> String {
        let text = "\(count)"
        return String(repeating: " ", count: max(0, 10 - text.count)) + text + " bytes"
    }
}

/// Keras 3's `model.summary()` table for `model`, with output shapes from the planned table.
func summary(of model: KerasModel, planned: [Layer]) -> String {
    let widths = [33, 24, 15]
    func row(_ cells: [String], left: String, middle: String, right: String, alignRight: [Bool]) -> String {
        var line = left
        for (index, cell) in cells.enumerated() {
            let room = widths[index] - 2
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
    let variableTime = model.fixedWindow == nil
    var text = "Model: \"\(model.config.name)\"\n"
    text += rule("┏", "━", "┳", "┓")
    text += row(["Layer (type)", "Output Shape", "Param #"], left: "┃", middle: "┃", right: "┃", alignRight: [false, false, true])
    text += rule("┡", "━", "╇", "┩")
    var kernelIndex = 0
    var shape = (try? model.inputShape(window: model.fixedWindow ?? Defaults.window)) ?? .vector(0)
    var total = 0
    for (index, layer) in model.layers.enumerated() {
        var parameters = 0
        if layer.kernel != nil {
            let planned = planned[kernelIndex]
            kernelIndex += 1
            shape = planned.output
            parameters = planned.parameterCount
        }
        total += parameters
        let time = variableTime ? "None" : "\(shape.steps)"
        let shown = shape.hasTime ? "(None, \(time), \(shape.features))" : "(None, \(shape.features))"
        text += row(["\(layer.name) (\(layer.className))", shown, grouped(parameters)], left: "│", middle: "│", right: "│", alignRight: [false, false, true])
        if index < model.layers.count - 1 { text += rule("├", "─", "┼", "┤") }
    }
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
