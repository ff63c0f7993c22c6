/// Applies `f` to every element, split across threads for large tensors.
func mapElements<F: UnaryScalarFunction>(_ x: Tensor, _ f: F) -> Tensor {
    let result = Tensor(uninitialized: x.shape)
    let source = x.storage.pointer
    let destination = result.storage.pointer
    parallelFor(x.count) { range in
        for i in range { destination[i] = f(source[i]) }
    }
    return result
}

/// Applies `f` elementwise to two tensors of the same shape.
func mapElements<F: BinaryScalarFunction>(_ a: Tensor, _ b: Tensor, _ f: F) -> Tensor {
    precondition(a.shape == b.shape, "mapElements: shapes \(a.shape) and \(b.shape) differ")
    let result = Tensor(uninitialized: a.shape)
    let pa = a.storage.pointer, pb = b.storage.pointer
    let destination = result.storage.pointer
    parallelFor(a.count) { range in
        for i in range { destination[i] = f(pa[i], pb[i]) }
    }
    return result
}

/// Applies `f` elementwise to three tensors of the same shape.
func mapElements<F: TernaryScalarFunction>(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ f: F) -> Tensor {
    precondition(a.shape == b.shape && b.shape == c.shape, "mapElements: shapes \(a.shape), \(b.shape) and \(c.shape) differ")
    let result = Tensor(uninitialized: a.shape)
    let pa = a.storage.pointer, pb = b.storage.pointer, pc = c.storage.pointer
    let destination = result.storage.pointer
    parallelFor(a.count) { range in
        for i in range { destination[i] = f(pa[i], pb[i], pc[i]) }
    }
    return result
}

/// How two strided operands are walked together over `shape`: as rows of `rowLength`
/// elements, with each operand's offset per row and its step within a row. Axes of size 1
/// are dropped and neighbouring axes that both operands traverse as one are merged, so the
/// inner loop is as long as possible.
struct PairedLayout {
    let rowLength: Int
    let rowCount: Int
    let innerStep: (first: Int, second: Int)
    private let outerShape: [Int]
    private let outerStrides: (first: [Int], second: [Int])

    init(shape: [Int], strides first: [Int], _ second: [Int]) {
        var dims: [Int] = [], s1: [Int] = [], s2: [Int] = []
        for axis in shape.indices where shape[axis] != 1 {
            if let last = dims.last, s1.last! == first[axis] * shape[axis], s2.last! == second[axis] * shape[axis] {
                dims[dims.count - 1] = last * shape[axis]
                s1[s1.count - 1] = first[axis]
                s2[s2.count - 1] = second[axis]
            } else {
                dims.append(shape[axis])
                s1.append(first[axis])
                s2.append(second[axis])
            }
        }
        rowLength = dims.last ?? 1
        innerStep = (s1.last ?? 0, s2.last ?? 0)
        outerShape = Array(dims.dropLast())
        outerStrides = (Array(s1.dropLast()), Array(s2.dropLast()))
        rowCount = shape.contains(0) ? 0 : outerShape.reduce(1, *)
    }

    /// The operands' starting offsets for row `row`.
    @inline(__always)
    func offsets(ofRow row: Int) -> (first: Int, second: Int) {
        var remainder = row
        var first = 0, second = 0
        for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
            let index = remainder % outerShape[axis]
            remainder /= outerShape[axis]
            first += index * outerStrides.first[axis]
            second += index * outerStrides.second[axis]
        }
        return (first, second)
    }

    /// Rows per thread for about `Parallelism.minimumElementsPerThread` elements each.
    var rowGrain: Int { Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(rowLength, 1)) }
}

/// The strides with which an operand of `operand` shape is read when broadcast to `shape`
/// (0 along broadcast axes).
func broadcastStrides(of operand: [Int], to shape: [Int]) -> [Int] {
    let padded = [Int](repeating: 1, count: shape.count - operand.count) + operand
    let contiguous = contiguousStrides(padded)
    return shape.indices.map { padded[$0] == 1 ? 0 : contiguous[$0] }
}

/// Applies `f` elementwise with NumPy broadcasting; fails with a message naming
/// `operation` and both shapes when they cannot broadcast.
func broadcastingMap<F: BinaryScalarFunction>(_ a: Tensor, _ b: Tensor, operation: String, _ f: F) -> Tensor {
    if a.shape == b.shape { return mapElements(a, b, f) }
    let shape = broadcastShapesOrFail(a.shape, b.shape, operation: operation)
    let layout = PairedLayout(shape: shape, strides: broadcastStrides(of: a.shape, to: shape), broadcastStrides(of: b.shape, to: shape))
    let result = Tensor(uninitialized: shape)
    let pa = a.storage.pointer, pb = b.storage.pointer
    let destination = result.storage.pointer
    let n = layout.rowLength
    parallelFor(layout.rowCount, grain: layout.rowGrain) { rows in
        for row in rows {
            let (oa, ob) = layout.offsets(ofRow: row)
            let out = destination + row * n
            let ra = pa + oa, rb = pb + ob
            // Specialised inner loops: the steps are 0 or 1, and a constant step vectorises.
            switch layout.innerStep {
            case (1, 1): for i in 0..<n { out[i] = f(ra[i], rb[i]) }
            case (1, 0): let vb = rb[0]; for i in 0..<n { out[i] = f(ra[i], vb) }
            case (0, 1): let va = ra[0]; for i in 0..<n { out[i] = f(va, rb[i]) }
            default: let v = f(ra[0], rb[0]); for i in 0..<n { out[i] = v }
            }
        }
    }
    return result
}
