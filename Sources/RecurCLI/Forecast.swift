import ArgumentParser
import RecurKeras

/// `recur forecast`: the course's one-step-ahead forecast over the validation range.
struct Forecast: RecurCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forecast a series one step ahead over its validation range, as the course does.",
        discussion: """
            For every time t from SPLIT on, the model sees series[t-W ..< t] and forecasts \
            series[t]. Prints 'MAE: <value>' and 'MSE: <value>' over series[SPLIT...]. With no \
            arguments it runs the shipped default model on the course's series. --plot draws the \
            series and the forecast over that range; --json prints the errors, and those of the \
            naive forecast (each value forecast by the one before it), as one JSON object.

            Example:
              recur forecast models/e1_simplernn.h5 --series models/course_series.csv --window 20 --split 1000 \\
                --plot forecast.svg
            """)

    @Argument(help: ArgumentHelp("The Keras model file (default: the shipped \(Defaults.model)).", valueName: "model"), completion: .file())
    var model: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("A CSV file holding the series (default: the course's series).", valueName: "csv"), completion: .file())
    var series: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The series' column: a header name or a 1-based number (default: the last column).", valueName: "name"))
    var column: String?

    @Option(parsing: .unconditional, help: "Steps per window (default: the model's own, else the course's \(Defaults.window)).")
    var window: Int?

    @Option(parsing: .unconditional, help: "The first time step forecast (the course's split_time).")
    var split = Defaults.split

    @Option(parsing: .unconditional, help: ArgumentHelp("Write time,value,forecast rows for the validation range to this CSV file.", valueName: "csv"), completion: .file())
    var output: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Draw the series and the forecast over the validation range in this SVG file.", valueName: "file.svg"), completion: .file(extensions: ["svg"]))
    var plot: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("With --plot: label the time axis with this column of the series file (a year, a time stamp), not the row.", valueName: "name"))
    var timeColumn: String?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    @Option(parsing: .unconditional, help: "Windows run together.")
    var batch = 32

    @OptionGroup var modelOptions: ModelOptions

    func validate() throws {
        try OptionBounds.check("--batch", batch, in: OptionBounds.sizes)
        try OptionBounds.check("--window", window, in: OptionBounds.sizes)
        try OptionBounds.check("--split", split, in: OptionBounds.counts)
        if let plot, !plot.hasSuffix(".svg") { throw ValidationError("--plot must name a .svg file") }
    }

    func execute() throws(RecurError) {
        let modelPath = model ?? Defaults.locate(Defaults.model)
        let seriesPath = series ?? Defaults.locate(Defaults.series)
        let model = try modelOptions.load(modelPath)
        let series = try Series(path: seriesPath, column: column)
        let window = self.window ?? model.fixedWindow ?? Defaults.window
        let result = try forecast(model: model, series: series.values, window: window, split: split, batch: batch)
        if let output {
            var csv = "time,value,forecast\n"
            for (offset, prediction) in result.forecasts.enumerated() {
                let time = split + offset
                csv += "\(time),\(NumberText.format(series.values[time])),\(NumberText.format(prediction))\n"
            }
            try AtomicFile.write(csv, to: output)
        }
        if let plot {
            let times = try timeColumn.map { name throws(RecurError) in try Series(path: seriesPath, column: name) }
            if let times, times.values.count != series.values.count {
                throw .data("\(seriesPath): column \(times.column) has \(times.values.count) numbers and column \(series.column) \(series.values.count)")
            }
            try Plots.write(Plots.forecast(series: series.values, forecasts: result.forecasts, split: split, mae: result.mae, model: modelPath, seriesName: seriesPath, column: series.column, times: times), to: plot)
        }
        if json {
            let naive = naiveErrors(series: series.values, split: split)
            JSON.print([
                ("model", .string(modelPath)), ("series", .string(seriesPath)), ("column", .string(series.column)),
                ("window", .int(window)), ("split", .int(split)), ("count", .int(result.forecasts.count)),
                ("mae", .finite(result.mae)), ("mse", .finite(result.mse)),
                ("naive_mae", .finite(naive.mae)), ("naive_mse", .finite(naive.mse)),
            ])
        } else {
            Console.out("MAE: \(NumberText.format(result.mae, digits: 7))\nMSE: \(NumberText.format(result.mse, digits: 7))\n")
        }
    }
}

/// The errors over `series[split...]` of the naive forecast, which forecasts each value by the
/// one before it (the course's baseline), in float32 as ``forecast(model:series:window:split:batch:)``
/// measures.
func naiveErrors(series: [Double], split: Int) -> (mae: Double, mse: Double) {
    var absolute = 0.0, squared = 0.0
    for time in split..<series.count {
        let error = Double(Float(series[time])) - Double(Float(series[time - 1]))
        absolute += abs(error)
        squared += error * error
    }
    let count = Double(series.count - split)
    return (absolute / count, squared / count)
}

/// One-step-ahead forecasts of `series[split...]` and their errors.
struct ForecastResult {
    var forecasts: [Float]
    var mae: Double
    var mse: Double
}

/// The course's loop: the window `series[t-W ..< t]` forecasts `series[t]` for each `t` from
/// `split` to the end. Windows are rounded to float32 as Keras rounds its float64 input, and the
/// errors are taken against the float32 truth, as `keras.metrics.mean_absolute_error` casts it.
func forecast(model: KerasModel, series: [Double], window: Int, split: Int, batch: Int) throws(RecurError) -> ForecastResult {
    guard split >= window else {
        throw .usage("--split \(split) leaves no full window of \(window) steps before it")
    }
    guard split < series.count else {
        throw .usage("--split \(split) is past the end of the series (\(series.count) values)")
    }
    let count = series.count - split
    let network = try model.makeNetwork(window: window, batch: min(batch, count))
    let plan = network.plan
    guard plan.input.count == window else {
        throw .data("\(model.path) takes samples of \(plan.input.count) values, not windows of one series of \(window) steps")
    }
    guard plan.output.count == 1 else {
        throw .data("\(model.path) outputs \(plan.output.count) values per window; a one-step forecast needs one")
    }
    var forecasts = [Float](repeating: 0, count: count)
    runBatches(network, count: count,
        fill: { index, target in
            let start = split + index - window
            for step in 0..<window { target[step] = Float(series[start + step]) }
        },
        take: { index, output in forecasts[index] = output[0] })
    var absolute = 0.0, squared = 0.0
    for (index, prediction) in forecasts.enumerated() {
        let error = Double(Float(series[split + index])) - Double(prediction)
        absolute += abs(error)
        squared += error * error
    }
    return ForecastResult(forecasts: forecasts, mae: absolute / Double(count), mse: squared / Double(count))
}
