extension Tensor {
    /// The block of `sizes` starting at `offsets` (one entry per axis).
    public func extracting(offsets: [Int], sizes: [Int]) -> Tensor {
        precondition(offsets.count == rank && sizes.count == rank, "slice: offsets \(offsets) and sizes \(sizes) must have one entry per axis of \(shape)")
        for axis in 0..<rank {
            precondition(
                offsets[axis] >= 0 && sizes[axis] >= 0 && offsets[axis] + sizes[axis] <= shape[axis],
                "slice: block at \(offsets) of size \(sizes) does not fit in shape \(shape)")
        }
        if sizes == shape { return self }
        let strides = contiguousStrides(shape)
        let start = zip(offsets, strides).reduce(0) { $0 + $1.0 * $1.1 }
        let result = Tensor(uninitialized: sizes)
        stridedCopy(
            shape: sizes, from: storage.pointer + start, sourceStrides: strides,
            to: result.storage.pointer, destinationStrides: contiguousStrides(sizes))
        guard Tensor.shouldRecord(self) else { return result }
        let original = shape
        return result.recorded(inputs: [self]) { g, _ in [g.embedded(in: original, at: offsets, fill: 0)] }
    }

    /// A tensor of `outerShape` filled with `fill`, with `self` written at `offsets`.
    /// (Constant padding; the inverse of `extracting`.)
    public func embedded(in outerShape: [Int], at offsets: [Int], fill: Float) -> Tensor {
        precondition(outerShape.count == rank && offsets.count == rank, "pad: shape \(outerShape) and offsets \(offsets) must match the rank of \(shape)")
        for axis in 0..<rank {
            precondition(offsets[axis] >= 0 && offsets[axis] + shape[axis] <= outerShape[axis], "pad: \(shape) at \(offsets) does not fit in \(outerShape)")
        }
        let result = Tensor(shape: outerShape, repeating: fill)
        let strides = contiguousStrides(outerShape)
        let start = zip(offsets, strides).reduce(0) { $0 + $1.0 * $1.1 }
        stridedCopy(
            shape: shape, from: storage.pointer, sourceStrides: contiguousStrides(shape),
            to: result.storage.pointer + start, destinationStrides: strides)
        guard Tensor.shouldRecord(self) else { return result }
        let inner = shape
        return result.recorded(inputs: [self]) { g, _ in [g.extracting(offsets: offsets, sizes: inner)] }
    }

    /// Elements `start, start + step, …` below `end` along `axis` (`end` defaults to the
    /// axis size; negative `start`/`end` count from the end).
    public func slice(axis: Int, start: Int = 0, end: Int? = nil, step: Int = 1) -> Tensor {
        let a = normalizedAxis(axis, rank: rank, operation: "slice")
        precondition(step >= 1, "slice: step \(step) must be positive")
        let size = shape[a]
        func clampIndex(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + size : i, 0), size) }
        let lower = clampIndex(start), upper = Swift.max(clampIndex(end ?? size), lower)
        if step == 1 {
            var offsets = [Int](repeating: 0, count: rank), sizes = shape
            offsets[a] = lower
            sizes[a] = upper - lower
            return extracting(offsets: offsets, sizes: sizes)
        }
        return indexSelect(axis: a, indices: Array(stride(from: lower, to: upper, by: step)))
    }

    /// The sub-tensor at `index` along axis 0, without that axis.
    public subscript(index: Int) -> Tensor {
        precondition(rank >= 1, "subscript: cannot index a scalar")
        let i = index < 0 ? index + shape[0] : index
        precondition(i >= 0 && i < shape[0], "subscript: index \(index) is out of range for shape \(shape)")
        return slice(axis: 0, start: i, end: i + 1).squeezed(axis: 0)
    }

    /// Pieces of the given sizes along `axis` (they must add up to the axis size).
    public func split(sizes: [Int], axis: Int = 0) -> [Tensor] {
        let a = normalizedAxis(axis, rank: rank, operation: "split")
        precondition(sizes.reduce(0, +) == shape[a] && sizes.allSatisfy { $0 >= 0 }, "split: sizes \(sizes) do not add up to axis \(axis) of shape \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(axis: a, start: start, end: start + size)
        }
    }

    /// `count` nearly equal pieces along `axis` (the last may be smaller), as PyTorch's `chunk`.
    public func chunked(_ count: Int, axis: Int = 0) -> [Tensor] {
        let a = normalizedAxis(axis, rank: rank, operation: "chunk")
        precondition(count >= 1, "chunk: count \(count) must be positive")
        let size = shape[a], piece = (size + count - 1) / count
        guard piece > 0 else { return [self] }
        return split(sizes: stride(from: 0, to: size, by: piece).map { Swift.min(piece, size - $0) }, axis: a)
    }

    /// Padding before and after each axis: `padding[i] = (before, after)` for axis `i`;
    /// fewer entries than the rank pad the last axes.
    public func padded(_ padding: [(before: Int, after: Int)], mode: PaddingMode = .constant(0)) -> Tensor {
        precondition(padding.count <= rank, "pad: \(padding.count) paddings for shape \(shape)")
        let full = [(before: Int, after: Int)](repeating: (0, 0), count: rank - padding.count) + padding
        switch mode {
        case .constant(let value):
            precondition(full.allSatisfy { $0.before >= 0 && $0.after >= 0 }, "pad: negative padding \(padding)")
            let outer = zip(shape, full).map { $0 + $1.before + $1.after }
            return embedded(in: outer, at: full.map(\.before), fill: value)
        case .reflect:
            var result = self
            for (axis, pad) in full.enumerated() where pad.before > 0 || pad.after > 0 {
                let size = shape[axis]
                precondition(pad.before < size && pad.after < size, "pad: reflect padding \(pad) must be smaller than axis \(axis) of size \(size) in shape \(shape)")
                let indices = (-pad.before..<(size + pad.after)).map { i in i < 0 ? -i : (i >= size ? 2 * (size - 1) - i : i) }
                result = result.indexSelect(axis: axis, indices: indices)
            }
            return result
        }
    }
}

/// How `padded` fills the new elements.
public enum PaddingMode: Sendable {
    /// A constant value.
    case constant(Float)
    /// The mirror image of the tensor, not repeating the edge (PyTorch's `reflect`).
    case reflect
}

/// The tensors joined along an existing axis (all other sizes must match).
public func concatenate(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    precondition(!tensors.isEmpty, "concatenate: no tensors")
    let first = tensors[0]
    let a = normalizedAxis(axis, rank: first.rank, operation: "concatenate")
    for t in tensors {
        precondition(
            t.rank == first.rank && (0..<first.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
            "concatenate: shapes \(tensors.map(\.shape)) differ outside axis \(axis)")
    }
    var outShape = first.shape
    outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    let result = Tensor(uninitialized: outShape)
    let outStrides = contiguousStrides(outShape)
    var offset = 0
    for t in tensors {
        stridedCopy(
            shape: t.shape, from: t.storage.pointer, sourceStrides: contiguousStrides(t.shape),
            to: result.storage.pointer + offset * outStrides[a], destinationStrides: outStrides)
        offset += t.shape[a]
    }
    guard Tensor.shouldRecord(tensors) else { return result }
    let sizes = tensors.map { $0.shape[a] }
    return result.recorded(inputs: tensors) { g, needed in
        let pieces = g.split(sizes: sizes, axis: a)
        return zip(pieces, needed).map { $1 ? $0 : nil }
    }
}

/// The tensors (all of one shape) stacked along a new axis.
public func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
    precondition(!tensors.isEmpty, "stack: no tensors")
    precondition(tensors.allSatisfy { $0.shape == tensors[0].shape }, "stack: shapes \(tensors.map(\.shape)) differ")
    return concatenate(tensors.map { $0.unsqueezed(axis: axis) }, axis: axis)
}
