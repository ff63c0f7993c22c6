import Foundation

/// Batch normalisation with the statistics of the batch (Ioffe & Szegedy, 2015): for
/// `x` of shape `[N, C]` or `[N, C, …]`, each channel is normalised by its mean and
/// (population) variance over every other axis, then scaled by `weight` and shifted by
/// `bias` (each `[C]`, optional). Forward and backward are fused kernels.
///
/// Returns the output and the batch mean and unbiased variance per channel (not
/// differentiable), with which a layer updates its running statistics.
public func batchNormTraining(
    _ x: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5
) -> (output: Tensor, mean: Tensor, variance: Tensor) {
    precondition(x.rank >= 2, "batchNorm: input of shape \(x.shape) needs a batch and a channel axis")
    let (batch, channels) = (x.shape[0], x.shape[1])
    let spatial = x.shape[2...].reduce(1, *)
    let perChannel = batch * spatial
    precondition(perChannel > 1, "batchNorm: input of shape \(x.shape) has one value per channel; batch statistics need more")
    for (name, parameter) in [("weight", weight), ("bias", bias)] {
        if let parameter { precondition(parameter.shape == [channels], "batchNorm: \(name) of shape \(parameter.shape) does not match \(channels) channels of \(x.shape)") }
    }
    let output = Tensor(uninitialized: x.shape)
    let mean = Tensor(uninitialized: [channels]), inverseStd = Tensor(uninitialized: [channels])
    let unbiased = Tensor(uninitialized: [channels])
    let px = x.storage.pointer, py = output.storage.pointer
    let pm = mean.storage.pointer, ps = inverseStd.storage.pointer, pu = unbiased.storage.pointer
    let pw = weight?.storage.pointer, pb = bias?.storage.pointer
    parallelFor(channels, grain: Swift.max(1, Parallelism.minimumElementsPerThread / perChannel)) { range in
        for c in range {
            var total: Double = 0
            for n in 0..<batch {
                let plane = px + (n * channels + c) * spatial
                total += Double(vectorizedSum(count: spatial, { load16(plane, $0) }, { plane[$0] }))
            }
            let m = Float(total / Double(perChannel))
            var squares: Double = 0
            for n in 0..<batch {
                let plane = px + (n * channels + c) * spatial
                let m16 = SIMD16<Float>(repeating: m)
                squares += Double(vectorizedSum(
                    count: spatial,
                    { let d = load16(plane, $0) - m16; return d * d },
                    { let d = plane[$0] - m; return d * d }))
            }
            let variance = Float(squares / Double(perChannel))
            let invStd = 1 / (variance + epsilon).squareRoot()
            pm[c] = m
            ps[c] = invStd
            pu[c] = Float(squares / Double(perChannel - 1))
            let scale = invStd * (pw?[c] ?? 1), shift = (pb?[c] ?? 0) - m * scale
            for n in 0..<batch {
                let offset = (n * channels + c) * spatial
                for i in 0..<spatial { py[offset + i] = px[offset + i] * scale + shift }
            }
        }
    }
    withExtendedLifetime(inverseStd) {}
    var result = output
    let inputs = [x] + [weight, bias].compactMap { $0 }
    if Tensor.shouldRecord(inputs) {
        let input = x.detached(), gamma = weight?.detached()
        result = output.recorded(inputs: inputs) { g, needed in
            let gradX = Tensor(uninitialized: input.shape)
            let gradW = Tensor(uninitialized: [channels]), gradB = Tensor(uninitialized: [channels])
            let px = input.storage.pointer, pg = g.storage.pointer, pdx = gradX.storage.pointer
            let pm = mean.storage.pointer, ps = inverseStd.storage.pointer
            let pw = gamma?.storage.pointer, pdw = gradW.storage.pointer, pdb = gradB.storage.pointer
            parallelFor(channels, grain: Swift.max(1, Parallelism.minimumElementsPerThread / perChannel)) { range in
                for c in range {
                    let m = pm[c], invStd = ps[c]
                    var sumG: Float = 0, sumGX: Float = 0
                    let m16 = SIMD16<Float>(repeating: m)
                    for n in 0..<batch {
                        let offset = (n * channels + c) * spatial
                        let (gradient, input) = (UnsafePointer(pg + offset), UnsafePointer(px + offset))
                        sumG += vectorizedSum(count: spatial, { load16(gradient, $0) }, { gradient[$0] })
                        sumGX += vectorizedSum(
                            count: spatial,
                            { load16(gradient, $0) * (load16(input, $0) - m16) },
                            { gradient[$0] * (input[$0] - m) })
                    }
                    let sumGHat = sumGX * invStd  // Σ g·x̂
                    pdb[c] = sumG
                    pdw[c] = sumGHat
                    // dx = γ·invStd/M · (M·g − Σg − x̂·Σ(g·x̂))
                    let k = (pw?[c] ?? 1) * invStd / Float(perChannel)
                    let meanG = sumG, meanGHat = sumGHat
                    for n in 0..<batch {
                        let offset = (n * channels + c) * spatial
                        for i in 0..<spatial {
                            let xHat = (px[offset + i] - m) * invStd
                            pdx[offset + i] = k * (Float(perChannel) * pg[offset + i] - meanG - xHat * meanGHat)
                        }
                    }
                }
            }
            withExtendedLifetime((gradX, gradW, gradB)) {}
            var gradients: [Tensor?] = [needed[0] ? gradX : nil]
            if weight != nil { gradients.append(needed[gradients.count] ? gradW : nil) }
            if bias != nil { gradients.append(needed[gradients.count] ? gradB : nil) }
            return gradients
        }
    }
    return (result, mean, unbiased)
}

/// Batch normalisation with given statistics (inference mode): `(x − mean)/√(var + ε)·γ + β`
/// per channel (axis 1). Differentiable with respect to `x`, `weight` and `bias`.
public func batchNorm(
    _ x: Tensor, mean: Tensor, variance: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5
) -> Tensor {
    precondition(x.rank >= 2 && mean.shape == [x.shape[1]] && variance.shape == [x.shape[1]],
                 "batchNorm: statistics of shapes \(mean.shape), \(variance.shape) do not match channels of \(x.shape)")
    var scale = (variance.detached() + epsilon).rsqrt()
    if let weight { scale = scale * weight }
    var shift = -mean.detached() * scale
    if let bias { shift = shift + bias }
    return channelAffine(x, scale: scale, shift: shift)
}

/// `x·scale[c] + shift[c]` for each channel `c` (axis 1) of `x` (`[N, C, …]`), in one pass
/// each way: a frozen batch norm's whole work, which as a broadcast multiply and add
/// would read and write the activation twice.
func channelAffine(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor {
    let (batch, channels) = (x.shape[0], x.shape[1])
    let spatial = x.shape[2...].reduce(1, *)
    let planes = batch * channels
    let grain = Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(spatial, 1))
    let output = Tensor(uninitialized: x.shape)
    let (px, py, pscale, pshift) = (x.storage.pointer, output.storage.pointer, scale.storage.pointer, shift.storage.pointer)
    parallelFor(planes, grain: grain) { range in
        for plane in range {
            let c = plane % channels, offset = plane * spatial
            let (a, b) = (pscale[c], pshift[c])
            for i in offset..<(offset + spatial) { py[i] = px[i] * a + b }
        }
    }
    withExtendedLifetime((x, scale, shift)) {}
    guard Tensor.shouldRecord([x, scale, shift]) else { return output }
    let (input, factor) = (x.detached(), scale.detached())
    return output.recorded(inputs: [x, scale, shift]) { g, needed in
        var gradInput: Tensor?, gradScale: Tensor?, gradShift: Tensor?
        if needed[0] {
            let result = Tensor(uninitialized: input.shape)
            let (pg, pdx, pscale) = (g.storage.pointer, result.storage.pointer, factor.storage.pointer)
            parallelFor(planes, grain: grain) { range in
                for plane in range {
                    let a = pscale[plane % channels], offset = plane * spatial
                    for i in offset..<(offset + spatial) { pdx[i] = pg[i] * a }
                }
            }
            gradInput = result
        }
        if needed[1] || needed[2] {
            // Per channel: Σ g·x and Σ g over the batch and the spatial axes.
            let sums = Tensor(uninitialized: [2, channels])
            let (pg, px, pscale, pshift) = (UnsafePointer(g.storage.pointer), UnsafePointer(input.storage.pointer), sums.storage.pointer, sums.storage.pointer + channels)
            parallelFor(channels, grain: Swift.max(1, grain / Swift.max(batch, 1))) { range in
                for c in range {
                    var (sumGX, sumG): (Float, Float) = (0, 0)
                    for n in 0..<batch {
                        let (gradient, values) = (pg + (n * channels + c) * spatial, px + (n * channels + c) * spatial)
                        sumGX += vectorizedSum(count: spatial, { load16(gradient, $0) * load16(values, $0) }, { gradient[$0] * values[$0] })
                        sumG += vectorizedSum(count: spatial, { load16(gradient, $0) }, { gradient[$0] })
                    }
                    (pscale[c], pshift[c]) = (sumGX, sumG)
                }
            }
            gradScale = needed[1] ? sums[0] : nil
            gradShift = needed[2] ? sums[1] : nil
        }
        withExtendedLifetime((g, input, factor)) {}
        return [gradInput, gradScale, gradShift]
    }
}

/// Layer normalisation (Ba et al., 2016) over the last `normalizedAxes` axes, with
/// optional elementwise `weight` and `bias` of those axes' shape.
public func layerNorm(
    _ x: Tensor, normalizedAxes: Int = 1, weight: Tensor? = nil, bias: Tensor? = nil, epsilon: Float = 1e-5
) -> Tensor {
    precondition(normalizedAxes >= 1 && normalizedAxes <= x.rank, "layerNorm: cannot normalise \(normalizedAxes) axes of shape \(x.shape)")
    let axes = Array((x.rank - normalizedAxes)..<x.rank)
    let normalizedShape = Array(x.shape[(x.rank - normalizedAxes)...])
    for (name, parameter) in [("weight", weight), ("bias", bias)] {
        if let parameter { precondition(parameter.shape == normalizedShape, "layerNorm: \(name) of shape \(parameter.shape) does not match normalised shape \(normalizedShape)") }
    }
    var y = standardized(x, axes: axes, epsilon: epsilon)
    if let weight { y = y * weight }
    if let bias { y = y + bias }
    return y
}

/// Group normalisation (Wu & He, 2018): channels (axis 1) split into `groups`, each
/// normalised over its channels and the spatial axes, then per-channel `weight`/`bias`.
public func groupNorm(
    _ x: Tensor, groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, epsilon: Float = 1e-5
) -> Tensor {
    precondition(x.rank >= 2 && groups >= 1 && x.shape[1] % groups == 0, "groupNorm: \(groups) groups do not divide the channels of \(x.shape)")
    let channels = x.shape[1]
    var y = standardized(x.reshaped([x.shape[0], groups, -1]), axes: [2], epsilon: epsilon).reshaped(x.shape)
    let channelShape = [1, channels] + [Int](repeating: 1, count: x.rank - 2)
    if let weight { y = y * weight.reshaped(channelShape) }
    if let bias { y = y + bias.reshaped(channelShape) }
    return y
}

/// `(x − mean)/√(var + ε)` over `axes`, with the population variance.
private func standardized(_ x: Tensor, axes: [Int], epsilon: Float) -> Tensor {
    let centered = x - x.mean(axes: axes, keepDims: true)
    let variance = (centered * centered).mean(axes: axes, keepDims: true)
    return centered * (variance + epsilon).rsqrt()
}

/// Inverted dropout: each element is zeroed with probability `probability` and the
/// survivors scaled by `1/(1 − p)`, so the expectation is unchanged.
public func dropout(_ x: Tensor, probability: Float, using generator: inout RandomGenerator) -> Tensor {
    precondition((0..<1).contains(probability), "dropout: probability \(probability) is not in [0, 1)")
    if probability == 0 { return x }
    let mask = Tensor.bernoulli(x.shape, probability: 1 - probability, using: &generator) * (1 / (1 - probability))
    return x * mask
}
