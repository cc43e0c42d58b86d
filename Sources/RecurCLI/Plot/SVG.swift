/// A point in an SVG picture, in pixels from the top left.
struct Point: Equatable {
    var x: Double
    var y: Double
}

/// A small SVG writer: elements are appended as text in drawing order, coordinates are pixels
/// written with at most two decimals, and text is escaped. It writes plain SVG 1.1 (no CSS, no
/// scripts, no external references), which browsers and librsvg render alike.
struct SVGWriter {
    let width: Int
    let height: Int
    private var definitions = ""
    private var body = ""

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// The whole document.
    var document: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
        viewBox="0 0 \(width) \(height)" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
        <defs>\(definitions)</defs>
        \(body)</svg>

        """
    }

    /// Declares a rectangle that `clip` arguments can name.
    mutating func clipRectangle(id: String, x: Double, y: Double, width: Double, height: Double) {
        definitions += "<clipPath id=\"\(id)\"><rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\"/></clipPath>"
    }

    /// A rectangle; a stroked one is drawn with crisp edges (axes and boxes, not data).
    mutating func rectangle(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil, opacity: Double = 1) {
        body += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"\(fill)\""
        if opacity < 1 { body += " fill-opacity=\"\(n(opacity))\"" }
        if let stroke { body += " stroke=\"\(stroke)\" stroke-width=\"1\" shape-rendering=\"crispEdges\"" }
        body += "/>\n"
    }

    /// A straight line; `crisp` turns antialiasing off, so that a one-pixel rule of an axis is one
    /// sharp column or row of pixels rather than two grey ones.
    mutating func line(from start: Point, to end: Point, stroke: String, width: Double = 1, dashed: Bool = false, crisp: Bool = false) {
        body += "<line x1=\"\(n(start.x))\" y1=\"\(n(start.y))\" x2=\"\(n(end.x))\" y2=\"\(n(end.y))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
        if dashed { body += " stroke-dasharray=\"6 4\"" }
        if crisp { body += " shape-rendering=\"crispEdges\"" }
        body += "/>\n"
    }

    /// A connected line through `points`, clipped to the rectangle named `clip`.
    mutating func polyline(_ points: [Point], stroke: String, width: Double, dashed: Bool = false, clip: String? = nil) {
        guard !points.isEmpty else { return }
        body += "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\""
        if dashed { body += " stroke-dasharray=\"6 4\"" }
        if let clip { body += " clip-path=\"url(#\(clip))\"" }
        body += " points=\""
        for (index, point) in points.enumerated() {
            if index > 0 { body += " " }
            body += "\(n(point.x)),\(n(point.y))"
        }
        body += "\"/>\n"
    }

    mutating func circle(center: Point, radius: Double, fill: String, clip: String? = nil) {
        body += "<circle cx=\"\(n(center.x))\" cy=\"\(n(center.y))\" r=\"\(n(radius))\" fill=\"\(fill)\""
        if let clip { body += " clip-path=\"url(#\(clip))\"" }
        body += "/>\n"
    }

    enum Anchor: String {
        case start, middle, end
    }

    /// Text whose baseline starts, is centred or ends at `point`; `rotated` turns it a quarter
    /// turn anticlockwise about that point (for a vertical axis label).
    mutating func text(_ string: String, at point: Point, size: Double, anchor: Anchor = .start, bold: Bool = false, fill: String = "#222222", rotated: Bool = false) {
        body += "<text x=\"\(n(point.x))\" y=\"\(n(point.y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor.rawValue)\" fill=\"\(fill)\""
        if bold { body += " font-weight=\"bold\"" }
        if rotated { body += " transform=\"rotate(-90 \(n(point.x)) \(n(point.y)))\"" }
        body += ">\(Self.escape(string))</text>\n"
    }

    /// `text` with the five characters XML reserves replaced by their entities.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A coordinate with at most two decimals (a hundredth of a pixel is finer than any screen).
    private func n(_ value: Double) -> String { FixedText.format(value, decimals: 2, trimmed: true) }
}

/// Numbers with a fixed count of decimals (`%.*f`), which the tick labels and coordinates need
/// and `%g` does not give.
enum FixedText {
    /// `value` rounded to `decimals` places; `trimmed` drops trailing zeros (and a bare point).
    static func format(_ value: Double, decimals: Int, trimmed: Bool = false) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        // Beyond 2^53 the digits are not exact anyway; %g says it better.
        guard scaled < 9.0e15 else { return NumberText.format(value, digits: 6) }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        var fraction = decimals == 0 ? "" : String(units % UInt64(scale))
        fraction = String(repeating: "0", count: decimals - fraction.count) + fraction
        if trimmed { while fraction.last == "0" { fraction.removeLast() } }
        let sign = value < 0 && units != 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }
}
