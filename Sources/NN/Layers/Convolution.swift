import Tensors

/// 2-D convolution with PyTorch's parameters and layout: `weight` `[out, in/groups, kh, kw]`.
public final class Conv2d: Module {
    @Parameter public var weight: Tensor
    @OptionalParameter public var bias: Tensor?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int

    public init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
        using generator: inout RandomGenerator
    ) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0, "Conv2d: \(groups) groups do not divide \(inputChannels) → \(outputChannels) channels")
        let fanIn = inputChannels / groups * kernelSize.0 * kernelSize.1
        _weight = Parameter(defaultUniform([outputChannels, inputChannels / groups, kernelSize.0, kernelSize.1], fanIn: fanIn, using: &generator))
        _bias = OptionalParameter(bias ? defaultUniform([outputChannels], fanIn: fanIn, using: &generator) : nil)
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
        super.init()
    }

    /// A square kernel with equal stride and padding on both axes.
    public convenience init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        groups: Int = 1, bias: Bool = true, using generator: inout RandomGenerator
    ) {
        self.init(inputChannels, outputChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                  padding: (padding, padding), groups: groups, bias: bias, using: &generator)
    }

    public override func forward(_ input: Tensor) -> Tensor {
        conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// 1-D convolution: `weight` `[out, in/groups, k]`.
public final class Conv1d: Module {
    @Parameter public var weight: Tensor
    @OptionalParameter public var bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int, groups: Int

    public init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, groups: Int = 1, bias: Bool = true, using generator: inout RandomGenerator
    ) {
        let fanIn = inputChannels / groups * kernelSize
        _weight = Parameter(defaultUniform([outputChannels, inputChannels / groups, kernelSize], fanIn: fanIn, using: &generator))
        _bias = OptionalParameter(bias ? defaultUniform([outputChannels], fanIn: fanIn, using: &generator) : nil)
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        conv1d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Transposed 2-D convolution: `weight` `[in, out/groups, kh, kw]` as in PyTorch.
public final class ConvTranspose2d: Module {
    @Parameter public var weight: Tensor
    @OptionalParameter public var bias: Tensor?
    public let stride: (Int, Int), padding: (Int, Int), outputPadding: (Int, Int), dilation: (Int, Int), groups: Int

    public init(
        _ inputChannels: Int, _ outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
        padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
        groups: Int = 1, bias: Bool = true, using generator: inout RandomGenerator
    ) {
        // PyTorch computes fan-in from dimension 1 of this weight.
        let fanIn = outputChannels / groups * kernelSize.0 * kernelSize.1
        _weight = Parameter(defaultUniform([inputChannels, outputChannels / groups, kernelSize.0, kernelSize.1], fanIn: fanIn, using: &generator))
        _bias = OptionalParameter(bias ? defaultUniform([outputChannels], fanIn: fanIn, using: &generator) : nil)
        (self.stride, self.padding, self.outputPadding, self.dilation, self.groups) = (stride, padding, outputPadding, dilation, groups)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        convTranspose2d(input, weight: weight, bias: bias, stride: stride, padding: padding,
                        outputPadding: outputPadding, dilation: dilation, groups: groups)
    }
}
