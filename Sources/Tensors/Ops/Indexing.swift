// Integer indices are stored in Float tensors (exact up to 2²⁴), so that labels, argmax
// results and index tensors flow through the same type as everything else.

extension Tensor {
    /// The elements as integers (for index and label tensors); fails on a non-integral value.
    public var integerScalars: [Int] {
        withUnsafeBufferPointer { buffer in
            buffer.map { value in
                precondition(value == value.rounded() && Swift.abs(value) <= 16_777_216, "index tensor holds \(value), which is not an exact integer")
                return Int(value)
            }
        }
    }

    /// The slices at `indices` along `axis`, in that order (repeats allowed).
    public func indexSelect(axis: Int, indices: [Int]) -> Tensor {
        let a = normalizedAxis(axis, rank: rank, operation: "indexSelect")
        let (outer, size, inner) = axisLayout(shape, axis: a)
        for i in indices { precondition(i >= 0 && i < size, "indexSelect: index \(i) is out of range for axis \(axis) of shape \(shape)") }
        var outShape = shape
        outShape[a] = indices.count
        let result = Tensor(uninitialized: outShape)
        let source = storage.pointer, destination = result.storage.pointer
        let k = indices.count
        indices.withUnsafeBufferPointer { index in
            parallelFor(outer * k, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(inner, 1))) { rows in
                for row in rows {
                    let o = row / k, j = row % k
                    (destination + row * inner).update(from: source + (o * size + index[j]) * inner, count: inner)
                }
            }
        }
        guard Tensor.shouldRecord(self) else { return result }
        let original = shape
        return result.recorded(inputs: [self]) { g, _ in [g.indexAdded(axis: a, indices: indices, size: original[a])] }
    }

    /// `indexSelect` with indices from a tensor of integers.
    public func indexSelect(axis: Int, indices: Tensor) -> Tensor {
        indexSelect(axis: axis, indices: indices.integerScalars)
    }

    /// The inverse of `indexSelect`: a tensor with `size` slices along `axis`, where slice
    /// `indices[j]` accumulates slice `j` of `self`.
    func indexAdded(axis: Int, indices: [Int], size: Int) -> Tensor {
        var outShape = shape
        outShape[axis] = size
        let result = Tensor.zeros(outShape)
        let (outer, k, inner) = axisLayout(shape, axis: axis)
        let source = storage.pointer, destination = result.storage.pointer
        // Parallel over outer slices only: two indices may name the same slice.
        parallelFor(outer, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(k * inner, 1))) { range in
            for o in range {
                for j in 0..<k {
                    let s = source + (o * k + j) * inner, d = destination + (o * size + indices[j]) * inner
                    for i in 0..<inner { d[i] += s[i] }
                }
            }
        }
        guard Tensor.shouldRecord(self) else { return result }
        return result.recorded(inputs: [self]) { g, _ in [g.indexSelect(axis: axis, indices: indices)] }
    }

    /// Elements picked along `axis` by `indices` (PyTorch's `gather`):
    /// `out[i][j][k] = self[i][indices[i][j][k]][k]` for axis 1. `indices` has the rank of
    /// `self` and no axis larger than it; the result has the shape of `indices`.
    public func gathering(axis: Int, indices: Tensor) -> Tensor {
        let a = normalizedAxis(axis, rank: rank, operation: "gather")
        let offsets = indexedOffsets(axis: a, indices: indices, operation: "gather")
        let result = Tensor(uninitialized: indices.shape)
        let source = storage.pointer, destination = result.storage.pointer
        for (p, offset) in offsets.enumerated() { destination[p] = source[offset] }
        guard Tensor.shouldRecord(self) else { return result }
        let original = shape
        return result.recorded(inputs: [self]) { g, _ in
            [Tensor.zeros(original).scatteringAdd(axis: a, indices: indices, values: g)]
        }
    }

    /// A copy with `values` added at the positions `indices` names along `axis` (PyTorch's
    /// `scatter_add`); `values` has the shape of `indices`.
    public func scatteringAdd(axis: Int, indices: Tensor, values: Tensor) -> Tensor {
        let a = normalizedAxis(axis, rank: rank, operation: "scatterAdd")
        precondition(values.shape == indices.shape, "scatterAdd: values of shape \(values.shape) do not match indices of shape \(indices.shape)")
        let offsets = indexedOffsets(axis: a, indices: indices, operation: "scatterAdd")
        let result = Tensor(shape: shape, storage: storage.copy())
        let source = values.storage.pointer, destination = result.storage.pointer
        for (p, offset) in offsets.enumerated() { destination[offset] += source[p] }
        guard Tensor.shouldRecord(self, values) else { return result }
        return result.recorded(inputs: [self, values]) { g, needed in
            [needed[0] ? g : nil, needed[1] ? g.gathering(axis: a, indices: indices) : nil]
        }
    }

    /// For each position of `indices`, the offset in `self` it addresses along `axis`.
    private func indexedOffsets(axis: Int, indices: Tensor, operation: String) -> [Int] {
        precondition(
            indices.rank == rank && (0..<rank).allSatisfy { $0 == axis || indices.shape[$0] <= shape[$0] },
            "\(operation): indices of shape \(indices.shape) do not fit tensor of shape \(shape) along axis \(axis)")
        let values = indices.integerScalars
        let strides = contiguousStrides(shape)
        var coordinate = [Int](repeating: 0, count: rank)
        var offsets = [Int](repeating: 0, count: values.count)
        for p in 0..<values.count {
            let index = values[p]
            precondition(index >= 0 && index < shape[axis], "\(operation): index \(index) is out of range for axis \(axis) of shape \(shape)")
            var offset = 0
            for d in 0..<rank { offset += (d == axis ? index : coordinate[d]) * strides[d] }
            offsets[p] = offset
            // Advance the coordinate over the shape of `indices`, last axis fastest.
            var d = rank - 1
            while d >= 0 {
                coordinate[d] += 1
                if coordinate[d] < indices.shape[d] { break }
                coordinate[d] = 0
                d -= 1
            }
        }
        return offsets
    }

    /// The `k` largest (or smallest) elements along `axis`, sorted, with their indices.
    /// Ties keep the lower index first. Gradients flow to the selected elements.
    public func topK(_ k: Int, axis: Int = -1, largest: Bool = true) -> (values: Tensor, indices: Tensor) {
        let a = normalizedAxis(axis, rank: rank, operation: "topK")
        let (outer, size, inner) = axisLayout(shape, axis: a)
        precondition(k >= 0 && k <= size, "topK: k = \(k) exceeds axis \(axis) of size \(size) in shape \(shape)")
        var outShape = shape
        outShape[a] = k
        let indices = Tensor(uninitialized: outShape)
        let source = storage.pointer, destination = indices.storage.pointer
        parallelFor(outer * inner, grain: 64) { lanes in
            var order = [Int](repeating: 0, count: size)
            for lane in lanes {
                let o = lane / inner, i = lane % inner
                let base = source + o * size * inner + i
                for j in 0..<size { order[j] = j }
                order.sort { p, q in
                    let vp = base[p * inner], vq = base[q * inner]
                    return vp == vq ? p < q : (largest ? vp > vq : vp < vq)
                }
                for j in 0..<k { destination[(o * k + j) * inner + i] = Float(order[j]) }
            }
        }
        return (gathering(axis: a, indices: indices), indices)
    }
}

/// One-hot rows: `labels` (integers in `0..<classCount`) of shape `S` give shape `S + [classCount]`.
public func oneHot(_ labels: Tensor, classCount: Int) -> Tensor {
    let values = labels.integerScalars
    var result = Tensor.zeros(labels.shape + [classCount])
    result.withUnsafeMutableBufferPointer { buffer in
        for (i, label) in values.enumerated() {
            precondition(label >= 0 && label < classCount, "oneHot: label \(label) is not in 0..<\(classCount)")
            buffer[i * classCount + label] = 1
        }
    }
    return result
}

/// Rows of `weight` (shape `[vocabulary, dimension]`) looked up by `indices` of shape `S`,
/// giving shape `S + [dimension]`.
public func embedding(_ indices: Tensor, weight: Tensor) -> Tensor {
    precondition(weight.rank == 2, "embedding: weight of shape \(weight.shape) is not [vocabulary, dimension]")
    return weight.indexSelect(axis: 0, indices: indices.integerScalars).reshaped(indices.shape + [weight.shape[1]])
}
