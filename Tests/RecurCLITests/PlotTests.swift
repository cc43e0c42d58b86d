import Foundation
import FoundationXML
import RecurTestSupport
import Testing
@testable import RecurCLI

/// The SVG plots, rendered to pixels by librsvg and checked where the data says they must be.
@Suite struct PlotTests {
    static let blue = RenderedImage.Color(hex: Figure.colors.series)
    static let orange = RenderedImage.Color(hex: Figure.colors.forecast)
    static let red = RenderedImage.Color(hex: Figure.colors.mae)
    static let frame = RenderedImage.Color(hex: Figure.colors.frame)
    static let courseSeries = Fixtures.repository + "/models/course_series.csv"

    /// The picture is 800×400, not blank, and its plot frames are drawn where the layout says.
    func checkRendered(_ image: RenderedImage, _ layouts: [Figure.PanelLayout]) {
        #expect(image.width == 800 && image.height == 400)
        #expect(image.nonWhiteCount > 800 * 400 / 50, "the picture is nearly blank")
        for area in layouts {
            let middleX = (area.left + area.right) / 2, middleY = (area.top + area.bottom) / 2
            #expect(image.has(Self.frame, near: middleX, area.top, radius: 1, tolerance: 30))
            #expect(image.has(Self.frame, near: middleX, area.bottom, radius: 1, tolerance: 30))
            #expect(image.has(Self.frame, near: area.left, middleY, radius: 1, tolerance: 30))
            #expect(image.has(Self.frame, near: area.right, middleY, radius: 1, tolerance: 30))
        }
    }

    @Test func documentIsWellFormedXMLWithEscapedText() throws {
        let figure = Figure(title: "a < b & \"c\" — 'd'", panels: [Panel(
            title: "<panel>", x: PlotAxis(title: "x & y"), y: PlotAxis(title: "y"),
            lines: [PlotLine(name: "a<b", points: [(0, 1), (1, .nan), (2, 3), (3, 4)], color: "#000000")])])
        let svg = figure.svg()
        #expect(svg.contains("a &lt; b &amp; &quot;c&quot; — &apos;d&apos;"))
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"400\""))
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        // The NaN breaks the line: one lone point (a dot) and one polyline of two.
        #expect(svg.components(separatedBy: "<polyline").count == 2)
        #expect(svg.components(separatedBy: "<circle").count == 2)
    }

    @Test func linearTicksAreRoundNumbers() {
        let scale = Scale(kind: .linear, lower: 1000, upper: 1460, start: 0, end: 700)
        let ticks = scale.ticks(target: 8)
        #expect(ticks == [1000, 1100, 1200, 1300, 1400])
        #expect(scale.labels(ticks) == ["1000", "1100", "1200", "1300", "1400"])
        let small = Scale(kind: .linear, lower: 12.08, upper: 13.72, start: 0, end: 300)
        #expect(small.labels(small.ticks(target: 6)) == ["12.5", "13.0", "13.5"])
        let quarter = Scale(kind: .linear, lower: 0, upper: 1, start: 0, end: 300)
        #expect(quarter.labels(quarter.ticks(target: 5)) == ["0.00", "0.25", "0.50", "0.75", "1.00"])
        let epochs = Scale(kind: .linear, lower: 1, upper: 7, start: 0, end: 300, integral: true)
        #expect(epochs.ticks(target: 8).allSatisfy { $0 == $0.rounded() })
    }

    @Test func logarithmicTicksArePowersOfTen() {
        let scale = Scale(kind: .logarithmic, lower: 1e-8, upper: 1e-3, start: 0, end: 700)
        let ticks = scale.ticks()
        #expect(ticks.count == 6)
        #expect(scale.labels(ticks) == ["10⁻⁸", "10⁻⁷", "10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³"])
        // Equal ratios, equal distances.
        #expect(abs((scale.pixel(1e-6) - scale.pixel(1e-7)) - (scale.pixel(1e-4) - scale.pixel(1e-5))) < 1e-9)
        #expect(abs(scale.pixel(1e-8)) < 1e-9 && abs(scale.pixel(1e-3) - 700) < 1e-9)
        let narrow = Scale(kind: .logarithmic, lower: 1.5e-6, upper: 4e-5, start: 0, end: 700)
        #expect(narrow.labels(narrow.ticks()) == ["2×10⁻⁶", "5×10⁻⁶", "10⁻⁵", "2×10⁻⁵"])
    }

    /// `recur forecast --plot`: the series and the forecast of every validation step are drawn
    /// at their time and value; the series' highest and lowest points are where its data has
    /// them; the MAE is in the title.
    @Test func forecastPlotDrawsTheValidationRange() throws {
        let folder = temporaryFolder()
        let result = try recur(["forecast", Fixtures.path("external/m1_simplernn.h5"), "--series", Self.courseSeries,
                                "--plot", folder + "/forecast.svg", "--output", folder + "/forecast.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try String(contentsOfFile: folder + "/forecast.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",").map { Double(String($0))! } }
        let times = rows.map { $0[0] }, values = rows.map { $0[1] }, forecasts = rows.map { $0[2] }
        #expect(times.first == 1000 && times.count == 461)

        let svg = try String(contentsOfFile: folder + "/forecast.svg", encoding: .utf8)
        let mae = String(result.stdout.split(separator: "\n")[0].dropFirst("MAE: ".count))
        #expect(svg.contains("MAE \(String(format: "%.5g", Double(mae)!))"))
        #expect(svg.contains(">series<") && svg.contains(">forecast<"))

        let figure = Plots.forecast(series: [Double](repeating: 0, count: 1000) + values, forecasts: forecasts.map(Float.init), split: 1000, mae: 0, model: "m", seriesName: "s", column: "value")
        let area = try #require(figure.layout().first)
        let legend = try #require(figure.legendBox(figure.panels[0], in: area))
        let image = try RenderedImage.render(folder + "/forecast.svg")
        checkRendered(image, [area])
        // The x axis spans exactly the validation range; the y axis holds every value.
        func x(_ time: Double) -> Double { area.left + (time - 1000) / 460 * (area.right - area.left) }
        #expect(area.y.lower < min(values.min()!, forecasts.min()!) && area.y.upper > max(values.max()!, forecasts.max()!))
        for index in stride(from: 3, to: 461, by: 37) {
            #expect(image.has(Self.blue, near: x(times[index]), area.y.pixel(values[index])), "series at t = \(times[index])")
            #expect(image.has(Self.orange, near: x(times[index]), area.y.pixel(forecasts[index]), tolerance: 60), "forecast at t = \(times[index])")
        }
        // The legend's sample of the series' colour is not data.
        let drawn = image.points(of: Self.blue, left: Int(area.left) + 2, top: Int(area.top) + 2, right: Int(area.right) - 2, bottom: Int(area.bottom) - 2).filter { point in
            !(Double(point.x) >= legend.left && Double(point.x) <= legend.left + legend.width && Double(point.y) >= legend.top && Double(point.y) <= legend.top + legend.height)
        }
        // The highest and lowest drawn pixels are at the time of a value within a pixel of the
        // series' highest and lowest.
        let top = try #require(drawn.min { $0.y < $1.y }), bottom = try #require(drawn.max { $0.y < $1.y })
        // (The search leaves out two columns at each end: there the frame covers the line.)
        let inner = Array(values.indices.dropFirst(2).dropLast(2))
        let (high, low) = (inner.map { values[$0] }.max()!, inner.map { values[$0] }.min()!)
        let highest = inner.filter { area.y.pixel(values[$0]) <= area.y.pixel(high) + 1.5 }
        let lowest = inner.filter { area.y.pixel(values[$0]) >= area.y.pixel(low) - 1.5 }
        #expect(highest.contains { abs(Double(top.x) - x(times[$0])) <= 4 }, "top at \(top)")
        #expect(lowest.contains { abs(Double(bottom.x) - x(times[$0])) <= 4 }, "bottom at \(bottom)")
    }

    /// The course's sweep, made up: the loss falls from 30 to its lowest, 6, at epoch 58, then
    /// rises and diverges.
    static let sweep: [(rate: Double, loss: Double)] = (0..<100).map { epoch in
        let rate = 1e-8 * pow(10, Double(epoch) / 20)
        let loss = epoch <= 58 ? 30 - 24 * Double(epoch) / 58 : 6 + 2 * Double(epoch - 58) + (epoch > 70 ? pow(3, Double(epoch - 70)) : 0)
        return (rate, epoch >= 96 ? .nan : loss)
    }

    /// `lr-find`'s plot: a logarithmic rate axis, the loss curve's lowest point at its rate,
    /// the suggested rate marked by a vertical line at its place on that axis.
    @Test func learningRatePlotMarksTheSuggestedRate() throws {
        let suggestion = try #require(suggestRate(Self.sweep))
        let figure = Plots.learningRate(curve: Self.sweep, suggestion: suggestion, title: "sweep")
        let folder = temporaryFolder()
        try Plots.write(figure, to: folder + "/lr.svg")
        let area = try #require(figure.layout().first)
        let image = try RenderedImage.render(folder + "/lr.svg")
        checkRendered(image, [area])
        #expect(area.x.kind == .logarithmic && area.x.lower <= 1e-8 && area.x.upper >= Self.sweep.last!.rate)
        func x(_ rate: Double) -> Double {
            area.left + (log10(rate) - log10(area.x.lower)) / (log10(area.x.upper) - log10(area.x.lower)) * (area.right - area.left)
        }
        let column = Int(x(suggestion).rounded())
        let marked = (column - 1...column + 1).map { image.rows(of: Self.red, inColumn: $0, from: Int(area.top), to: Int(area.bottom)).count }.max()!
        #expect(Double(marked) > 0.4 * (area.bottom - area.top), "the dashed marker at \(suggestion)")
        let drawn = image.points(of: Self.blue, left: Int(area.left) + 2, top: Int(area.top) + 2, right: Int(area.right) - 2, bottom: Int(area.bottom) - 2)
        let lowest = try #require(drawn.max { $0.y < $1.y })
        #expect(abs(Double(lowest.x) - x(Self.sweep[58].rate)) <= 6)
        // Every loss up to the lowest is on the chart; the divergence runs off its top.
        #expect(area.y.upper >= 30 && area.y.upper < 40)
        let svg = try String(contentsOfFile: folder + "/lr.svg", encoding: .utf8)
        #expect(svg.contains(">10⁻⁸<") && svg.contains(">suggested \(String(format: "%.3g", suggestion))<"))
    }

    /// `train`'s plot: loss and MAE over every epoch, and beside them the last fifth on its own
    /// scale, where the same lines fill the height that they barely use on the left.
    @Test func trainingPlotZoomsIntoTheLastFifth() throws {
        let history = (1...50).map { epoch in
            EpochResult(loss: 100 / Double(epoch) + 3, mae: 1.2 * (100 / Double(epoch) + 3), mse: 0, steps: 31, seconds: 0.1, learningRate: 1e-6)
        }
        let figure = Plots.training(history: history, lossName: "mse", title: "training")
        let folder = temporaryFolder()
        try Plots.write(figure, to: folder + "/train.svg")
        let layouts = figure.layout()
        try #require(layouts.count == 2)
        let image = try RenderedImage.render(folder + "/train.svg")
        checkRendered(image, layouts)
        let (all, zoom) = (layouts[0], layouts[1])
        #expect(zoom.x.lower == 41 && zoom.x.upper == 50)
        // Loss and MAE of a size share one axis.
        #expect(all.y2 == nil && zoom.y2 == nil)
        // (Epoch 1 is where the line leaves the frame's corner steeply: the pixels beside that
        // point are far below it.)
        for (area, epochs) in [(all, [2, 10, 25, 50]), (zoom, [41, 45, 50])] {
            for epoch in epochs {
                let x = area.x.pixel(Double(epoch))
                #expect(image.has(Self.blue, near: x, area.y.pixel(history[epoch - 1].loss)), "loss at epoch \(epoch)")
                #expect(image.has(Self.red, near: x, area.y.pixel(history[epoch - 1].mae)), "mae at epoch \(epoch)")
            }
        }
        func extent(_ area: Figure.PanelLayout, from epoch: Int) -> Int {
            let points = image.points(of: Self.blue, left: Int(area.x.pixel(Double(epoch))) + 1, top: Int(area.top) + 2, right: Int(area.right) - 2, bottom: Int(area.bottom) - 2)
            return (points.map(\.y).max() ?? 0) - (points.map(\.y).min() ?? 0)
        }
        // The loss falls 0.44 over epochs 41–50: a few pixels on the left, a quarter of the
        // height on the right.
        #expect(extent(all, from: 41) < 6)
        #expect(abs(Double(extent(zoom, from: 41)) - (zoom.y.pixel(history[49].loss) - zoom.y.pixel(history[40].loss))) <= 4)
        #expect(Double(extent(zoom, from: 41)) > 0.2 * (zoom.bottom - zoom.top))
    }

    /// An MSE loss is about the square of the MAE: the MAE gets its own axis on the right, and
    /// both lines fill their panels instead of the MAE lying flat along the bottom.
    @Test func trainingPlotGivesTheMAEItsOwnAxisBesideAnMSELoss() throws {
        let history = (1...50).map { epoch in
            let mae = 100 / Double(epoch) + 8
            return EpochResult(loss: mae * mae, mae: mae, mse: mae * mae, steps: 8, seconds: 0.1, learningRate: 1e-6)
        }
        let figure = Plots.training(history: history, lossName: "mse", title: "training")
        let folder = temporaryFolder()
        try Plots.write(figure, to: folder + "/train.svg")
        let layouts = figure.layout()
        let image = try RenderedImage.render(folder + "/train.svg")
        checkRendered(image, layouts)
        // Losses up to 11,664 on the left, MAEs up to 108 on the right.
        #expect(layouts[0].y.upper > 11_664 && layouts[0].y2.map { $0.upper > 108 && $0.upper < 120 } == true)
        for area in layouts {
            let right = try #require(area.y2)
            for epoch in [2, 10, 25, 42, 45, 50] where area.x.lower <= Double(epoch) {
                let x = area.x.pixel(Double(epoch))
                let (loss, mae) = (area.y.pixel(history[epoch - 1].loss), right.pixel(history[epoch - 1].mae))
                // The MAE is drawn last: where the two lines meet, it hides the loss.
                if abs(loss - mae) > 5 { #expect(image.has(Self.blue, near: x, loss), "loss at epoch \(epoch)") }
                #expect(image.has(Self.red, near: x, mae), "mae at epoch \(epoch)")
            }
        }
        // The MAE line rises from the bottom of the zoomed panel to near its top, as the loss does.
        let zoom = layouts[1]
        let red = image.points(of: Self.red, left: Int(zoom.left) + 2, top: Int(zoom.top) + 2, right: Int(zoom.right) - 2, bottom: Int(zoom.bottom) - 2)
        #expect(Double((red.map(\.y).max() ?? 0) - (red.map(\.y).min() ?? 0)) > 0.7 * (zoom.bottom - zoom.top))
        let svg = try String(contentsOfFile: folder + "/train.svg", encoding: .utf8)
        #expect(svg.contains(">loss (mse)<") && svg.contains(">mae<"))
    }

    /// The commands write their plots (whole, through a temporary file) and the plots render.
    @Test func trainAndLearningRateCommandsWritePlots() throws {
        let folder = temporaryFolder()
        let common = ["--arch", "SimpleRNN(4), Dense(1), Scale(100)", "--series", Self.courseSeries, "--batch", "128", "--seed", "2"]
        let sweep = try recur(["lr-find"] + common + ["--epochs", "6", "--start", "1e-6", "--per-decade", "2", "--plot", folder + "/lr.svg"])
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let train = try recur(["train"] + common + ["--epochs", "5", "--lr", "1e-5", "--output", folder + "/m.h5", "--plot", folder + "/train.svg"])
        #expect(train.status == 0, "\(train.stderr)")
        for name in ["lr", "train"] {
            let image = try RenderedImage.render(folder + "/\(name).svg")
            #expect(image.width == 800 && image.nonWhiteCount > 800 * 400 / 50)
            #expect(image.points(of: Self.blue, left: 0, top: 0, right: 799, bottom: 399).count > 100)
        }
        // Five epochs: the zoomed panel still shows a line (two epochs), not a dot.
        #expect(try String(contentsOfFile: folder + "/train.svg", encoding: .utf8).contains(">last 2 epochs: 4–5<"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".recur-") }
        #expect(leftovers.isEmpty)
    }

    /// `--time-column`: the time axis shows the file's years, not its rows.
    @Test func forecastPlotCanShowATimeColumn() throws {
        let folder = temporaryFolder()
        let sunspots = Fixtures.repository + "/models/sunspots/sunspots.csv"
        let result = try recur(["forecast", Fixtures.path("external/m1_simplernn.h5"), "--series", sunspots, "--column", "SUNACTIVITY",
                                "--window", "20", "--split", "250", "--plot", folder + "/years.svg", "--time-column", "YEAR"])
        #expect(result.status == 0, "\(result.stderr)")
        let svg = try String(contentsOfFile: folder + "/years.svg", encoding: .utf8)
        #expect(svg.contains(">YEAR<") && svg.contains(">1960<") && svg.contains(">2000<") && !svg.contains(">260<"))
        let wrong = try recur(["forecast", Fixtures.path("external/m1_simplernn.h5"), "--series", sunspots, "--window", "20", "--split", "250",
                               "--plot", folder + "/x.svg", "--time-column", "MONTH"])
        #expect(wrong.status == 64 && wrong.stderr.contains("has no column 'MONTH'"))
    }

    @Test func plotMustBeAnSVGFile() throws {
        let result = try recur(["forecast", Fixtures.path("external/m1_simplernn.h5"), "--series", Self.courseSeries, "--plot", "/tmp/x.png"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--plot must name a .svg file"))
    }

    @Test func unwritablePlotIs73AndLeavesNothing() throws {
        let result = try recur(["forecast", Fixtures.path("external/m1_simplernn.h5"), "--series", Self.courseSeries, "--plot", "/nonexistent/f.svg"])
        #expect(result.status == 73)
        #expect(result.stderr.hasPrefix("recur: /nonexistent/f.svg cannot be written"))
    }
}
