/// 2-D cross-correlation, as PyTorch's `conv2d`: input `[N, C, H, W]`, weight
/// `[O, C/groups, kh, kw]`, optional bias `[O]`, output `[N, O, oh, ow]`.
///
/// Lowered image by image (see `ConvolutionLowering`): each image is unfolded into columns
/// `[C·kh·kw, oh·ow]` (im2col) and multiplied by the weight by `sgemm`.
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
        channels: c, height: h, width: w, kernelHeight: kh, kernelWidth: kw,
        strideY: stride.0, strideX: stride.1, paddingY: padding.0, paddingX: padding.1,
        dilationY: dilation.0, dilationX: dilation.1)
    precondition(geometry.outputHeight > 0 && geometry.outputWidth > 0, "conv2d: kernel \(weight.shape) is larger than padded input \(input.shape)")
    let lowering = ConvolutionLowering(geometry: geometry, batch: n, outputChannels: o, groups: groups)
    let output = Tensor(uninitialized: [n, o, geometry.outputHeight, geometry.outputWidth])
    lowering.forward(input.storage.pointer, weight: weight.storage.pointer, bias: bias?.storage.pointer, into: output.storage.pointer)
    withExtendedLifetime((input, weight, bias)) {}
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    guard Tensor.shouldRecord(inputs) else { return output }
    let (image, kernel) = (input.detached(), weight.detached())
    return output.recorded(inputs: inputs) { g, needed in
        var gradInput: Tensor?, gradWeight: Tensor?, gradBias: Tensor?
        if needed[0] {
            let result = Tensor(uninitialized: image.shape)
            lowering.adjoint(g.storage.pointer, weight: kernel.storage.pointer, into: result.storage.pointer)
            gradInput = result
        }
        if needed[1] {
            gradWeight = lowering.weightGradient(image.storage.pointer, gradient: g.storage.pointer).reshaped(kernel.shape)
        }
        if bias != nil && needed[2] { gradBias = g.sum(axes: [0, 2, 3]) }
        withExtendedLifetime((g, image, kernel)) {}
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
    // The convolution that maps the output back to the input's size: this one is its adjoint.
    let geometry = ConvolutionGeometry(
        channels: cout, height: oh, width: ow, kernelHeight: kh, kernelWidth: kw,
        strideY: stride.0, strideX: stride.1, paddingY: padding.0, paddingX: padding.1,
        dilationY: dilation.0, dilationX: dilation.1)
    precondition(geometry.outputHeight == h && geometry.outputWidth == w, "convTranspose2d: inconsistent geometry for input \(input.shape)")
    let lowering = ConvolutionLowering(geometry: geometry, batch: n, outputChannels: cin, groups: groups)
    var output = Tensor(uninitialized: [n, cout, oh, ow])
    lowering.adjoint(input.storage.pointer, weight: weight.storage.pointer, into: output.storage.pointer)
    withExtendedLifetime((input, weight)) {}
    if let bias { output = output + bias.detached().reshaped([1, cout, 1, 1]) }
    let inputs = [input, weight] + (bias.map { [$0] } ?? [])
    guard Tensor.shouldRecord(inputs) else { return output }
    let (x, kernel) = (input.detached(), weight.detached())
    return output.recorded(inputs: inputs) { g, needed in
        var gradInput: Tensor?, gradWeight: Tensor?, gradBias: Tensor?
        if needed[0] {
            let result = Tensor(uninitialized: x.shape)
            lowering.forward(g.storage.pointer, weight: kernel.storage.pointer, bias: nil, into: result.storage.pointer)
            gradInput = result
        }
        if needed[1] {
            gradWeight = lowering.weightGradient(g.storage.pointer, gradient: x.storage.pointer).reshaped(kernel.shape)
        }
        if bias != nil && needed[2] { gradBias = g.sum(axes: [0, 2, 3]) }
        withExtendedLifetime((g, x, kernel)) {}
        return [gradInput, gradWeight] + (bias != nil ? [gradBias] : [])
    }
}
