import CIOSupport
import Glibc
import RecurKernel

/// The loop of `recur stream`: reads one sample per line from a file descriptor, gives it to a
/// ``StreamForecaster`` (the window, the horizon, a stateful model's step), and once that has a
/// forecast writes it, one line per sample, each with one write(2) before the next read.
///
/// Every buffer is allocated by `init`; after that, reading (read(2) into a fixed buffer),
/// parsing (in place), the forward pass, formatting (`%.9g` into a fixed buffer), writing and the
/// reports of bad lines allocate nothing, however many samples go through.
struct StreamLoop: ~Copyable {
    struct Configuration {
        /// Samples per window: the network's input length.
        var window: Int
        /// Forecasts per output line; each after the first is made from a window that ends with
        /// the forecasts before it.
        var horizon = 1
        /// The 1-based comma-separated field that holds the sample; nil: the whole line.
        var column: Int? = nil
        /// Stop at the first bad line instead of skipping it.
        var strict = false
        /// Time each forecast, from taking its line to writing it, into ``latency``.
        var measuresLatency = false
    }

    /// Why ``run(input:output:errors:stop:)`` returned.
    enum Ending: Equatable {
        case endOfInput
        /// The stop flag was raised (SIGINT or SIGTERM in the command).
        case stopped
        /// The reader of the output went away (EPIPE).
        case outputClosed
        /// A bad line, with `strict` set.
        case badLine
        /// read(2) failed with this errno.
        case readFailed(Int32)
        /// write(2) failed with this errno (not EPIPE).
        case writeFailed(Int32)
    }

    /// The longest line taken; a longer one is reported and skipped up to its newline.
    static let lineCapacity = 4096
    static let readCapacity = 1 << 16
    /// Room for one `%.9g` float (at most 15 characters) and its separator.
    static let formattedFloatCapacity = 24
    static let messageCapacity = 256
    /// Characters of a bad field quoted in its report.
    static let quotedCapacity = 40

    let configuration: Configuration
    private let network: Network
    private var forecaster: StreamForecaster
    private let forecasterScratch: UnsafeMutablePointer<Float>
    /// The forecasts for one line: `horizon × outputs` floats.
    private let forecasts: UnsafeMutablePointer<Float>

    /// Input bytes `readStart..<readEnd` are read but not yet taken.
    private let readBuffer: UnsafeMutablePointer<UInt8>
    private var readStart = 0
    private var readEnd = 0
    /// Inside a line longer than ``lineCapacity``, already reported: drop bytes to its newline.
    private var discardingLongLine = false
    /// The line last taken (from 1).
    private(set) var lineNumber = 0

    private let lineOut: UnsafeMutablePointer<UInt8>
    private let lineOutCapacity: Int
    private let message: UnsafeMutablePointer<UInt8>

    /// Lines that held a sample.
    private(set) var samplesRead = 0
    /// Lines reported and skipped (blank lines are neither).
    private(set) var linesSkipped = 0
    private(set) var forecastsWritten = 0
    /// Nanoseconds from taking a line to writing its forecast, when `measuresLatency`.
    private(set) var latency = LatencyHistogram()

    /// The bytes ``init(network:configuration:)`` allocates, for a network that outputs
    /// `outputsPerForecast` values; saturates instead of overflowing.
    static func bytesNeeded(for configuration: Configuration, outputsPerForecast: Int) -> Int {
        let samples = configuration.window.addingReportingOverflow(configuration.window + configuration.horizon)
        let text = configuration.horizon.multipliedReportingOverflow(by: outputsPerForecast * formattedFloatCapacity)
        guard !samples.overflow, !text.overflow, samples.partialValue <= Int.max / 8 else { return Int.max }
        let total = (samples.partialValue * MemoryLayout<Float>.size).addingReportingOverflow(text.partialValue + readCapacity + messageCapacity + 1)
        return total.overflow ? Int.max : total.partialValue
    }

    /// Allocates every buffer the loop will use.
    ///
    /// - Parameter network: planned for batch 1 and `configuration.window` steps of one feature
    ///   (a stateful one for one step); with a horizon above 1 it must output one value.
    init(network: consuming Network, configuration: Configuration) {
        let plan = network.plan
        precondition(configuration.window >= 1 && plan.input.count == configuration.window, "the network does not take windows of one value per step")
        precondition(configuration.horizon >= 1, "the horizon must be at least 1")
        precondition(configuration.horizon == 1 || plan.output.count == 1, "a horizon above 1 feeds back a single output")
        precondition(configuration.column.map { $0 >= 1 } ?? true, "columns are numbered from 1")
        self.configuration = configuration
        let outputsPerForecast = plan.output.count
        forecasterScratch = .allocate(capacity: StreamForecaster.scratchCount(
            window: configuration.window, carriedStateCount: network.carriedStateCount))
        forecaster = StreamForecaster(for: network, window: configuration.window, scratch: forecasterScratch)
        self.network = network
        forecasts = .allocate(capacity: configuration.horizon * outputsPerForecast)
        readBuffer = .allocate(capacity: Self.readCapacity)
        lineOutCapacity = configuration.horizon * outputsPerForecast * Self.formattedFloatCapacity + 1
        lineOut = .allocate(capacity: lineOutCapacity)
        message = .allocate(capacity: Self.messageCapacity)
    }

    deinit {
        forecasterScratch.deallocate()
        forecasts.deallocate()
        readBuffer.deallocate()
        lineOut.deallocate()
        message.deallocate()
    }

    /// Fills the window from history (the last `window` values count; for a stateful model,
    /// every value, one step each), so that the first line read can already give a forecast.
    mutating func warm(with history: [Float]) {
        for value in forecaster.isStateful ? history[...] : history.suffix(configuration.window) { forecaster.warm(value, on: network) }
    }

    /// Reads `input` to its end (or until `stop` points at a non-zero value, or the output is
    /// closed) and writes one forecast line to `output` per sample once the window is full.
    /// Bad lines are reported on `errors` as `recur: line N: …`.
    ///
    /// Each call reads a new input: line numbers start again at 1, the window carries over.
    ///
    /// Allocates: never.
    mutating func run(input: Int32, output: Int32, errors: Int32, stop: UnsafeMutablePointer<Int32>?) -> Ending {
        readStart = 0
        readEnd = 0
        discardingLongLine = false
        lineNumber = 0
        var atStart = true
        while true {
            if let stop, stop.pointee != 0 { return .stopped }
            let pending = readEnd - readStart
            if pending > 0, let newline = memchr(readBuffer + readStart, 0x0A, pending) {
                let end = newline.assumingMemoryBound(to: UInt8.self) - readBuffer
                lineNumber += 1
                let start = readStart
                readStart = end + 1
                if discardingLongLine {
                    discardingLongLine = false
                } else if end - start > Self.lineCapacity {
                    if let ending = reportLongLine(lineNumber, errors: errors) { return ending }
                } else if let ending = take(readBuffer + start, count: end - start, output: output, errors: errors) {
                    return ending
                }
                continue
            }
            if discardingLongLine {
                readStart = readEnd
            } else if pending > Self.lineCapacity {
                discardingLongLine = true
                readStart = readEnd
                if let ending = reportLongLine(lineNumber + 1, errors: errors) { return ending }
            }
            // Keep the unfinished line at the front and read after it.
            if readStart > 0 {
                memmove(readBuffer, readBuffer + readStart, readEnd - readStart)
                readEnd -= readStart
                readStart = 0
            }
            let count = recur_read_some(input, readBuffer + readEnd, Self.readCapacity - readEnd, stop)
            if count > 0 {
                readEnd += count
                // A UTF-8 byte-order mark before the first line (a file saved on Windows).
                if atStart, readEnd >= 3 {
                    atStart = false
                    if readBuffer[0] == 0xEF && readBuffer[1] == 0xBB && readBuffer[2] == 0xBF { readStart = 3 }
                }
            } else if count == 0 {
                // A last line without a newline is still a line.
                guard readEnd > readStart || discardingLongLine else { return .endOfInput }
                lineNumber += 1
                if !discardingLongLine, let ending = take(readBuffer + readStart, count: readEnd - readStart, output: output, errors: errors) {
                    return ending
                }
                return .endOfInput
            } else if Int32(-count) == EINTR {
                return .stopped
            } else {
                return .readFailed(Int32(-count))
            }
        }
    }

    /// Takes one line (without its newline): a sample, a blank line, or a bad line.
    private mutating func take(_ line: UnsafeMutablePointer<UInt8>, count: Int, output: Int32, errors: Int32) -> Ending? {
        let started = configuration.measuresLatency ? recur_monotonic_nanoseconds() : 0
        if isBlank(line, count: count) { return nil }
        if isReset(line, count: count) {
            reset()
            return nil
        }
        var field = line
        var fieldLength = count
        if let column = configuration.column {
            var fields = 1
            while fields < column, let comma = memchr(field, 0x2C, fieldLength) {
                let next = comma.assumingMemoryBound(to: UInt8.self) + 1
                fieldLength -= next - field
                field = next
                fields += 1
            }
            guard fields == column else { return reportMissingField(fieldCount: fields, errors: errors) }
            if let comma = memchr(field, 0x2C, fieldLength) {
                fieldLength = comma.assumingMemoryBound(to: UInt8.self) - field
            }
        }
        var value: Float = 0
        let status = recur_parse_float(UnsafeRawPointer(field).assumingMemoryBound(to: CChar.self), fieldLength, &value)
        guard Int(status) == RECUR_PARSE_OK else {
            return reportBadField(field, count: fieldLength, failure: ParseFailure(status: status), errors: errors)
        }
        samplesRead += 1
        guard forecaster.push(value, horizon: configuration.horizon, into: forecasts, on: network) else { return nil }

        let length = formatForecast()
        let written = recur_write_all(output, UnsafeRawPointer(lineOut).assumingMemoryBound(to: CChar.self), length)
        if written == EPIPE { return .outputClosed }
        if written != 0 { return .writeFailed(written) }
        forecastsWritten += 1
        if configuration.measuresLatency { latency.record(recur_monotonic_nanoseconds() - started) }
        return nil
    }

    /// A line that holds `reset`, spaces around it allowed.
    private func isReset(_ line: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        var start = 0
        var end = count
        while start < end && isSpace(line[start]) { start += 1 }
        while end > start && isSpace(line[end - 1]) { end -= 1 }
        let word: StaticString = "reset"
        return end - start == word.utf8CodeUnitCount && memcmp(line + start, word.utf8Start, end - start) == 0
    }

    /// Empties the window (the next forecast comes once `window` new samples are in) and clears
    /// a stateful model's recurrent state (Keras's `reset_states()`).
    mutating func reset() {
        forecaster.reset(network)
    }

    private func isBlank(_ line: UnsafeMutablePointer<UInt8>, count: Int) -> Bool {
        for index in 0..<count where !isSpace(line[index]) { return false }
        return true
    }

    /// Formats the line of forecasts into `lineOut`; returns its length.
    private func formatForecast() -> Int {
        let text = UnsafeMutableRawPointer(lineOut).assumingMemoryBound(to: CChar.self)
        var length = 0
        for index in 0..<configuration.horizon * forecaster.outputCount {
            if index > 0 {
                lineOut[length] = 0x2C
                length += 1
            }
            length += Int(recur_format_float(text + length, lineOutCapacity - length, forecasts[index]))
        }
        lineOut[length] = 0x0A
        return length + 1
    }

    // MARK: Reports of bad lines, composed in a fixed buffer

    private mutating func reportBadField(_ field: UnsafeMutablePointer<UInt8>, count: Int, failure: ParseFailure, errors: Int32) -> Ending? {
        var text = TextWriter(message, capacity: Self.messageCapacity)
        startReport(&text, line: lineNumber)
        if let column = configuration.column {
            text.append("field ")
            text.append(column)
            text.append(" ")
        }
        var start = 0
        var end = count
        while start < end && isSpace(field[start]) { start += 1 }
        while end > start && isSpace(field[end - 1]) { end -= 1 }
        if end > start {
            text.append("'")
            text.appendPrintable(field + start, count: min(end - start, Self.quotedCapacity))
            if end - start > Self.quotedCapacity { text.append("…") }
            text.append("' ")
        }
        text.append(failure.reasonText)
        return finishReport(&text, errors: errors)
    }

    private mutating func reportMissingField(fieldCount: Int, errors: Int32) -> Ending? {
        var text = TextWriter(message, capacity: Self.messageCapacity)
        startReport(&text, line: lineNumber)
        text.append("has ")
        text.append(fieldCount)
        text.append(fieldCount == 1 ? " field, not the " : " fields, not the ")
        text.append(configuration.column ?? 1)
        text.append(" that --column asks for")
        return finishReport(&text, errors: errors)
    }

    private mutating func reportLongLine(_ number: Int, errors: Int32) -> Ending? {
        var text = TextWriter(message, capacity: Self.messageCapacity)
        startReport(&text, line: number)
        text.append("is longer than ")
        text.append(Self.lineCapacity)
        text.append(" bytes")
        return finishReport(&text, errors: errors)
    }

    private func startReport(_ text: inout TextWriter, line: Int) {
        text.append("recur: line ")
        text.append(line)
        text.append(": ")
    }

    /// Writes the report, counts the line as skipped, and ends the run when `strict`.
    private mutating func finishReport(_ text: inout TextWriter, errors: Int32) -> Ending? {
        text.endLine()
        _ = recur_write_all(errors, UnsafeRawPointer(message).assumingMemoryBound(to: CChar.self), text.count)
        linesSkipped += 1
        return configuration.strict ? .badLine : nil
    }

    private func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
}
