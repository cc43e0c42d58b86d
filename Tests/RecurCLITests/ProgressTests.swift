import Foundation
import Glibc
import RecurKernel
import RecurTestSupport
import Testing
@testable import RecurCLI
@testable import RecurKeras

/// Runs `recur` with standard output on a pseudo-terminal `columns` wide (raw, so the bytes
/// arrive as written) and returns what it wrote there.
func recurOnTerminal(_ arguments: [String], columns: UInt16 = 100) throws -> (status: Int32, output: String) {
    var primary: Int32 = -1, secondary: Int32 = -1
    var size = winsize(ws_row: 40, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
    guard openpty(&primary, &secondary, nil, nil, &size) == 0 else { throw PlotTestError("openpty failed") }
    var settings = termios()
    tcgetattr(secondary, &settings)
    cfmakeraw(&settings)
    tcsetattr(secondary, TCSANOW, &settings)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: recurBinary)
    process.arguments = arguments
    process.standardOutput = FileHandle(fileDescriptor: secondary, closeOnDealloc: false)
    process.standardError = FileHandle.nullDevice
    try process.run()
    close(secondary)
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(primary, &buffer, buffer.count)
        if count <= 0 { break }  // EIO once the child has closed the terminal
        output += buffer[0..<count]
    }
    close(primary)
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

@Suite struct ProgressTests {
    static let courseSeries = Fixtures.repository + "/models/course_series.csv"
    /// 980 windows in batches of 8: 123 steps per epoch, long enough to be redrawn.
    static let training = ["--arch", "SimpleRNN(16), Dense(1), Scale(100)", "--series", courseSeries, "--batch", "8", "--lr", "1e-5", "--seed", "4"]

    static func partial(step: Int) -> EpochResult {
        EpochResult(loss: 12.5, mae: 13, mse: 200, steps: step, seconds: 0, learningRate: 1e-5)
    }

    /// At most ten drawings a second, however many steps run, and none at the last step (the
    /// epoch's final line is drawn by `finish`).
    @Test func redrawsAtMostTenTimesASecond() {
        let start: UInt64 = 5_000_000_000
        var bar = ProgressBar(epochs: 3, stepsPerEpoch: 1000, columns: 100, now: start)
        bar.startEpoch(0, now: start)
        var drawings: [String] = []
        for step in 1...1000 {
            // A step every millisecond: one second in all.
            if let line = bar.step(Self.partial(step: step), now: start + UInt64(step) * 1_000_000) { drawings.append(line) }
        }
        #expect(drawings.count == 9)
        #expect(drawings.allSatisfy { $0.hasPrefix("\r") && !$0.contains("\n") && $0.hasSuffix("\u{1B}[K") })
        #expect(drawings[0] == "\rEpoch 1/3  100/1000 ━━────────────────── loss: 12.5 - mae: 13 - 0.1s - ETA 0.9s\u{1B}[K")
        #expect(bar.lineOpen)
        let last = bar.finish(Self.partial(step: 1000), trailing: "lr: 1e-05", now: start + 1_000_000_000)
        #expect(last == "\rEpoch 1/3 1000/1000 ━━━━━━━━━━━━━━━━━━━━ loss: 12.5 - mae: 13 - lr: 1e-05 - 1.0s - ETA 2.0s\u{1B}[K\n")
        #expect(!bar.lineOpen)
    }

    /// The line never reaches the terminal's last column, so that `\r` returns to its start:
    /// the bar narrows, then goes, then the line is cut.
    @Test(arguments: [(120, 20), (86, 12), (78, 0), (40, 0)])
    func linesFitTheTerminal(columns: Int, barWidth: Int) {
        var bar = ProgressBar(epochs: 400, stepsPerEpoch: 31, columns: columns, now: 0)
        bar.startEpoch(399, now: 0)
        let line = bar.finish(Self.partial(step: 31), trailing: "lr: 1e-05", now: 2_000_000_000)
        let shown = line.dropFirst().prefix { $0 != "\u{1B}" }
        #expect(shown.count < columns)
        #expect(shown.filter { $0 == "━" }.count == barWidth)
        #expect(shown.hasPrefix("Epoch 400/400 31/31 "))
        if columns > 100 { #expect(shown.hasSuffix(" - 2.0s - total 2.0s")) }
    }

    @Test(arguments: [(0.42, "0.4s"), (9.96, "10.0s"), (12.4, "12s"), (185, "3m05s"), (3725, "1h02m"), (Double.nan, "?")])
    func durations(seconds: Double, text: String) {
        #expect(ProgressBar.duration(seconds) == text)
    }

    /// A training epoch that reports every step to a progress bar allocates nothing while the
    /// bar has nothing to draw.
    @Test func progressCallbackDoesNotAllocate() throws {
        let series = try Series(path: Self.courseSeries, column: nil)
        let data = try TrainingData(series: series.values, window: 20, split: 1000)
        var model = KerasModel(path: "--arch", inputDims: [nil], layers: try ArchitectureSpec("SimpleRNN(8), Dense(1), Scale(100)").layers, weights: [])
        model.weights = [Float](repeating: 0, count: try model.parameterCount())
        var session = try TrainingSession(
            model: model, data: data, batch: 32, recipe: TrainingRecipe(loss: .huber(delta: 1), optimizer: .sgd(momentum: 0.9, nesterov: false)),
            shuffleBuffer: 1000, seed: 1, initialize: true)
        // A clock that never advances: the bar is asked every step and never draws.
        var bar: ProgressBar? = ProgressBar(epochs: 2, stepsPerEpoch: 31, columns: 80, now: 0)
        var asked = 0
        _ = session.epoch(data, batch: 32, learningRate: { _ in 1e-5 }, stopRequested: { 0 }, progress: { _ in })
        let count = allocations {
            _ = session.epoch(data, batch: 32, learningRate: { _ in 1e-5 }, stopRequested: { 0 }, progress: { partial in
                asked += 1
                if let line = bar?.step(partial, now: 1) { Console.out(line) }
            })
        }
        #expect(asked == 31)
        #expect(count == 0)
    }

    /// On a terminal: one line per epoch, redrawn in place while the epoch runs (step, loss,
    /// MAE, time, ETA) and left complete when it ends.
    @Test func terminalShowsOneUpdatingLinePerEpoch() throws {
        let folder = temporaryFolder()
        let run = try recurOnTerminal(["train"] + Self.training + ["--epochs", "3", "--output", folder + "/m.h5"])
        #expect(run.status == 0)
        let lines = run.output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0].hasPrefix("Training arena: "))
        let epochs = lines.filter { $0.contains("Epoch ") }
        try #require(epochs.count == 3, "\(run.output)")
        for (index, line) in epochs.enumerated() {
            let drawings = line.split(separator: "\r").map { $0.replacingOccurrences(of: "\u{1B}[K", with: "") }
            let final = try #require(drawings.last)
            #expect(final.hasPrefix("Epoch \(index + 1)/3 123/123 ━━━━━━━━━━━━━━━━━━━━ loss: "), "\(final)")
            #expect(final.contains(" - mae: ") && final.contains(" - lr: 1e-05 - "))
            #expect(final.contains(" - ETA ") == (index < 2) && final.contains(" - total ") == (index == 2))
            for drawing in drawings.dropLast() {
                #expect(drawing.hasPrefix("Epoch \(index + 1)/3 ") && drawing.contains("/123 ") && drawing.contains(" - ETA "), "\(drawing)")
            }
            #expect(drawings.allSatisfy { $0.count < 100 })
        }
        // Each epoch takes a good fraction of a second in a debug build: it is redrawn.
        #expect(epochs.contains { $0.split(separator: "\r").count > 2 })
        #expect(!run.output.contains(" steps - loss: "))
        #expect(run.output.contains("\nMAE: ") && run.output.contains("\nMSE: "))
    }

    /// Not a terminal: one plain line per epoch, in the format scripts already parse.
    @Test func pipeGetsOnePlainLinePerEpoch() throws {
        let folder = temporaryFolder()
        let run = try recur(["train"] + Self.training + ["--epochs", "2", "--output", folder + "/m.h5"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 7)
        #expect(lines[1] == "980 windows, 2 epochs of 123 steps, seed 4")
        let pattern = try NSRegularExpression(pattern: #"^Epoch [12]/2 - 123 steps - loss: [0-9.e+-]+ - mae: [0-9.e+-]+ - lr: 1e-05 - [0-9.e+-]+ s$"#)
        for line in lines[2...3] {
            #expect(pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil, "\(line)")
        }
        #expect(lines[4] == "Saved \(folder)/m.h5")
        #expect(lines[5].hasPrefix("MAE: ") && lines[6].hasPrefix("MSE: "))
        #expect(!run.stdout.contains("\r"))
    }

    @Test func quietPrintsOnlyTheResult() throws {
        let folder = temporaryFolder()
        let train = try recur(["train"] + Self.training + ["--epochs", "1", "--quiet", "--output", folder + "/m.h5"])
        #expect(train.status == 0)
        #expect(train.stdout.split(separator: "\n").map { String($0.prefix(5)) } == ["MAE: ", "MSE: "])
        let onTerminal = try recurOnTerminal(["train"] + Self.training + ["--epochs", "1", "--quiet", "--output", folder + "/m.h5"])
        #expect(onTerminal.output.split(separator: "\n").map { String($0.prefix(5)) } == ["MAE: ", "MSE: "])
        let sweep = try recur(["lr-find"] + Self.training + ["--epochs", "3", "--quiet"])
        #expect(sweep.status == 0)
        #expect(sweep.stdout.hasPrefix("Suggested learning rate: ") && sweep.stdout.split(separator: "\n").count == 1)
    }

    /// lr-find: CSV through a pipe, progress lines (with the epoch's rate) on a terminal.
    @Test func learningRateSweepReportsEachEpoch() throws {
        let piped = try recur(["lr-find"] + Self.training + ["--epochs", "3"])
        let lines = piped.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines[0] == "epoch,lr,loss" && lines[1].hasPrefix("1,1e-08,") && lines[3].hasPrefix("3,1.25893e-08,"))
        #expect(lines[4].hasPrefix("Suggested learning rate: "))
        let terminal = try recurOnTerminal(["lr-find"] + Self.training + ["--epochs", "3"])
        let epochs = terminal.output.split(separator: "\n").filter { $0.contains("Epoch ") }
        #expect(epochs.count == 3)
        let final = epochs[1].split(separator: "\r").last!.replacingOccurrences(of: "\u{1B}[K", with: "")
        #expect(final.hasPrefix("Epoch 2/3 123/123 ━━━━━━━━━━━━━━━━━━━━ lr: 1.12e-08 - loss: "), "\(final)")
        #expect(terminal.output.contains("\nSuggested learning rate: ") && !terminal.output.contains("epoch,lr,loss"))
    }
}
