import Foundation
import Glibc
import Testing

/// A picture rendered by a real SVG renderer (librsvg's `rsvg-convert`, which `tools/test.sh`
/// installs), read back as 8-bit RGBA pixels.
struct RenderedImage: CustomStringConvertible {
    let width: Int
    let height: Int
    /// Row-major RGBA.
    let pixels: [UInt8]

    struct Color: Equatable, CustomStringConvertible {
        var red: Int, green: Int, blue: Int

        init(red: Int, green: Int, blue: Int) {
            (self.red, self.green, self.blue) = (red, green, blue)
        }

        /// `#1f77b4`.
        init(hex: String) {
            let value = Int(hex.dropFirst(), radix: 16)!
            self.init(red: value >> 16, green: (value >> 8) & 0xff, blue: value & 0xff)
        }

        var description: String { "rgb(\(red), \(green), \(blue))" }

        /// How far apart two colours are: the largest difference of a channel.
        func distance(to other: Color) -> Int {
            max(abs(red - other.red), abs(green - other.green), abs(blue - other.blue))
        }

        var isWhite: Bool { red > 245 && green > 245 && blue > 245 }
    }

    var description: String { "\(width)×\(height) image" }

    func color(_ x: Int, _ y: Int) -> Color {
        let offset = (y * width + x) * 4
        return Color(red: Int(pixels[offset]), green: Int(pixels[offset + 1]), blue: Int(pixels[offset + 2]))
    }

    /// Whether a pixel within `radius` of `(x, y)` has `color` (up to antialiasing).
    func has(_ color: Color, near x: Double, _ y: Double, radius: Int = 3, tolerance: Int = 40) -> Bool {
        let cx = Int(x.rounded()), cy = Int(y.rounded())
        for py in max(0, cy - radius)...min(height - 1, cy + radius) {
            for px in max(0, cx - radius)...min(width - 1, cx + radius) where self.color(px, py).distance(to: color) <= tolerance {
                return true
            }
        }
        return false
    }

    /// The rows of column `x` (between `top` and `bottom`) whose pixel has `color`.
    func rows(of color: Color, inColumn x: Int, from top: Int = 0, to bottom: Int? = nil, tolerance: Int = 40) -> [Int] {
        (top...(bottom ?? height - 1)).filter { self.color(x, $0).distance(to: color) <= tolerance }
    }

    /// The pixels of `color` inside a rectangle.
    func points(of color: Color, left: Int, top: Int, right: Int, bottom: Int, tolerance: Int = 40) -> [(x: Int, y: Int)] {
        var found: [(x: Int, y: Int)] = []
        for y in max(0, top)...min(height - 1, bottom) {
            for x in max(0, left)...min(width - 1, right) where self.color(x, y).distance(to: color) <= tolerance {
                found.append((x, y))
            }
        }
        return found
    }

    var nonWhiteCount: Int {
        (0..<width * height).reduce(0) { count, index in
            let offset = index * 4
            return count + (pixels[offset] > 245 && pixels[offset + 1] > 245 && pixels[offset + 2] > 245 ? 0 : 1)
        }
    }

    /// Renders the SVG file at `svgPath` with `rsvg-convert` and reads the PNG it writes.
    static func render(_ svgPath: String) throws -> RenderedImage {
        let pngPath = svgPath + ".png"
        let renderer = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let renderer else { throw PlotTestError("rsvg-convert is not installed (apt-get install librsvg2-bin; tools/test.sh does it)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: renderer)
        process.arguments = [svgPath, "-o", pngPath]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PlotTestError("rsvg-convert failed on \(svgPath): \(message)") }
        return try decodePNG(Array(try Data(contentsOf: URL(fileURLWithPath: pngPath))))
    }
}

struct PlotTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Decodes a non-interlaced 8-bit RGB or RGBA PNG (what rsvg-convert writes). The zlib stream is
/// inflated by the system's libz, which libhdf5 already brings into every process of this
/// package.
func decodePNG(_ bytes: [UInt8]) throws -> RenderedImage {
    guard bytes.count > 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
        throw PlotTestError("not a PNG file")
    }
    func bigEndian(_ offset: Int) -> Int { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
    var offset = 8
    var width = 0, height = 0, channels = 0
    var compressed: [UInt8] = []
    while offset + 8 <= bytes.count {
        let length = bigEndian(offset)
        let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
        let data = offset + 8
        switch type {
        case "IHDR":
            width = bigEndian(data)
            height = bigEndian(data + 4)
            let (depth, colorType, interlace) = (bytes[data + 8], bytes[data + 9], bytes[data + 12])
            guard depth == 8, colorType == 6 || colorType == 2, interlace == 0 else {
                throw PlotTestError("PNG depth \(depth), colour type \(colorType), interlace \(interlace) is not supported here")
            }
            channels = colorType == 6 ? 4 : 3
        case "IDAT":
            compressed += bytes[data..<data + length]
        default:
            break
        }
        offset = data + length + 4
    }
    let stride = width * channels
    var raw = [UInt8](repeating: 0, count: height * (stride + 1))
    try inflate(compressed, into: &raw)

    var pixels = [UInt8](repeating: 255, count: width * height * 4)
    var previous = [UInt8](repeating: 0, count: stride)
    var row = [UInt8](repeating: 0, count: stride)
    for y in 0..<height {
        let filter = raw[y * (stride + 1)]
        for i in 0..<stride {
            let value = raw[y * (stride + 1) + 1 + i]
            let left = i >= channels ? Int(row[i - channels]) : 0
            let up = Int(previous[i])
            let upLeft = i >= channels ? Int(previous[i - channels]) : 0
            let predictor: Int
            switch filter {
            case 0: predictor = 0
            case 1: predictor = left
            case 2: predictor = up
            case 3: predictor = (left + up) / 2
            case 4:
                let estimate = left + up - upLeft
                let (a, b, c) = (abs(estimate - left), abs(estimate - up), abs(estimate - upLeft))
                predictor = a <= b && a <= c ? left : (b <= c ? up : upLeft)
            default: throw PlotTestError("PNG filter \(filter) in row \(y)")
            }
            row[i] = UInt8(truncatingIfNeeded: Int(value) + predictor)
        }
        for x in 0..<width {
            for c in 0..<channels { pixels[(y * width + x) * 4 + c] = row[x * channels + c] }
        }
        swap(&previous, &row)
    }
    return RenderedImage(width: width, height: height, pixels: pixels)
}

/// zlib's `uncompress`, looked up at run time.
private func inflate(_ source: [UInt8], into target: inout [UInt8]) throws {
    typealias Uncompress = @convention(c) (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt>?, UnsafePointer<UInt8>?, UInt) -> Int32
    guard let library = dlopen("libz.so.1", RTLD_NOW), let symbol = dlsym(library, "uncompress") else {
        throw PlotTestError("libz.so.1 cannot be loaded")
    }
    let uncompress = unsafeBitCast(symbol, to: Uncompress.self)
    var length = UInt(target.count)
    let status = target.withUnsafeMutableBufferPointer { out in
        source.withUnsafeBufferPointer { uncompress(out.baseAddress, &length, $0.baseAddress, UInt($0.count)) }
    }
    guard status == 0, length == UInt(target.count) else { throw PlotTestError("zlib status \(status), \(length) of \(target.count) bytes") }
}
