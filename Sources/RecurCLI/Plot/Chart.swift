import Glibc

/// A line of data in a panel: `(x, y)` points in data units, drawn in order. Points with a
/// coordinate that is not finite are left out, and the line is broken there.
struct PlotLine {
    var name: String
    var points: [(x: Double, y: Double)]
    var color: String
    var width: Double = 1.6
    var dashed = false
    /// Measured on the panel's second y axis, on the right.
    var onRightAxis = false
}

/// A vertical line across a panel at `x`, labelled at its top (the suggested learning rate).
struct PlotMarker {
    var x: Double
    var label: String
    var color: String
}

/// One axis of a panel: its title, its kind, and the data range it shows (nil: the range of the
/// panel's data, with a margin on the y axis).
struct PlotAxis {
    var title: String
    var kind: Scale.Kind = .linear
    var range: (lower: Double, upper: Double)?
    /// Ticks only at whole numbers (epochs).
    var integral = false
}

/// A chart: axes with ticks, grid lines and titles, lines, markers and a legend.
struct Panel {
    var title: String?
    var x: PlotAxis
    var y: PlotAxis
    /// The axis on the right, for the lines `onRightAxis` (a quantity of another size).
    var y2: PlotAxis? = nil
    var lines: [PlotLine]
    var markers: [PlotMarker] = []
    var legend = true
}

/// A picture of one or more panels side by side under a title, as SVG.
struct Figure {
    var title: String
    var panels: [Panel]
    var width = 800
    var height = 400

    /// Where a panel is drawn: its plot area in pixels and the scales that map data into it.
    struct PanelLayout {
        let left: Double, top: Double, right: Double, bottom: Double
        let x: Scale
        let y: Scale
        /// The right-hand axis, when the panel has one.
        let y2: Scale?

        func pixel(_ x: Double, _ y: Double, right: Bool = false) -> Point {
            Point(x: self.x.pixel(x), y: (right ? y2 ?? self.y : self.y).pixel(y))
        }
    }

    static let colors = (series: "#1f77b4", forecast: "#ff7f0e", mae: "#d62728", marker: "#d62728", grid: "#e3e3e3", frame: "#555555", text: "#222222")

    /// The plot area and scales of every panel.
    func layout() -> [PanelLayout] {
        // A right-hand axis needs room for its labels and title.
        let rightRoom = panels.contains { $0.y2 != nil } ? 60.0 : 0
        let marginLeft = 74.0, marginRight = 18.0 + rightRoom, gap = 78.0 + rightRoom
        let top = 58.0, bottom = Double(height) - 52
        let available = Double(width) - marginLeft - marginRight - gap * Double(panels.count - 1)
        let panelWidth = available / Double(panels.count)
        return panels.enumerated().map { index, panel in
            let left = marginLeft + Double(index) * (panelWidth + gap)
            let right = left + panelWidth
            // A time axis ends at the data; a logarithmic one keeps a margin so that a marker at
            // the last rate stays off the frame.
            let (xLower, xUpper) = Self.range(panel.x, values: panel.lines.flatMap { $0.points.map(\.x) } + panel.markers.map(\.x), margin: panel.x.kind == .linear ? 0 : 0.02)
            let (yLower, yUpper) = Self.range(panel.y, values: panel.lines.filter { !$0.onRightAxis }.flatMap { $0.points.map(\.y) }, margin: 0.05)
            let y2 = panel.y2.map { axis in
                let (lower, upper) = Self.range(axis, values: panel.lines.filter(\.onRightAxis).flatMap { $0.points.map(\.y) }, margin: 0.05)
                return Scale(kind: axis.kind, lower: lower, upper: upper, start: bottom, end: top, integral: axis.integral)
            }
            return PanelLayout(
                left: left, top: top, right: right, bottom: bottom,
                x: Scale(kind: panel.x.kind, lower: xLower, upper: xUpper, start: left, end: right, integral: panel.x.integral),
                y: Scale(kind: panel.y.kind, lower: yLower, upper: yUpper, start: bottom, end: top, integral: panel.y.integral),
                y2: y2)
        }
    }

    /// The range an axis shows: the one it was given, or that of the finite values (positive
    /// ones on a logarithmic axis) widened by `margin` of its length on each side. A linear
    /// axis shows values within ±1e300 (beyond, its length would overflow; they are drawn at
    /// its edge), over a length of at least a billionth of their size (shorter, its ticks would
    /// fall between neighbouring doubles).
    static func range(_ axis: PlotAxis, values: [Double], margin: Double) -> (Double, Double) {
        if let range = axis.range, range.lower < range.upper { return (range.lower, range.upper) }
        let usable = values.filter { $0.isFinite && (axis.kind == .linear ? abs($0) <= 1e300 : $0 > 0) }
        guard var lower = usable.min(), var upper = usable.max() else { return axis.kind == .linear ? (0, 1) : (1, 10) }
        switch axis.kind {
        case .linear:
            if lower == upper {
                lower -= max(abs(lower) * 0.1, 0.5)
                upper += max(abs(upper) * 0.1, 0.5)
            }
            let shortest = max(abs(lower), abs(upper)) * 1e-9
            if upper - lower < shortest {
                let middle = lower / 2 + upper / 2
                lower = middle - shortest
                upper = middle + shortest
            }
            let pad = (upper - lower) * margin
            return (lower - pad, upper + pad)
        case .logarithmic:
            if lower == upper {
                lower /= 2
                upper *= 2
            }
            let factor = pow10((log10(upper) - log10(lower)) * margin)
            return (lower / factor, upper * factor)
        }
    }

    /// The picture as an SVG document.
    func svg() -> String {
        var svg = SVGWriter(width: width, height: height)
        svg.rectangle(x: 0, y: 0, width: Double(width), height: Double(height), fill: "#ffffff")
        svg.text(title, at: Point(x: Double(width) / 2, y: 26), size: 16, anchor: .middle, bold: true)
        for (index, (panel, layout)) in zip(panels, layout()).enumerated() {
            draw(panel, in: layout, clip: "plot\(index)", on: &svg)
        }
        return svg.document
    }

    private func draw(_ panel: Panel, in area: PanelLayout, clip: String, on svg: inout SVGWriter) {
        let colors = Self.colors
        let width = area.right - area.left, height = area.bottom - area.top
        svg.clipRectangle(id: clip, x: area.left, y: area.top, width: width, height: height)
        if let title = panel.title {
            svg.text(title, at: Point(x: (area.left + area.right) / 2, y: area.top - 8), size: 13, anchor: .middle)
        }

        // Grid and ticks.
        for tick in area.x.minorTicks() {
            let x = area.x.pixel(tick)
            svg.line(from: Point(x: x, y: area.bottom), to: Point(x: x, y: area.bottom + 3), stroke: colors.frame, crisp: true)
        }
        for tick in area.y.minorTicks() {
            let y = area.y.pixel(tick)
            svg.line(from: Point(x: area.left - 3, y: y), to: Point(x: area.left, y: y), stroke: colors.frame, crisp: true)
        }
        let xTicks = area.x.ticks(target: width < 500 ? 5 : 8)
        for (tick, label) in zip(xTicks, area.x.labels(xTicks)) {
            let x = area.x.pixel(tick)
            svg.line(from: Point(x: x, y: area.top), to: Point(x: x, y: area.bottom), stroke: colors.grid, crisp: true)
            svg.line(from: Point(x: x, y: area.bottom), to: Point(x: x, y: area.bottom + 5), stroke: colors.frame, crisp: true)
            svg.text(label, at: Point(x: x, y: area.bottom + 19), size: 12, anchor: .middle)
        }
        let yTicks = area.y.ticks(target: 6)
        for (tick, label) in zip(yTicks, area.y.labels(yTicks)) {
            let y = area.y.pixel(tick)
            svg.line(from: Point(x: area.left, y: y), to: Point(x: area.right, y: y), stroke: colors.grid, crisp: true)
            svg.line(from: Point(x: area.left - 5, y: y), to: Point(x: area.left, y: y), stroke: colors.frame, crisp: true)
            svg.text(label, at: Point(x: area.left - 8, y: y + 4), size: 12, anchor: .end)
        }
        svg.text(panel.x.title, at: Point(x: (area.left + area.right) / 2, y: area.bottom + 40), size: 13, anchor: .middle)
        svg.text(panel.y.title, at: Point(x: area.left - 56, y: (area.top + area.bottom) / 2), size: 13, anchor: .middle, rotated: true)
        if let right = area.y2, let axis = panel.y2 {
            let ticks = right.ticks(target: 6)
            for (tick, label) in zip(ticks, right.labels(ticks)) {
                let y = right.pixel(tick)
                svg.line(from: Point(x: area.right, y: y), to: Point(x: area.right + 5, y: y), stroke: colors.frame, crisp: true)
                svg.text(label, at: Point(x: area.right + 8, y: y + 4), size: 12)
            }
            svg.text(axis.title, at: Point(x: area.right + 58, y: (area.top + area.bottom) / 2), size: 13, anchor: .middle, rotated: true)
        }

        // Data, clipped to the plot area.
        for line in panel.lines {
            for run in Self.finiteRuns(line.points) {
                let points = run.map { area.pixel($0.x, $0.y, right: line.onRightAxis) }
                if points.count == 1 {
                    svg.circle(center: points[0], radius: line.width + 1, fill: line.color, clip: clip)
                } else {
                    svg.polyline(points, stroke: line.color, width: line.width, dashed: line.dashed, clip: clip)
                }
            }
        }
        for marker in panel.markers where marker.x.isFinite {
            let x = area.x.pixel(marker.x)
            svg.line(from: Point(x: x, y: area.top), to: Point(x: x, y: area.bottom), stroke: marker.color, width: 1.5, dashed: true, crisp: true)
            let leftHalf = x < (area.left + area.right) / 2
            svg.text(marker.label, at: Point(x: x + (leftHalf ? 6 : -6), y: area.top + 16), size: 12, anchor: leftHalf ? .start : .end, fill: marker.color)
        }
        svg.rectangle(x: area.left, y: area.top, width: width, height: height, fill: "none", stroke: colors.frame)
        if panel.legend, let box = legendBox(panel, in: area) { drawLegend(panel.lines, in: box, on: &svg) }
    }

    /// Where a legend box goes: the corner of the plot area that hides the fewest drawn points
    /// (the lines, sampled along their segments, and the markers with their labels), preferring
    /// the top right, then the top left, the bottom right, the bottom left.
    func legendBox(_ panel: Panel, in area: PanelLayout) -> (left: Double, top: Double, width: Double, height: Double)? {
        guard !panel.lines.isEmpty else { return nil }
        // DejaVu Sans at 12 px averages about 7 px per character.
        let width = 44 + Double(panel.lines.map(\.name.count).max() ?? 0) * 7
        let height = 18 * Double(panel.lines.count) + 8
        var drawn: [Point] = []
        for line in panel.lines {
            for run in Self.finiteRuns(line.points) {
                let points = run.map { area.pixel($0.x, $0.y, right: line.onRightAxis) }
                drawn.append(points[0])
                for (from, to) in zip(points, points.dropFirst()) {
                    for step in 1...8 {
                        let t = Double(step) / 8
                        drawn.append(Point(x: from.x + (to.x - from.x) * t, y: from.y + (to.y - from.y) * t))
                    }
                }
            }
        }
        var markerWeight: [Point] = []
        for marker in panel.markers where marker.x.isFinite {
            let x = area.x.pixel(marker.x)
            for y in stride(from: area.top, through: area.bottom, by: 4) { markerWeight.append(Point(x: x, y: y)) }
            // The label, about 7 px per character, on the side of the line nearer the middle.
            let labelWidth = Double(marker.label.count) * 7 + 6
            let leftHalf = x < (area.left + area.right) / 2
            for dx in stride(from: 0, through: labelWidth, by: 4) {
                for dy in stride(from: 4.0, through: 20, by: 4) { markerWeight.append(Point(x: leftHalf ? x + dx : x - dx, y: area.top + dy)) }
            }
        }
        let corners = [
            (area.right - width - 8, area.top + 8), (area.left + 8, area.top + 8),
            (area.right - width - 8, area.bottom - height - 8), (area.left + 8, area.bottom - height - 8),
        ]
        func hidden(_ corner: (Double, Double)) -> Int {
            func inside(_ point: Point) -> Bool {
                point.x >= corner.0 - 2 && point.x <= corner.0 + width + 2 && point.y >= corner.1 - 2 && point.y <= corner.1 + height + 2
            }
            // A marker or its label under the legend is worse than a stretch of line.
            return drawn.filter(inside).count + 1000 * markerWeight.filter(inside).count
        }
        var best = corners[0]
        var fewest = hidden(best)
        for corner in corners.dropFirst() where fewest > 0 {
            let count = hidden(corner)
            if count < fewest { (best, fewest) = (corner, count) }
        }
        return (best.0, best.1, width, height)
    }

    /// The lines' names and colours in `box`.
    private func drawLegend(_ lines: [PlotLine], in box: (left: Double, top: Double, width: Double, height: Double), on svg: inout SVGWriter) {
        let rowHeight = 18.0
        let (left, top) = (box.left, box.top)
        svg.rectangle(x: left, y: top, width: box.width, height: box.height, fill: "#ffffff", stroke: "#cccccc", opacity: 0.85)
        for (index, line) in lines.enumerated() {
            let y = top + 4 + rowHeight * (Double(index) + 0.5)
            svg.line(from: Point(x: left + 8, y: y), to: Point(x: left + 32, y: y), stroke: line.color, width: 2.5, dashed: line.dashed)
            svg.text(line.name, at: Point(x: left + 38, y: y + 4), size: 12)
        }
    }

    /// The stretches of consecutive points with finite coordinates.
    static func finiteRuns(_ points: [(x: Double, y: Double)]) -> [[(x: Double, y: Double)]] {
        var runs: [[(x: Double, y: Double)]] = [[]]
        for point in points {
            if point.x.isFinite && point.y.isFinite {
                runs[runs.count - 1].append(point)
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        return runs.filter { !$0.isEmpty }
    }
}
