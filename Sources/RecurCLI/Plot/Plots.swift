import RecurKeras

/// The course's three charts, as `--plot FILE.svg` writes them.
enum Plots {
    /// `recur forecast --plot`: the series and the forecast over the validation range
    /// (`series[split...]`), the MAE in the title; the time axis counts rows, or shows the
    /// values of a time column of the same file.
    static func forecast(series: [Double], forecasts: [Float], split: Int, mae: Double, model: String, seriesName: String, column: String, times: Series? = nil) -> Figure {
        let rows = split..<(split + forecasts.count)
        let time = { (row: Int) in times.map { $0.values[row] } ?? Double(row) }
        let truth = PlotLine(name: "series", points: rows.map { (time($0), Double(Float(series[$0]))) }, color: Figure.colors.series)
        let forecast = PlotLine(name: "forecast", points: zip(rows, forecasts).map { (time($0), Double($1)) }, color: Figure.colors.forecast)
        let panel = Panel(
            title: nil,
            x: PlotAxis(title: times?.column ?? "time step (row of \(baseName(seriesName)))", integral: times == nil),
            y: PlotAxis(title: column),
            lines: [truth, forecast])
        return Figure(title: "\(baseName(model)): forecast from step \(split), MAE \(NumberText.format(mae, digits: 5))", panels: [panel])
    }

    /// `recur lr-find --plot`: the loss against the learning rate on a logarithmic axis, the
    /// suggested rate marked. The y axis ends a little above the highest loss up to the lowest
    /// one, so that the descent is readable and the divergence runs off the top (the course
    /// sets the same axis by hand).
    static func learningRate(curve: [(rate: Double, loss: Double)], suggestion: Double?, title: String) -> Figure {
        let finite = curve.enumerated().filter { $0.element.loss.isFinite }
        let lowest = finite.min { $0.element.loss < $1.element.loss }?.offset ?? 0
        let focus = suggestion.flatMap { rate in curve.firstIndex { $0.rate >= rate } } ?? lowest
        let ceiling = curve[...max(focus, lowest)].map(\.loss).filter(\.isFinite).max() ?? 1
        let floor = min(0, finite.map(\.element.loss).min() ?? 0)
        var panel = Panel(
            title: nil,
            x: PlotAxis(title: "learning rate", kind: .logarithmic),
            y: PlotAxis(title: "loss", range: ceiling > floor ? (floor, floor + (ceiling - floor) * 1.1) : nil),
            lines: [PlotLine(name: "loss per epoch", points: curve.map { ($0.rate, $0.loss) }, color: Figure.colors.series)])
        if let suggestion {
            panel.markers = [PlotMarker(x: suggestion, label: "suggested \(NumberText.format(suggestion, digits: 3))", color: Figure.colors.marker)]
        }
        return Figure(title: title, panels: [panel])
    }

    /// `recur train --plot`: loss and MAE per epoch, and beside it the last fifth of the epochs
    /// on their own scale (the course's zoomed plot). The MAE shares the loss's axis when the
    /// two are of a size (Huber, MAE); when they are not (MSE is about the square of the MAE)
    /// it gets an axis of its own on the right, or it would lie flat along the bottom.
    static func training(history: [EpochResult], lossName: String, title: String) -> Figure {
        let epochs = history.enumerated().map { Double($0.offset + 1) }
        let finite = history.filter { $0.loss.isFinite && $0.mae.isFinite }
        let last = finite.suffix(max(1, finite.count / 5))
        let ratio = last.map(\.loss).reduce(0, +) / max(last.map(\.mae).reduce(0, +), .leastNormalMagnitude)
        let twoAxes = ratio > 3 || ratio < 1.0 / 3
        func panel(_ range: Range<Int>, title: String) -> Panel {
            let lines = [
                PlotLine(name: "loss (\(lossName))", points: range.map { (epochs[$0], history[$0].loss) }, color: Figure.colors.series),
                PlotLine(name: "mae", points: range.map { (epochs[$0], history[$0].mae) }, color: Figure.colors.mae, onRightAxis: twoAxes),
            ]
            return Panel(
                title: title, x: PlotAxis(title: "epoch", integral: true),
                y: PlotAxis(title: twoAxes ? "loss (\(lossName))" : "loss, mae"), y2: twoAxes ? PlotAxis(title: "mae") : nil,
                lines: lines)
        }
        let all = panel(0..<history.count, title: "all \(history.count) epochs")
        guard history.count >= 5 else { return Figure(title: title, panels: [all]) }
        // The last fifth, and at least two epochs so that it shows a line.
        let first = min(history.count * 4 / 5, history.count - 2)
        var zoomed = panel(first..<history.count, title: "last \(history.count - first) epochs: \(first + 1)–\(history.count)")
        zoomed.legend = false
        return Figure(title: title, panels: [all, zoomed])
    }

    /// Writes `figure` to `path` as SVG, whole or not at all.
    static func write(_ figure: Figure, to path: String) throws(RecurError) {
        try AtomicFile.write(figure.svg(), to: path)
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
