/// The input rows (or columns) each output row of a pooling covers, clipped to the input.
struct PoolingWindows {
    var starts: [Int] = []
    var ends: [Int] = []
    /// The divisor of an average over each window.
    var divisors: [Float] = []

    var count: Int { starts.count }

    /// Windows of `kernel` every `stride`, on an input of `size` padded by `padding`.
    static func sliding(size: Int, kernel: Int, stride: Int, padding: Int, countPadding: Bool) -> PoolingWindows {
        let outputs = (size + 2 * padding - kernel) / stride + 1
        var windows = PoolingWindows()
        for o in 0..<Swift.max(outputs, 0) {
            let start = o * stride - padding, end = start + kernel
            let clippedStart = Swift.max(start, 0), clippedEnd = Swift.min(end, size)
            windows.starts.append(clippedStart)
            windows.ends.append(clippedEnd)
            windows.divisors.append(Float(countPadding ? Swift.min(end, size + padding) - start : clippedEnd - clippedStart))
        }
        return windows
    }

    /// PyTorch's adaptive windows: `[⌊i·size/out⌋, ⌈(i+1)·size/out⌉)`.
    static func adaptive(size: Int, outputs: Int) -> PoolingWindows {
        var windows = PoolingWindows()
        for i in 0..<outputs {
            let start = i * size / outputs, end = ((i + 1) * size + outputs - 1) / outputs
            windows.starts.append(start)
            windows.ends.append(end)
            windows.divisors.append(Float(end - start))
        }
        return windows
    }
}

/// Max or average over 2-D windows of `[N, C, H, W]`; the one kernel behind every pooling.
private func pool2d(_ x: Tensor, rows: PoolingWindows, columns: PoolingWindows, maximum: Bool, operation: String) -> Tensor {
    precondition(x.rank == 4, "\(operation): input of shape \(x.shape) is not [N, C, H, W]")
    precondition(rows.count > 0 && columns.count > 0, "\(operation): the window does not fit input \(x.shape)")
    precondition(zip(rows.starts, rows.ends).allSatisfy { $0 < $1 } && zip(columns.starts, columns.ends).allSatisfy { $0 < $1 },
                 "\(operation): a window lies entirely in the padding of input \(x.shape)")
    let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = (rows.count, columns.count)
    let output = Tensor(uninitialized: [x.shape[0], x.shape[1], oh, ow])
    // For max pooling, the flat in-plane index of each maximum, for the pullback.
    var argmax = [Int32](repeating: 0, count: maximum ? planes * oh * ow : 0)
    let source = x.storage.pointer, destination = output.storage.pointer
    // The common 2×2, stride-2, unpadded max pooling gets a loop without window bookkeeping.
    func halves(_ windows: PoolingWindows) -> Bool {
        windows.starts.indices.allSatisfy { windows.starts[$0] == 2 * $0 && windows.ends[$0] == 2 * $0 + 2 }
    }
    let halving = maximum && halves(rows) && halves(columns)
    argmax.withUnsafeMutableBufferPointer { argmax in
        parallelFor(planes, grain: Swift.max(1, Parallelism.minimumElementsPerThread / (h * w))) { range in
            for p in range {
                let plane = source + p * h * w, out = destination + p * oh * ow
                if halving {
                    for oy in 0..<oh {
                        let upper = plane + 2 * oy * w, lower = upper + w
                        let row = p * oh * ow + oy * ow
                        // Four outputs at a time with vector selects: which candidate wins is
                        // data-dependent, and a mispredicted branch per candidate cost more than
                        // the comparisons. A window holding a NaN goes to the scalar loop below.
                        var ox = 0
                        while ox + 4 <= ow {
                            let top = UnsafeRawPointer(upper + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
                            let bottom = UnsafeRawPointer(lower + 2 * ox).loadUnaligned(as: SIMD8<Float>.self)
                            if any(top .!= top) || any(bottom .!= bottom) { break }
                            var best = top.evenHalf, offset = SIMD4<Int32>(repeating: 0)
                            @inline(__always) func consider(_ candidate: SIMD4<Float>, _ shift: Int32) {
                                let wins = candidate .> best  // strictly: the first maximum stays
                                best.replace(with: candidate, where: wins)
                                offset.replace(with: SIMD4(repeating: shift), where: wins)
                            }
                            consider(top.oddHalf, 1)
                            consider(bottom.evenHalf, Int32(w))
                            consider(bottom.oddHalf, Int32(w + 1))
                            UnsafeMutableRawPointer(out + oy * ow + ox).storeBytes(of: best, as: SIMD4<Float>.self)
                            let first = SIMD4<Int32>(0, 2, 4, 6) &+ Int32(2 * oy * w + 2 * ox)
                            UnsafeMutableRawPointer(argmax.baseAddress! + row + ox).storeBytes(of: first &+ offset, as: SIMD4<Int32>.self)
                            ox += 4
                        }
                        while ox < ow {
                            // Candidates in window order; `>` keeps the first maximum, as the general loop does.
                            let top = 2 * oy * w + 2 * ox
                            var bestIndex = top, best = plane[top]
                            for offset in 1...3 {
                                let candidate = top + (offset >> 1) * w + (offset & 1)
                                if plane[candidate] > best || plane[candidate].isNaN {
                                    best = plane[candidate]
                                    bestIndex = candidate
                                }
                            }
                            out[oy * ow + ox] = best
                            argmax[p * oh * ow + oy * ow + ox] = Int32(bestIndex)
                            ox += 1
                        }
                    }
                    continue
                }
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        if maximum {
                            var best = -Float.infinity, bestIndex = rows.starts[oy] * w + columns.starts[ox]
                            for iy in rows.starts[oy]..<rows.ends[oy] {
                                for ix in columns.starts[ox]..<columns.ends[ox] where plane[iy * w + ix] > best || plane[iy * w + ix].isNaN {
                                    best = plane[iy * w + ix]
                                    bestIndex = iy * w + ix
                                }
                            }
                            out[oy * ow + ox] = best
                            argmax[p * oh * ow + oy * ow + ox] = Int32(bestIndex)
                        } else {
                            var total: Float = 0
                            for iy in rows.starts[oy]..<rows.ends[oy] {
                                for ix in columns.starts[ox]..<columns.ends[ox] { total += plane[iy * w + ix] }
                            }
                            out[oy * ow + ox] = total / (rows.divisors[oy] * columns.divisors[ox])
                        }
                    }
                }
            }
        }
    }
    guard Tensor.shouldRecord(x) else { return output }
    let inputShape = x.shape
    return output.recorded(inputs: [x]) { g, _ in
        let gradient = Tensor.zeros(inputShape)
        let gp = g.storage.pointer, d = gradient.storage.pointer
        parallelFor(planes, grain: Swift.max(1, Parallelism.minimumElementsPerThread / (h * w))) { range in
            for p in range {
                let plane = d + p * h * w, grad = gp + p * oh * ow
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let value = grad[oy * ow + ox]
                        if maximum {
                            plane[Int(argmax[p * oh * ow + oy * ow + ox])] += value
                        } else {
                            let share = value / (rows.divisors[oy] * columns.divisors[ox])
                            for iy in rows.starts[oy]..<rows.ends[oy] {
                                for ix in columns.starts[ox]..<columns.ends[ox] { plane[iy * w + ix] += share }
                            }
                        }
                    }
                }
            }
        }
        return [gradient]
    }
}

/// 2-D max pooling over `[N, C, H, W]` (stride defaults to the kernel size; padding counts
/// as −∞). The gradient goes to the position of each window's maximum.
public func maxPool2d(_ x: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) -> Tensor {
    let stride = stride ?? kernelSize
    precondition(x.rank == 4, "maxPool2d: input of shape \(x.shape) is not [N, C, H, W]")
    precondition(padding.0 * 2 <= kernelSize.0 && padding.1 * 2 <= kernelSize.1, "maxPool2d: padding \(padding) exceeds half of kernel \(kernelSize)")
    return pool2d(
        x,
        rows: .sliding(size: x.shape[2], kernel: kernelSize.0, stride: stride.0, padding: padding.0, countPadding: false),
        columns: .sliding(size: x.shape[3], kernel: kernelSize.1, stride: stride.1, padding: padding.1, countPadding: false),
        maximum: true, operation: "maxPool2d")
}

/// 2-D average pooling over `[N, C, H, W]`; with `countIncludePad` (PyTorch's default) the
/// padding's zeros count in the divisor.
public func avgPool2d(
    _ x: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0), countIncludePad: Bool = true
) -> Tensor {
    let stride = stride ?? kernelSize
    precondition(x.rank == 4, "avgPool2d: input of shape \(x.shape) is not [N, C, H, W]")
    return pool2d(
        x,
        rows: .sliding(size: x.shape[2], kernel: kernelSize.0, stride: stride.0, padding: padding.0, countPadding: countIncludePad),
        columns: .sliding(size: x.shape[3], kernel: kernelSize.1, stride: stride.1, padding: padding.1, countPadding: countIncludePad),
        maximum: false, operation: "avgPool2d")
}

/// Average pooling to a fixed output size, with PyTorch's window boundaries.
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
    precondition(x.rank == 4 && outputSize.0 >= 1 && outputSize.1 >= 1, "adaptiveAvgPool2d: input \(x.shape) is not [N, C, H, W] or size \(outputSize) is not positive")
    return pool2d(
        x, rows: .adaptive(size: x.shape[2], outputs: outputSize.0), columns: .adaptive(size: x.shape[3], outputs: outputSize.1),
        maximum: false, operation: "adaptiveAvgPool2d")
}
