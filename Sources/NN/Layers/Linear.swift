import Tensors

/// `y = x·Wᵀ + b`, with `weight` `[out, in]` and `bias` `[out]` as in PyTorch.
public final class Linear: Module {
    @Parameter public var weight: Tensor
    @OptionalParameter public var bias: Tensor?

    public init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true, using generator: inout RandomGenerator) {
        _weight = Parameter(defaultUniform([outputFeatures, inputFeatures], fanIn: inputFeatures, using: &generator))
        _bias = OptionalParameter(bias ? defaultUniform([outputFeatures], fanIn: inputFeatures, using: &generator) : nil)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.last == weight.shape[1], "Linear: input \(input.shape) does not end in \(weight.shape[1]) features")
        return linear(input, weight: weight, bias: bias)
    }
}
