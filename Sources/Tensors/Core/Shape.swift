/// A shape that an operation cannot accept, naming the operation and the shapes involved.
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    /// The operation that rejected the shapes, such as `"add"` or `"matmul"`.
    public let operation: String
    /// What was wrong, naming the shapes.
    public let message: String

    public init(operation: String, message: String) {
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation): \(message)" }
}

/// The shape that NumPy broadcasting gives two shapes, or an error naming both.
///
/// Axes are aligned from the right; each pair must be equal or contain a 1.
public func broadcastShapes(_ a: [Int], _ b: [Int], operation: String = "broadcast") throws -> [Int] {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard da == db || da == 1 || db == 1 else {
            throw ShapeError(operation: operation, message: "shapes \(a) and \(b) cannot be broadcast together")
        }
        result[i] = da == 1 ? db : da
    }
    return result
}

/// Stops with the error's message: shape errors inside an operation are programming
/// errors, and the message names the operation and the shapes.
@inline(never)
func shapeFailure(_ error: Error) -> Never {
    fatalError("\(error)")
}

/// `broadcastShapes`, stopping with a message that names the operation on failure.
func broadcastShapesOrFail(_ a: [Int], _ b: [Int], operation: String) -> [Int] {
    do { return try broadcastShapes(a, b, operation: operation) } catch { shapeFailure(error) }
}

/// Row-major strides of a contiguous tensor of `shape`, in elements.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = running
        running *= shape[i]
    }
    return strides
}

/// `axis` made non-negative (Python-style negative axes count from the end).
func normalizedAxis(_ axis: Int, rank: Int, operation: String) -> Int {
    let normalized = axis < 0 ? axis + rank : axis
    precondition(normalized >= 0 && normalized < rank, "\(operation): axis \(axis) is out of range for rank \(rank)")
    return normalized
}

/// Sorted, de-duplicated, non-negative axes; `nil` means all axes.
func normalizedAxes(_ axes: [Int]?, rank: Int, operation: String) -> [Int] {
    guard let axes else { return Array(0..<rank) }
    return Array(Set(axes.map { normalizedAxis($0, rank: rank, operation: operation) })).sorted()
}

/// The tensor viewed as `[outer, size of axis, inner]`, the layout every per-axis kernel uses.
func axisLayout(_ shape: [Int], axis: Int) -> (outer: Int, size: Int, inner: Int) {
    (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
}
