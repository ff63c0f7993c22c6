extension Tensor {
    /// The same elements in a new shape (one dimension may be −1, inferred). Shares storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        precondition(inferred.count <= 1, "reshape: more than one -1 in \(newShape)")
        if let axis = inferred.first {
            let known = newShape.filter { $0 != -1 }.reduce(1, *)
            precondition(known > 0 && count % known == 0, "reshape: cannot reshape \(shape) into \(newShape)")
            resolved[axis] = count / known
        }
        precondition(
            resolved.allSatisfy { $0 >= 0 } && resolved.elementCount == count,
            "reshape: cannot reshape \(shape) (\(count) elements) into \(newShape)")
        if resolved == shape { return self }
        let result = Tensor(shape: resolved, storage: storage)
        guard Tensor.shouldRecord(self) else { return result }
        let original = shape
        return result.recorded(inputs: [self]) { g, _ in [g.reshaped(original)] }
    }

    /// Axes `startAxis...endAxis` merged into one.
    public func flattened(startAxis: Int = 0, endAxis: Int = -1) -> Tensor {
        guard rank > 0 else { return reshaped([1]) }
        let start = normalizedAxis(startAxis, rank: rank, operation: "flatten")
        let end = normalizedAxis(endAxis, rank: rank, operation: "flatten")
        precondition(start <= end, "flatten: startAxis \(startAxis) is after endAxis \(endAxis) for shape \(shape)")
        return reshaped(Array(shape[..<start]) + [shape[start...end].reduce(1, *)] + Array(shape[(end + 1)...]))
    }

    /// Without the given size-1 axis, or without every size-1 axis.
    public func squeezed(axis: Int? = nil) -> Tensor {
        guard let axis else { return reshaped(shape.filter { $0 != 1 }) }
        let a = normalizedAxis(axis, rank: rank, operation: "squeeze")
        precondition(shape[a] == 1, "squeeze: axis \(axis) of shape \(shape) has size \(shape[a]), not 1")
        var newShape = shape
        newShape.remove(at: a)
        return reshaped(newShape)
    }

    /// With a new size-1 axis at `axis` (which may equal the rank, or be negative).
    public func unsqueezed(axis: Int) -> Tensor {
        let a = normalizedAxis(axis, rank: rank + 1, operation: "unsqueeze")
        var newShape = shape
        newShape.insert(1, at: a)
        return reshaped(newShape)
    }

    /// The axes reordered: axis `i` of the result is axis `permutation[i]` of `self`.
    public func permuted(_ permutation: [Int]) -> Tensor {
        let axes = permutation.map { normalizedAxis($0, rank: rank, operation: "permute") }
        precondition(Set(axes).count == rank && axes.count == rank, "permute: \(permutation) is not a permutation of the axes of \(shape)")
        if axes == Array(0..<rank) { return self }
        let newShape = axes.map { shape[$0] }
        let sourceStrides = contiguousStrides(shape)
        let result = Tensor(uninitialized: newShape)
        stridedCopy(
            shape: newShape, from: storage.pointer, sourceStrides: axes.map { sourceStrides[$0] },
            to: result.storage.pointer, destinationStrides: contiguousStrides(newShape))
        guard Tensor.shouldRecord(self) else { return result }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return result.recorded(inputs: [self]) { g, _ in [g.permuted(inverse)] }
    }

    /// Axes `first` and `second` swapped.
    public func transposed(_ first: Int, _ second: Int) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(normalizedAxis(first, rank: rank, operation: "transpose"), normalizedAxis(second, rank: rank, operation: "transpose"))
        return permuted(axes)
    }

    /// The last two axes swapped (the matrix transpose). For products, prefer
    /// `matmul(_:_:transposeA:transposeB:)`, which transposes without copying.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transpose: tensor of shape \(shape) has fewer than 2 axes")
        return transposed(-2, -1)
    }

    /// The tensor repeated along size-1 (or missing leading) axes to `newShape`, as NumPy
    /// broadcasting would. The copy is materialised.
    public func broadcast(to newShape: [Int]) -> Tensor {
        if newShape == shape { return self }
        let target = broadcastShapesOrFail(shape, newShape, operation: "broadcast(to:)")
        precondition(target == newShape, "broadcast(to:): shape \(shape) cannot be broadcast to \(newShape)")
        let result: Tensor
        if count == 1 {
            result = Tensor(shape: newShape, repeating: storage.pointer[0])
        } else {
            result = Tensor(uninitialized: newShape)
            stridedCopy(
                shape: newShape, from: storage.pointer, sourceStrides: broadcastStrides(of: shape, to: newShape),
                to: result.storage.pointer, destinationStrides: contiguousStrides(newShape))
        }
        guard Tensor.shouldRecord(self) else { return result }
        let original = shape
        return result.recorded(inputs: [self]) { g, _ in [g.sum(toShape: original)] }
    }

    /// The tensor tiled `counts[i]` times along axis `i` (PyTorch's `repeat`; `counts` may
    /// have more entries than the rank, adding leading axes).
    public func repeated(_ counts: [Int]) -> Tensor {
        precondition(counts.count >= rank && counts.allSatisfy { $0 >= 0 }, "repeat: counts \(counts) do not fit shape \(shape)")
        let padded = [Int](repeating: 1, count: counts.count - rank) + shape
        // Interleave a size-1 axis before each axis, broadcast it to the count, merge pairs.
        let interleaved = padded.flatMap { [1, $0] }
        let expanded = zip(counts, padded).flatMap { [$0, $1] }
        return reshaped(interleaved).broadcast(to: expanded).reshaped(zip(counts, padded).map { $0 * $1 })
    }
}
