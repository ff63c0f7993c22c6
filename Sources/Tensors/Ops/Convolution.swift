/// 2-D cross-correlation, as PyTorch's `conv2d`: input `[N, C, H, W]`, weight
/// `[O, C/groups, kh, kw]`, optional bias `[O]`, output `[N, O, oh, ow]`.
///
/// Lowered to one matrix product per group over the whole batch: the input is unfolded
/// into columns `[C·kh·kw, N·oh·ow]` (im2col) and multiplied by the weight by `sgemm`.
public func conv2d(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
    stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1
) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4, "conv2d: input \(input.shape) and weight \(weight.shape) must be [N, C, H, W] and [O, C/groups, kh, kw]")
    let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (o, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
    precondition(groups >= 1 && c % groups == 0 && o % groups == 0 && weight.shape[1] == c / groups,
                 "conv2d: weight \(weight.shape) does not fit input \(input.shape) with \(groups) groups")
    precondition(stride.0 >= 1 && stride.1 >= 1 && dilation.0 >= 1 && dilation.1 >= 1 && padding.0 >= 0 && padding.1 >= 0,
                 "conv2d: stride \(stride), padding \(padding) and dilation \(dilation) must be positive (padding non-negative)")
    if let bias { precondition(bias.shape == [o], "conv2d: bias of shape \(bias.shape) does not match \(o) output channels") }
    let geometry = ConvolutionGeometry(
        batch: n, channels: c, height: h, width: w, kernelHeight: kh, kernelWidth: kw,
        strideY: stride.0, strideX: stride.1, paddingY: padding.0, paddingX: padding.1,
        dilationY: dilation.0, dilationX: dilation.1)
    precondition(geometry.outputHeight > 0 && geometry.outputWidth > 0, "conv2d: kernel \(weight.shape) is larger than padded input \(input.shape)")
    let columns = Tensor(uninitialized: [geometry.columnRows, n * geometry.positions])
    im2col(input.storage.pointer, geometry, into: columns.storage.pointer)
    // [O, N·L] = W [O, K] · columns [K, N·L], one product per group.
    let product = groupedMatmul(weight.detached().reshaped([o, -1]), columns, groups: groups)
    let output = channelsFirstToBatchFirst(product, batch: n, spatial: [geometry.outputHeight, geometry.outputWidth], bias: bias)
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    guard Tensor.shouldRecord(inputs) else { return output }
    let kernel = weight.detached()
    return output.recorded(inputs: inputs) { g, needed in
        let gradient = batchFirstToChannelsFirst(g)  // [O, N·L]
        var gradInput: Tensor?, gradWeight: Tensor?, gradBias: Tensor?
        if needed[0] {
            let gradColumns = groupedMatmul(kernel.reshaped([o, -1]), gradient, groups: groups, transposeA: true)
            let result = Tensor(uninitialized: [n, c, h, w])
            col2im(gradColumns.storage.pointer, geometry, into: result.storage.pointer)
            withExtendedLifetime(gradColumns) {}
            gradInput = result
        }
        if needed[1] { gradWeight = groupedMatmul(gradient, columns, groups: groups, transposeB: true).reshaped(kernel.shape) }
        if bias != nil && needed[2] { gradBias = gradient.sum(axes: [1]) }
        return [gradInput, gradWeight] + (bias != nil ? [gradBias] : [])
    }
}

/// 1-D cross-correlation: input `[N, C, L]`, weight `[O, C/groups, k]`; a 2-D convolution
/// over a height of 1.
public func conv1d(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
    stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
) -> Tensor {
    precondition(input.rank == 3 && weight.rank == 3, "conv1d: input \(input.shape) and weight \(weight.shape) must be [N, C, L] and [O, C/groups, k]")
    let output = conv2d(
        input.unsqueezed(axis: 2), weight: weight.unsqueezed(axis: 2), bias: bias,
        stride: (1, stride), padding: (0, padding), dilation: (1, dilation), groups: groups)
    return output.squeezed(axis: 2)
}

/// Transposed 2-D convolution, as PyTorch's `conv_transpose2d`: input `[N, Cin, H, W]`,
/// weight `[Cin, Cout/groups, kh, kw]`, output `[N, Cout, oh, ow]` with
/// `oh = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1`. It is the
/// adjoint of `conv2d`: a product with the transposed weight, folded by col2im.
public func convTranspose2d(
    _ input: Tensor, weight: Tensor, bias: Tensor? = nil,
    stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
    dilation: (Int, Int) = (1, 1), groups: Int = 1
) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4, "convTranspose2d: input \(input.shape) and weight \(weight.shape) must be [N, Cin, H, W] and [Cin, Cout/groups, kh, kw]")
    let (n, cin, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (coutPerGroup, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
    precondition(weight.shape[0] == cin && cin % groups == 0, "convTranspose2d: weight \(weight.shape) does not fit input \(input.shape) with \(groups) groups")
    precondition(outputPadding.0 < Swift.max(stride.0, dilation.0) && outputPadding.1 < Swift.max(stride.1, dilation.1),
                 "convTranspose2d: outputPadding \(outputPadding) must be smaller than stride or dilation")
    let cout = coutPerGroup * groups
    if let bias { precondition(bias.shape == [cout], "convTranspose2d: bias of shape \(bias.shape) does not match \(cout) output channels") }
    let oh = (h - 1) * stride.0 - 2 * padding.0 + dilation.0 * (kh - 1) + outputPadding.0 + 1
    let ow = (w - 1) * stride.1 - 2 * padding.1 + dilation.1 * (kw - 1) + outputPadding.1 + 1
    precondition(oh > 0 && ow > 0, "convTranspose2d: output size \([oh, ow]) is not positive for input \(input.shape)")
    // The convolution that maps the output back to the input's size.
    let geometry = ConvolutionGeometry(
        batch: n, channels: cout, height: oh, width: ow, kernelHeight: kh, kernelWidth: kw,
        strideY: stride.0, strideX: stride.1, paddingY: padding.0, paddingX: padding.1,
        dilationY: dilation.0, dilationX: dilation.1)
    let inputColumns = batchFirstToChannelsFirst(input)  // [Cin, N·H·W]
    // Weight per group as [Cin/g, Cout/g·kh·kw]; columns = Wᵀ · x.
    let weightMatrix = weight.detached().reshaped([cin, -1])
    let columns = groupedMatmul(weightMatrix, inputColumns, groups: groups, transposeA: true)
    var output = Tensor(uninitialized: [n, cout, oh, ow])
    col2im(columns.storage.pointer, geometry, into: output.storage.pointer)
    withExtendedLifetime(columns) {}
    if let bias { output = output + bias.detached().reshaped([1, cout, 1, 1]) }
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    guard Tensor.shouldRecord(inputs) else { return output }
    let kernel = weight.detached()
    return output.recorded(inputs: inputs) { g, needed in
        let gradColumns = Tensor(uninitialized: [geometry.columnRows, n * geometry.positions])
        im2col(g.storage.pointer, geometry, into: gradColumns.storage.pointer)
        var gradInput: Tensor?, gradWeight: Tensor?, gradBias: Tensor?
        if needed[0] {
            let product = groupedMatmul(kernel.reshaped([cin, -1]), gradColumns, groups: groups)
            gradInput = channelsFirstToBatchFirst(product, batch: n, spatial: [h, w], bias: nil)
        }
        if needed[1] { gradWeight = groupedMatmul(inputColumns, gradColumns, groups: groups, transposeB: true).reshaped(kernel.shape) }
        if bias != nil && needed[2] { gradBias = g.sum(axes: [0, 2, 3]) }
        return [gradInput, gradWeight] + (bias != nil ? [gradBias] : [])
    }
}

/// `op(a_g) · op(b_g)` for each group g, stacked by rows, where the 2-D `a` and `b` are each
/// split along their first axis into `groups` equal blocks. Every product a convolution
/// needs (forward, input gradient, weight gradient, and the transposed convolution's) is
/// one of these. Not recorded.
private func groupedMatmul(_ a: Tensor, _ b: Tensor, groups: Int, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let (aRows, aColumns) = (a.shape[0] / groups, a.shape[1])
    let (bRows, bColumns) = (b.shape[0] / groups, b.shape[1])
    let (m, k) = transposeA ? (aColumns, aRows) : (aRows, aColumns)
    let n = transposeB ? bRows : bColumns
    precondition(k == (transposeB ? bColumns : bRows), "groupedMatmul: blocks of \(a.shape) and \(b.shape) do not multiply")
    let result = Tensor(uninitialized: [m * groups, n])
    for group in 0..<groups {
        gemm(
            a.storage.pointer + group * aRows * aColumns, b.storage.pointer + group * bRows * bColumns,
            result.storage.pointer + group * m * n, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
    }
    return result
}

/// `[C, N·L]` → `[N, C, spatial…]`, adding a per-channel bias on the way. The bias's
/// gradient is taken by the caller's pullback.
private func channelsFirstToBatchFirst(_ product: Tensor, batch: Int, spatial: [Int], bias: Tensor?) -> Tensor {
    let channels = product.shape[0], positions = spatial.reduce(1, *)
    let result = Tensor(uninitialized: [batch, channels] + spatial)
    let source = product.storage.pointer, destination = result.storage.pointer
    let b = bias?.storage.pointer
    parallelFor(batch * channels, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(positions, 1))) { range in
        for index in range {
            let (n, c) = (index / channels, index % channels)
            let from = source + c * batch * positions + n * positions, to = destination + index * positions
            if let b {
                let shift = b[c]
                for i in 0..<positions { to[i] = from[i] + shift }
            } else {
                to.update(from: from, count: positions)
            }
        }
    }
    withExtendedLifetime((product, bias)) {}
    return result
}

/// `[N, C, spatial…]` → `[C, N·L]`.
private func batchFirstToChannelsFirst(_ x: Tensor) -> Tensor {
    let (batch, channels) = (x.shape[0], x.shape[1])
    return x.detached().reshaped([batch, channels, -1]).permuted([1, 0, 2]).reshaped([channels, -1])
}
