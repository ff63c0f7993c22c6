extension Tensor {
    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// A tensor with every element equal to `value`.
    public static func full(_ shape: [Int], value: Float) -> Tensor { Tensor(shape: shape, repeating: value) }

    /// Zeros with the shape of `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape) }

    /// Ones with the shape of `other`.
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape) }

    /// Values `start, start + step, …` below `end` (NumPy's `arange`).
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange: step must not be zero")
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [count]) { buffer in
            for i in 0..<count { buffer[i] = start + Float(i) * step }
        }
    }

    /// `count` evenly spaced values from `start` to `end` inclusive.
    public static func linspace(_ start: Float, _ end: Float, count: Int) -> Tensor {
        precondition(count >= 0, "linspace: count \(count) must not be negative")
        return Tensor(shape: [count]) { buffer in
            guard count > 1 else {
                if count == 1 { buffer[0] = start }
                return
            }
            let step = (end - start) / Float(count - 1)
            for i in 0..<count { buffer[i] = start + Float(i) * step }
            buffer[count - 1] = end
        }
    }

    /// An identity matrix of `rows × columns` (square by default).
    public static func eye(_ rows: Int, columns: Int? = nil) -> Tensor {
        let columns = columns ?? rows
        var result = zeros([rows, columns])
        result.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<Swift.min(rows, columns) { buffer[i * columns + i] = 1 }
        }
        return result
    }

    /// Uniform samples in `[low, high)`.
    public static func uniform(
        _ shape: [Int], low: Float = 0, high: Float = 1, using generator: inout RandomGenerator
    ) -> Tensor {
        Tensor(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = low + (high - low) * generator.nextUniform() }
        }
    }

    /// Normal samples with the given mean and standard deviation.
    public static func normal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout RandomGenerator
    ) -> Tensor {
        Tensor(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = mean + standardDeviation * generator.nextNormal() }
        }
    }

    /// Ones with probability `probability`, zeros otherwise.
    public static func bernoulli(
        _ shape: [Int], probability: Float, using generator: inout RandomGenerator
    ) -> Tensor {
        precondition((0...1).contains(probability), "bernoulli: probability \(probability) is not in [0, 1]")
        return Tensor(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = generator.nextUniform() < probability ? 1 : 0 }
        }
    }

    /// Uniform integers in `range`, stored as `Float`.
    public static func randomIntegers(
        _ shape: [Int], in range: Range<Int>, using generator: inout RandomGenerator
    ) -> Tensor {
        precondition(!range.isEmpty, "randomIntegers: range \(range) is empty")
        return Tensor(shape: shape) { buffer in
            for i in buffer.indices { buffer[i] = Float(range.lowerBound + generator.nextInt(below: range.count)) }
        }
    }

    /// A random permutation of `0..<count` (Fisher–Yates), as integral `Float`s.
    public static func permutation(_ count: Int, using generator: inout RandomGenerator) -> Tensor {
        let order = randomPermutation(count, using: &generator)
        return Tensor(shape: [count]) { buffer in
            for i in 0..<count { buffer[i] = Float(order[i]) }
        }
    }
}

/// A random permutation of `0..<count` (Fisher–Yates), the same for the same generator
/// state on every machine.
public func randomPermutation(_ count: Int, using generator: inout RandomGenerator) -> [Int] {
    var order = Array(0..<count)
    if count > 1 {
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, generator.nextInt(below: i + 1))
        }
    }
    return order
}
