import Tensors

/// Batch normalisation over axis 1 with running statistics (Ioffe & Szegedy, 2015): in
/// training, batch statistics normalise and update `running_mean`/`running_var` by
/// `momentum`; in inference, the running statistics normalise.
public class BatchNorm: Module {
    @OptionalParameter public var weight: Tensor?
    @OptionalParameter public var bias: Tensor?
    @Buffer public var runningMean: Tensor
    @Buffer public var runningVariance: Tensor
    @Buffer public var batchesTracked: Tensor
    public let momentum: Float
    public let epsilon: Float
    private let ranks: Set<Int>

    init(_ features: Int, momentum: Float, epsilon: Float, affine: Bool, ranks: Set<Int>) {
        _weight = OptionalParameter(affine ? Tensor.ones([features]) : nil)
        _bias = OptionalParameter(affine ? Tensor.zeros([features]) : nil)
        _runningMean = Buffer(Tensor.zeros([features]), key: "running_mean")
        _runningVariance = Buffer(Tensor.ones([features]), key: "running_var")
        _batchesTracked = Buffer(Tensor(0), key: "num_batches_tracked")
        (self.momentum, self.epsilon, self.ranks) = (momentum, epsilon, ranks)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        precondition(ranks.contains(input.rank) && input.shape[1] == runningMean.count,
                     "\(type(of: self)): input \(input.shape) does not have \(runningMean.count) channels on axis 1 (rank \(ranks.sorted()))")
        guard isTraining else {
            return batchNorm(input, mean: runningMean, variance: runningVariance, weight: weight, bias: bias, epsilon: epsilon)
        }
        let (output, mean, variance) = batchNormTraining(input, weight: weight, bias: bias, epsilon: epsilon)
        withoutGradients {
            runningMean = runningMean * (1 - momentum) + mean * momentum
            runningVariance = runningVariance * (1 - momentum) + variance * momentum
            batchesTracked = batchesTracked + 1
        }
        return output
    }
}

/// Batch normalisation of `[N, C]` or `[N, C, L]`.
public final class BatchNorm1d: BatchNorm {
    public init(_ features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, affine: Bool = true) {
        super.init(features, momentum: momentum, epsilon: epsilon, affine: affine, ranks: [2, 3])
    }
}

/// Batch normalisation of `[N, C, H, W]`.
public final class BatchNorm2d: BatchNorm {
    public init(_ features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, affine: Bool = true) {
        super.init(features, momentum: momentum, epsilon: epsilon, affine: affine, ranks: [4])
    }
}

/// Layer normalisation over the trailing `normalizedShape`.
public final class LayerNorm: Module {
    @OptionalParameter public var weight: Tensor?
    @OptionalParameter public var bias: Tensor?
    public let normalizedShape: [Int]
    public let epsilon: Float

    /// `bias: false` keeps the scale without the shift (PyTorch's `LayerNorm(bias=False)`,
    /// nanoGPT's default).
    public init(_ normalizedShape: [Int], epsilon: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        _weight = OptionalParameter(elementwiseAffine ? Tensor.ones(normalizedShape) : nil)
        _bias = OptionalParameter(elementwiseAffine && bias ? Tensor.zeros(normalizedShape) : nil)
        (self.normalizedShape, self.epsilon) = (normalizedShape, epsilon)
        super.init()
    }

    public convenience init(_ features: Int, epsilon: Float = 1e-5) { self.init([features], epsilon: epsilon) }

    public override func forward(_ input: Tensor) -> Tensor {
        precondition(Array(input.shape.suffix(normalizedShape.count)) == normalizedShape, "LayerNorm: input \(input.shape) does not end in \(normalizedShape)")
        return layerNorm(input, normalizedAxes: normalizedShape.count, weight: weight, bias: bias, epsilon: epsilon)
    }
}

/// Group normalisation of `[N, C, …]` in `groups` groups of channels.
public final class GroupNorm: Module {
    @OptionalParameter public var weight: Tensor?
    @OptionalParameter public var bias: Tensor?
    public let groups: Int
    public let epsilon: Float

    public init(groups: Int, channels: Int, epsilon: Float = 1e-5, affine: Bool = true) {
        precondition(channels % groups == 0, "GroupNorm: \(groups) groups do not divide \(channels) channels")
        _weight = OptionalParameter(affine ? Tensor.ones([channels]) : nil)
        _bias = OptionalParameter(affine ? Tensor.zeros([channels]) : nil)
        (self.groups, self.epsilon) = (groups, epsilon)
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        groupNorm(input, groups: groups, weight: weight, bias: bias, epsilon: epsilon)
    }
}
