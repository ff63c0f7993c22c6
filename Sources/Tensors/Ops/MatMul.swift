import CBLAS

/// The matrix product of the last two axes of `a` and `b`, with the leading (batch) axes
/// broadcast. `transposeA`/`transposeB` use the transpose of the last two axes of that
/// operand — passed to BLAS as a flag, never copied.
///
/// Shapes: `a` is `[…, m, k]` (`[…, k, m]` transposed), `b` is `[…, k, n]` (`[…, n, k]`
/// transposed), and the result `[…, m, n]`.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul: operands of shapes \(a.shape) and \(b.shape) need at least 2 axes each")
    let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
    let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
    let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    precondition(
        k == kb,
        "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") × \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
    let batch = broadcastShapesOrFail(batchA, batchB, operation: "matmul")
    let result = Tensor(uninitialized: batch + [m, n])
    let pa = a.storage.pointer, pb = b.storage.pointer, pc = result.storage.pointer

    if batchB.elementCount == 1 && !transposeA && batchA == batch {
        // A batch against one matrix is one product with the batch folded into the rows.
        gemm(pa, pb, pc, m: batch.elementCount * m, n: n, k: k, transposeA: false, transposeB: transposeB)
    } else {
        let offsetsA = broadcastOffsets(of: batchA, in: batch), offsetsB = broadcastOffsets(of: batchB, in: batch)
        for i in 0..<batch.elementCount {
            gemm(
                pa + offsetsA[i] * m * k, pb + offsetsB[i] * k * n, pc + i * m * n,
                m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        }
    }
    guard Tensor.shouldRecord(a, b) else { return result }
    let x = a.detached(), y = b.detached()
    return result.recorded(inputs: [a, b]) { g, needed in
        var gradA: Tensor?
        var gradB: Tensor?
        if needed[0] {
            gradA = transposeA
                ? matmul(y, g, transposeA: transposeB, transposeB: true)
                : matmul(g, y, transposeB: !transposeB)
            gradA = gradA!.sum(toShape: x.shape)
        }
        if needed[1] {
            if y.rank == 2 && x.rank > 2 && !transposeA {
                // Fold the batch of `a` into rows: one product instead of a batch and a sum.
                let rowsA = x.reshaped([-1, k]), rowsG = g.reshaped([-1, n])
                gradB = transposeB ? matmul(rowsG, rowsA, transposeA: true) : matmul(rowsA, rowsG, transposeA: true)
            } else {
                gradB = transposeB
                    ? matmul(g, x, transposeA: true, transposeB: transposeA)
                    : matmul(x, g, transposeA: !transposeA)
                gradB = gradB!.sum(toShape: y.shape)
            }
        }
        return [gradA, gradB]
    }
}

/// `c = op(a) · op(b)` for row-major matrices through OpenBLAS.
func gemm(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, accumulate: Bool = false
) {
    _ = Parallelism.threadCount  // sets BLAS threads once
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { c.update(repeating: 0, count: m * n) }
        return
    }
    cblas_sgemm(
        CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
        accumulate ? 1 : 0, c, Int32(n))
}

extension Tensor {
    /// `matmul(self, other)`.
    public func matmul(_ other: Tensor) -> Tensor { Tensors.matmul(self, other) }
}

/// For each flat index of `broadcastShape`, the flat index of the element of `shape`
/// (which broadcasts to it) that it reads.
func broadcastOffsets(of shape: [Int], in broadcastShape: [Int]) -> [Int] {
    let strides = broadcastStrides(of: shape, to: broadcastShape)
    return (0..<broadcastShape.elementCount).map { flat in
        var remainder = flat, offset = 0
        for axis in stride(from: broadcastShape.count - 1, through: 0, by: -1) {
            offset += (remainder % broadcastShape[axis]) * strides[axis]
            remainder /= broadcastShape[axis]
        }
        return offset
    }
}

/// `x·Wᵀ + b`, PyTorch's `linear`: `x` is `[…, in]`, `weight` `[out, in]`, `bias` `[out]`
/// (optional), the result `[…, out]`. One fused product: the output starts as copies of
/// the bias and `sgemm` adds `x·Wᵀ` to it, instead of writing the product and then
/// reading and writing it again to add the bias.
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(x.rank >= 1 && weight.rank == 2 && x.shape.last == weight.shape[1],
                 "linear: input \(x.shape) does not end in the \(weight.rank == 2 ? weight.shape[1] : -1) features of weight \(weight.shape)")
    let (outputs, features) = (weight.shape[0], weight.shape[1])
    if let bias { precondition(bias.shape == [outputs], "linear: bias of shape \(bias.shape) does not match \(outputs) outputs") }
    let rows = x.count / Swift.max(features, 1)
    let result = Tensor(uninitialized: Array(x.shape.dropLast()) + [outputs])
    let pc = result.storage.pointer
    if let bias {
        let pb = bias.storage.pointer
        for row in 0..<rows { (pc + row * outputs).update(from: pb, count: outputs) }
    }
    gemm(x.storage.pointer, weight.storage.pointer, pc, m: rows, n: outputs, k: features,
         transposeA: false, transposeB: true, accumulate: bias != nil)
    withExtendedLifetime((x, weight, bias)) {}
    let inputs = [x, weight] + (bias.map { [$0] } ?? [])
    guard Tensor.shouldRecord(inputs) else { return result }
    let (input, kernel) = (x.detached(), weight.detached())
    return result.recorded(inputs: inputs) { g, needed in
        let gradient = g.reshaped([rows, outputs])
        var gradInput: Tensor?, gradWeight: Tensor?, gradBias: Tensor?
        if needed[0] { gradInput = matmul(gradient, kernel).reshaped(input.shape) }
        if needed[1] { gradWeight = matmul(gradient, input.reshaped([rows, features]), transposeA: true) }
        if bias != nil && needed[2] { gradBias = gradient.sum(axes: [0]) }
        return [gradInput, gradWeight] + (bias != nil ? [gradBias] : [])
    }
}
