/// What a reduction kernel combines.
enum ReductionKind {
    case sum, max, min
}

/// Reduces the middle axis of `source` viewed as `[outer, size, inner]` into
/// `destination` (`[outer, inner]`).
func reduceMiddleAxis(
    _ kind: ReductionKind, _ source: UnsafePointer<Float>, outer: Int, size: Int, inner: Int,
    into destination: UnsafeMutablePointer<Float>
) {
    if inner == 1 {
        if outer == 1 {
            destination[0] = reduceContiguous(kind, source, count: size)
            return
        }
        parallelFor(outer, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(size, 1))) { rows in
            for o in rows { destination[o] = reduceRow(kind, source + o * size, count: size) }
        }
        return
    }
    // Accumulate whole rows of `inner` elements: contiguous, so the inner loop vectorises.
    let work = outer * inner
    parallelFor(work, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(size, 1))) { range in
        var position = range.lowerBound
        while position < range.upperBound {
            let o = position / inner, i0 = position % inner
            let i1 = Swift.min(inner, i0 + (range.upperBound - position))
            let out = destination + o * inner
            let base = source + o * size * inner
            if size == 0 {
                for i in i0..<i1 { out[i] = identity(of: kind) }
                position += i1 - i0
                continue
            }
            for i in i0..<i1 { out[i] = base[i] }
            for k in 1..<Swift.max(size, 1) {
                let row = base + k * inner
                switch kind {
                case .sum: for i in i0..<i1 { out[i] += row[i] }
                case .max: for i in i0..<i1 { out[i] = Swift.max(out[i], row[i]) }
                case .min: for i in i0..<i1 { out[i] = Swift.min(out[i], row[i]) }
                }
            }
            position += i1 - i0
        }
    }
}

private func identity(of kind: ReductionKind) -> Float {
    switch kind {
    case .sum: return 0
    case .max: return -.infinity
    case .min: return .infinity
    }
}

/// One reduction over a long contiguous run, split across threads.
private func reduceContiguous(_ kind: ReductionKind, _ source: UnsafePointer<Float>, count: Int) -> Float {
    let threads = Swift.max(1, Swift.min(Parallelism.threadCount, count / Parallelism.minimumElementsPerThread))
    if threads == 1 { return reduceRow(kind, source, count: count) }
    var partials = [Float](repeating: identity(of: kind), count: threads)
    let chunk = (count + threads - 1) / threads
    partials.withUnsafeMutableBufferPointer { partial in
        parallelFor(threads, grain: 1) { range in
            for t in range {
                let start = t * chunk
                partial[t] = reduceRow(kind, source + start, count: Swift.max(0, Swift.min(chunk, count - start)))
            }
        }
    }
    return reduceRow(kind, partials, count: threads)
}

/// One reduction over a contiguous row with SIMD accumulators.
@inline(__always)
private func reduceRow(_ kind: ReductionKind, _ source: UnsafePointer<Float>, count: Int) -> Float {
    let raw = UnsafeRawPointer(source)
    let width = 16
    let vectorCount = count / width
    switch kind {
    case .sum:
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var v = 0
        while v + 1 < vectorCount {
            a0 += raw.loadUnaligned(fromByteOffset: v * width * 4, as: SIMD16<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: (v + 1) * width * 4, as: SIMD16<Float>.self)
            v += 2
        }
        if v < vectorCount { a0 += raw.loadUnaligned(fromByteOffset: v * width * 4, as: SIMD16<Float>.self) }
        var total = (a0 + a1).sum()
        for i in (vectorCount * width)..<count { total += source[i] }
        return total
    case .max, .min:
        let isMax = kind == .max
        var best = SIMD16<Float>(repeating: identity(of: kind))
        for v in 0..<vectorCount {
            let x = raw.loadUnaligned(fromByteOffset: v * width * 4, as: SIMD16<Float>.self)
            best = isMax ? pointwiseMax(best, x) : pointwiseMin(best, x)
        }
        var result = isMax ? best.max() : best.min()
        for i in (vectorCount * width)..<count { result = isMax ? Swift.max(result, source[i]) : Swift.min(result, source[i]) }
        // NaN propagates as in PyTorch.
        for i in 0..<(vectorCount * width) where source[i].isNaN { return .nan }
        return result
    }
}

/// `Σᵢ term(i)` for `i` in `0..<count`, where `vector(i)` gives the 16 terms from `i` on
/// and `scalar(i)` the one term at `i`: a float sum in SIMD form, which the compiler will
/// not produce by itself (float addition is not associative).
@inline(__always)
func vectorizedSum(count: Int, _ vector: (Int) -> SIMD16<Float>, _ scalar: (Int) -> Float) -> Float {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
    var i = 0
    while i &+ 32 <= count {
        a0 += vector(i)
        a1 += vector(i &+ 16)
        i &+= 32
    }
    if i &+ 16 <= count {
        a0 += vector(i)
        i &+= 16
    }
    var total = (a0 + a1).sum()
    while i < count {
        total += scalar(i)
        i &+= 1
    }
    return total
}

/// The 16 floats from `pointer + i` on.
@inline(__always)
func load16(_ pointer: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
    UnsafeRawPointer(pointer + i).loadUnaligned(as: SIMD16<Float>.self)
}
