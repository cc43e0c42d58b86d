import Glibc

/// How `train` and `lr-find` report their epochs on standard output.
enum ProgressStyle: Equatable {
    /// A terminal `columns` wide: one line per epoch, redrawn in place as the steps run.
    case terminal(columns: Int)
    /// A file or a pipe: one plain line per finished epoch.
    case lines
    /// Nothing per epoch (`--quiet`, `--json`).
    case silent

    /// The style for this process's standard output.
    static func standardOutput(quiet: Bool) -> ProgressStyle {
        if quiet { return .silent }
        guard isatty(1) == 1 else { return .lines }
        var size = winsize()
        let columns = ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
        return .terminal(columns: columns)
    }
}

/// Keras's progress bar: for each epoch one line — epoch n/N, step s/S, a bar, the running loss
/// and MAE, the time so far and the time left — redrawn in place with `\r` at most ten times a
/// second, and left on screen when the epoch ends.
///
/// ``step(_:now:)`` runs after every training step; it compares two clock readings and returns
/// nil, allocating nothing, unless it is time to redraw.
struct ProgressBar {
    let epochs: Int
    let stepsPerEpoch: Int
    let columns: Int
    /// When the run and the current epoch started (monotonic nanoseconds).
    let runStarted: UInt64
    private(set) var epochStarted: UInt64
    private(set) var epoch = 0
    private var lastDrawn: UInt64 = 0
    /// Whether a line of the current epoch is on screen, unfinished.
    private(set) var lineOpen = false

    /// The least time between two drawings.
    static let interval: UInt64 = 100_000_000

    init(epochs: Int, stepsPerEpoch: Int, columns: Int, now: UInt64) {
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
        self.columns = columns
        self.runStarted = now
        self.epochStarted = now
    }

    mutating func startEpoch(_ epoch: Int, now: UInt64) {
        self.epoch = epoch
        epochStarted = now
        lastDrawn = now
    }

    /// The redrawn line after a step, when the last drawing is a tenth of a second old.
    mutating func step(_ partial: EpochResult, leading: String = "", now: UInt64) -> String? {
        guard now &- lastDrawn >= Self.interval, partial.steps < stepsPerEpoch else { return nil }
        lastDrawn = now
        lineOpen = true
        let seconds = Double(now &- epochStarted) / 1e9
        let left = seconds / Double(partial.steps) * Double(stepsPerEpoch - partial.steps)
        var fields = leading.isEmpty ? [] : [leading]
        fields += ["loss: \(Self.number(partial.loss))", "mae: \(Self.number(partial.mae))", Self.duration(seconds), "ETA \(Self.duration(left))"]
        return "\r" + line(step: partial.steps, fields) + "\u{1B}[K"
    }

    /// The epoch's final line, with `trailing` (the learning rate) after the loss and MAE, the
    /// epoch's time, and the time the remaining epochs should take (after the last one: the
    /// run's whole time).
    mutating func finish(_ result: EpochResult, leading: String = "", trailing: String = "", now: UInt64) -> String {
        lineOpen = false
        let elapsed = Double(now &- runStarted) / 1e9
        var fields = leading.isEmpty ? [] : [leading]
        fields += ["loss: \(Self.number(result.loss))", "mae: \(Self.number(result.mae))"]
        if !trailing.isEmpty { fields.append(trailing) }
        fields.append(Self.duration(Double(now &- epochStarted) / 1e9))
        if epoch + 1 < epochs {
            fields.append("ETA \(Self.duration(elapsed / Double(epoch + 1) * Double(epochs - epoch - 1)))")
        } else {
            fields.append("total \(Self.duration(elapsed))")
        }
        return "\r" + line(step: result.steps, fields) + "\u{1B}[K\n"
    }

    /// Ends an unfinished line (before an error message is printed below it).
    mutating func close() -> String {
        defer { lineOpen = false }
        return lineOpen ? "\n" : ""
    }

    /// `Epoch 7/100 12/31 ━━━━━━━━──────────── loss: … - …`: the bar is 20 wide, narrower when
    /// the terminal is, left out below 5; the line is cut short of the terminal's last column,
    /// so that it never wraps and `\r` returns to its start.
    func line(step: Int, _ fields: [String]) -> String {
        let digits = String(stepsPerEpoch).count
        let head = "Epoch \(epoch + 1)/\(epochs) " + String(repeating: " ", count: max(0, digits - String(step).count)) + "\(step)/\(stepsPerEpoch)"
        let tail = fields.joined(separator: " - ")
        let width = min(20, columns - 1 - head.count - tail.count - 2)
        var line = head + " " + tail
        if width >= 5 {
            let filled = stepsPerEpoch > 0 ? min(width, step * width / stepsPerEpoch) : width
            line = head + " " + String(repeating: "━", count: filled) + String(repeating: "─", count: width - filled) + " " + tail
        }
        return line.count < columns ? line : String(line.prefix(max(columns - 1, 1)))
    }

    static func number(_ value: Double) -> String { NumberText.format(value, digits: 5) }

    /// `0.4s`, `12s`, `3m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 10 { return FixedText.format(seconds, decimals: 1) + "s" }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        if whole < 3600 { return "\(whole / 60)m\(two(whole % 60))s" }
        return "\(whole / 3600)h\(two(whole % 3600 / 60))m"
    }
}
