extension Tensor {
    /// Reduces `axes` (all when nil) with a kernel, keeping them as size-1 axes when asked.
    private func reduced(_ kind: ReductionKind, axes: [Int]?, keepDims: Bool, operation: String) -> Tensor {
        if axes == nil && !keepDims {
            let result = Tensor(uninitialized: [])
            reduceMiddleAxis(kind, storage.pointer, outer: 1, size: count, inner: 1, into: result.storage.pointer)
            return result
        }
        let reducedAxes = normalizedAxes(axes, rank: rank, operation: operation)
        var current = self.detached()
        var currentShape = shape
        // Reduce each run of adjacent axes in one pass, last run first.
        var runs: [[Int]] = []
        for axis in reducedAxes {
            if let last = runs.last?.last, last == axis - 1 { runs[runs.count - 1].append(axis) } else { runs.append([axis]) }
        }
        for run in runs.reversed() {
            let outer = currentShape[..<run.first!].reduce(1, *)
            let size = run.reduce(1) { $0 * currentShape[$1] }
            let inner = currentShape[(run.last! + 1)...].reduce(1, *)
            for axis in run { currentShape[axis] = 1 }
            let next = Tensor(uninitialized: currentShape)
            withExtendedLifetime(current) {
                reduceMiddleAxis(kind, current.storage.pointer, outer: outer, size: size, inner: inner, into: next.storage.pointer)
            }
            current = next
        }
        let keptShape = currentShape
        let finalShape = keepDims ? keptShape : shape.indices.filter { !reducedAxes.contains($0) }.map { shape[$0] }
        return current.reshaped(finalShape)
    }

    /// The shape `self` has after reducing `axes` with `keepDims: true`.
    private func keptShape(_ axes: [Int]?) -> [Int] {
        let reducedAxes = normalizedAxes(axes, rank: rank, operation: "reduce")
        return shape.indices.map { reducedAxes.contains($0) ? 1 : shape[$0] }
    }

    /// Sum over `axes` (all axes when nil).
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let result = reduced(.sum, axes: axes, keepDims: keepDims, operation: "sum")
        guard Tensor.shouldRecord(self) else { return result }
        let original = shape, kept = keptShape(axes)
        return result.recorded(inputs: [self]) { g, _ in [g.reshaped(kept).broadcast(to: original)] }
    }

    /// Sum over one axis.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Mean over `axes` (all axes when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let n = normalizedAxes(axes, rank: rank, operation: "mean").reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n, 1)))
    }

    /// Mean over one axis.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Variance over `axes`, dividing by `n − correction` (1: unbiased, PyTorch's default;
    /// 0: the population variance that batch and layer norm use). Two-pass, so a constant
    /// tensor has variance 0.
    public func variance(axes: [Int]? = nil, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        let n = normalizedAxes(axes, rank: rank, operation: "variance").reduce(1) { $0 * shape[$1] }
        let centered = self - mean(axes: axes, keepDims: true)
        return (centered * centered).sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(n - correction, 1)))
    }

    /// Maximum over `axes`; the gradient is shared equally among tied maxima.
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        extremum(.max, axes: axes, keepDims: keepDims, operation: "max")
    }

    /// Minimum over `axes`; the gradient is shared equally among tied minima.
    public func min(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        extremum(.min, axes: axes, keepDims: keepDims, operation: "min")
    }

    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }
    public func min(axis: Int, keepDims: Bool = false) -> Tensor { min(axes: [axis], keepDims: keepDims) }

    private func extremum(_ kind: ReductionKind, axes: [Int]?, keepDims: Bool, operation: String) -> Tensor {
        let result = reduced(kind, axes: axes, keepDims: keepDims, operation: operation)
        guard Tensor.shouldRecord(self) else { return result }
        let x = detached(), kept = keptShape(axes)
        return result.recorded(inputs: [self]) { g, _ in
            let mask = x .== result.reshaped(kept)
            let ties = mask.sum(axes: axes, keepDims: true)
            return [mask * (g.reshaped(kept) / ties)]
        }
    }

    /// The index of the largest element along `axis` (first on ties), as integral floats.
    public func argmax(axis: Int, keepDims: Bool = false) -> Tensor {
        argExtremum(axis: axis, keepDims: keepDims, largest: true)
    }

    /// The index of the smallest element along `axis` (first on ties), as integral floats.
    public func argmin(axis: Int, keepDims: Bool = false) -> Tensor {
        argExtremum(axis: axis, keepDims: keepDims, largest: false)
    }

    private func argExtremum(axis: Int, keepDims: Bool, largest: Bool) -> Tensor {
        let a = normalizedAxis(axis, rank: rank, operation: largest ? "argmax" : "argmin")
        let (outer, size, inner) = axisLayout(shape, axis: a)
        precondition(size > 0, "\(largest ? "argmax" : "argmin"): axis \(axis) of shape \(shape) is empty")
        var kept = shape
        kept[a] = 1
        let result = Tensor(uninitialized: kept)
        let source = storage.pointer, destination = result.storage.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let base = source + o * size * inner + i
                var best = 0
                for k in 1..<size {
                    let v = base[k * inner], b = base[best * inner]
                    if largest ? v > b : v < b { best = k }
                }
                destination[o * inner + i] = Float(best)
            }
        }
        return keepDims ? result : result.squeezed(axis: a)
    }

    /// log Σ exp over `axes`, computed stably by subtracting the maximum.
    public func logSumExp(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let shift = withoutGradients { mapElements(max(axes: axes, keepDims: true), ScalarClosure1 { $0.isFinite ? $0 : 0 }) }
        let result = (self - shift).exp().sum(axes: axes, keepDims: true).log() + shift
        return keepDims ? result : result.reshaped(shape.indices.filter { !normalizedAxes(axes, rank: rank, operation: "logSumExp").contains($0) }.map { shape[$0] })
    }

    /// The vector norm over `axes`: L1 (Σ|x|), L2 (√Σx², gradient 0 at the origin) or L∞ (max |x|).
    public func norm(_ order: NormOrder = .l2, axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        switch order {
        case .l1:
            return abs().sum(axes: axes, keepDims: keepDims)
        case .infinity:
            return abs().max(axes: axes, keepDims: keepDims)
        case .l2:
            let x = detached()
            let result = withoutGradients { (x * x).sum(axes: axes, keepDims: keepDims).sqrt() }
            guard Tensor.shouldRecord(self) else { return result }
            let kept = keptShape(axes)
            return result.recorded(inputs: [self]) { g, _ in
                let scale = mapElements(g.reshaped(kept), result.reshaped(kept), ScalarClosure2 { g, n in n > 0 ? g / n : 0 })
                return [x * scale]
            }
        }
    }

    /// The sum of `self` over the axes that broadcasting expanded from `target`: the
    /// pullback of broadcasting.
    public func sum(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(target.count <= rank, "sum(toShape:): cannot reduce \(shape) to \(target)")
        let leading = rank - target.count
        var axes = Array(0..<leading)
        for (i, size) in target.enumerated() where size == 1 && shape[leading + i] != 1 {
            axes.append(leading + i)
        }
        for (i, size) in target.enumerated() {
            precondition(size == shape[leading + i] || size == 1, "sum(toShape:): cannot reduce \(shape) to \(target)")
        }
        return sum(axes: axes, keepDims: true).reshaped(target)
    }
}

/// Which vector norm `Tensor.norm` computes.
public enum NormOrder: Sendable {
    case l1, l2, infinity
}
