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

/// How two broadcast operands are walked: the output as rows of `rowLength` elements,
/// with each operand's offset advancing per row and a per-element step of 0 or 1.
struct BroadcastLayout {
    let shape: [Int]
    let rowLength: Int
    let rowCount: Int
    /// Collapsed outer shape and the operands' strides over it (innermost last).
    private let outerShape: [Int]
    private let outerStrides: (a: [Int], b: [Int])
    let innerStep: (a: Int, b: Int)

    init(_ aShape: [Int], _ bShape: [Int], operation: String) {
        shape = broadcastShapesOrFail(aShape, bShape, operation: operation)
        let rank = shape.count
        func strides(of operand: [Int]) -> [Int] {
            let padded = [Int](repeating: 1, count: rank - operand.count) + operand
            let contiguous = contiguousStrides(padded)
            return (0..<rank).map { padded[$0] == 1 ? 0 : contiguous[$0] }
        }
        var dims: [Int] = []
        var sa: [Int] = []
        var sb: [Int] = []
        let fullA = strides(of: aShape), fullB = strides(of: bShape)
        // Merge an axis into the previous one when both operands step through them as one.
        for axis in 0..<rank where shape[axis] != 1 {
            if let last = dims.last, sa.last! == fullA[axis] * shape[axis], sb.last! == fullB[axis] * shape[axis] {
                dims[dims.count - 1] = last * shape[axis]
                sa[sa.count - 1] = fullA[axis]
                sb[sb.count - 1] = fullB[axis]
            } else {
                dims.append(shape[axis])
                sa.append(fullA[axis])
                sb.append(fullB[axis])
            }
        }
        rowLength = dims.last ?? 1
        innerStep = (sa.last ?? 0, sb.last ?? 0)
        outerShape = dims.isEmpty ? [] : Array(dims.dropLast())
        outerStrides = (Array(sa.dropLast()), Array(sb.dropLast()))
        rowCount = outerShape.reduce(1, *)
    }

    /// The operands' starting offsets for output row `row`.
    @inline(__always)
    func offsets(ofRow row: Int) -> (a: Int, b: Int) {
        var remainder = row
        var a = 0, b = 0
        for axis in stride(from: outerShape.count - 1, through: 0, by: -1) {
            let index = remainder % outerShape[axis]
            remainder /= outerShape[axis]
            a += index * outerStrides.a[axis]
            b += index * outerStrides.b[axis]
        }
        return (a, b)
    }
}

/// Applies `f` elementwise with NumPy broadcasting; fails with a message naming
/// `operation` and both shapes when they cannot broadcast.
func broadcastingMap<F: BinaryScalarFunction>(_ a: Tensor, _ b: Tensor, operation: String, _ f: F) -> Tensor {
    if a.shape == b.shape { return mapElements(a, b, f) }
    let layout = BroadcastLayout(a.shape, b.shape, operation: operation)
    let result = Tensor(uninitialized: layout.shape)
    let pa = a.storage.pointer, pb = b.storage.pointer
    let destination = result.storage.pointer
    let n = layout.rowLength
    let grain = max(1, Parallelism.minimumElementsPerThread / max(n, 1))
    parallelFor(layout.rowCount, grain: grain) { rows in
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
