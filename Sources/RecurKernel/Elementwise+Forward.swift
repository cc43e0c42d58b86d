/// `y = x ∘ c` for each of `count` values, with Keras's float32 arithmetic (`x / c` is a
/// division, not a multiplication by `1 / c`).
func elementwiseForward(_ layer: Layer, output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int) {
    let c = layer.constant
    switch layer.operation {
    case .multiply: for i in 0..<count { output[i] = input[i] * c }
    case .divide: for i in 0..<count { output[i] = input[i] / c }
    case .add: for i in 0..<count { output[i] = input[i] + c }
    case .subtract: for i in 0..<count { output[i] = input[i] - c }
    case .subtractFrom: for i in 0..<count { output[i] = c - input[i] }
    case .scaleAndOffset:
        let d = layer.offset
        for i in 0..<count { output[i] = input[i] * c + d }
    }
}
