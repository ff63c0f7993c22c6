import NN
import Tensors

/// A small UNet denoiser for images `[N, C, H, W]` (Ho et al. 2020's layout, scaled down):
/// a 3×3 input convolution; per resolution level a residual block, then a stride-2
/// convolution down; at the lowest level residual block, self-attention, residual block;
/// back up by nearest-neighbour upsampling and a 3×3 convolution, a residual block per level
/// on the upsampled features concatenated with the level's skip; GroupNorm, SiLU and a 3×3
/// output convolution. The noise level enters every residual block through a sinusoidal
/// embedding and a two-layer MLP, to which a class-conditional UNet adds a learned class
/// embedding.
public final class UNetDenoiser: Module, DenoisingNetwork {
    public typealias Inputs = DenoisingInputs
    public typealias Outputs = DenoisingOutputs

    public let classCount: Int
    public let channels: [Int]
    public let timeEmbedding: SinusoidalEmbedding
    public let time1: Linear
    public let time2: Linear
    public let classEmbedding: Embedding?
    public let input: Conv2d
    public let down: [UNetResidualBlock]
    public let downsample: [Conv2d]
    public let middle1: UNetResidualBlock
    public let attention: UNetAttentionBlock
    public let middle2: UNetResidualBlock
    public let upsample: [Conv2d]
    public let up: [UNetResidualBlock]
    public let norm: GroupNorm
    public let output: Conv2d

    /// A UNet for `imageChannels`-channel images with `channels[i]` features at level `i`
    /// (each level halves the resolution), `heads` attention heads at the lowest level.
    public init(imageChannels: Int, channels: [Int] = [32, 64], heads: Int = 1, classCount: Int = 0, using generator: inout RandomGenerator) {
        precondition(!channels.isEmpty && channels.allSatisfy { $0 > 0 } && classCount >= 0, "UNetDenoiser: positive channels per level and a class count ≥ 0")
        let base = channels[0], embedding = 4 * channels[0]
        (self.classCount, self.channels) = (classCount, channels)
        timeEmbedding = SinusoidalEmbedding(size: base)
        time1 = Linear(base, embedding, using: &generator)
        time2 = Linear(embedding, embedding, using: &generator)
        classEmbedding = classCount > 0 ? Embedding(classCount + 1, embedding, using: &generator) : nil
        input = Conv2d(imageChannels, base, kernelSize: 3, padding: 1, using: &generator)
        var down: [UNetResidualBlock] = [], downsample: [Conv2d] = []
        var previous = base
        for (level, width) in channels.enumerated() {
            down.append(UNetResidualBlock(previous, width, embedding: embedding, using: &generator))
            if level < channels.count - 1 { downsample.append(Conv2d(width, width, kernelSize: 3, stride: 2, padding: 1, using: &generator)) }
            previous = width
        }
        let lowest = channels[channels.count - 1]
        middle1 = UNetResidualBlock(lowest, lowest, embedding: embedding, using: &generator)
        attention = UNetAttentionBlock(lowest, heads: heads, using: &generator)
        middle2 = UNetResidualBlock(lowest, lowest, embedding: embedding, using: &generator)
        var upsample: [Conv2d] = [], up: [UNetResidualBlock] = []
        for level in channels.indices {
            // Level `level` upsamples from the level below it (none for the lowest).
            if level < channels.count - 1 { upsample.append(Conv2d(channels[level + 1], channels[level], kernelSize: 3, padding: 1, using: &generator)) }
            up.append(UNetResidualBlock(2 * channels[level], channels[level], embedding: embedding, using: &generator))
        }
        (self.down, self.downsample, self.upsample, self.up) = (down, downsample, upsample, up)
        norm = GroupNorm(groups: UNetResidualBlock.groupCount(base), channels: base)
        output = Conv2d(base, imageChannels, kernelSize: 3, padding: 1, using: &generator)
        super.init()
    }

    public func forward(_ inputs: DenoisingInputs) -> DenoisingOutputs {
        let x = inputs.x
        precondition(x.rank == 4 && x.shape[2] % (1 << (channels.count - 1)) == 0 && x.shape[3] % (1 << (channels.count - 1)) == 0,
                     "UNetDenoiser: [N, C, H, W] images with H and W divisible by \(1 << (channels.count - 1)), found \(x.shape)")
        var conditioning = time2(time1(timeEmbedding(inputs.noiseLevel)).silu())
        if let classEmbedding { conditioning = conditioning + classEmbedding(classEmbeddingInput(inputs.classes, count: x.shape[0])) }
        var h = input(x)
        var skips: [Tensor] = []
        for level in channels.indices {
            h = down[level](h, conditioning: conditioning)
            skips.append(h)
            if level < channels.count - 1 { h = downsample[level](h) }
        }
        h = middle2(attention(middle1(h, conditioning: conditioning)), conditioning: conditioning)
        for level in channels.indices.reversed() {
            if level < channels.count - 1 {
                let skip = skips[level]
                h = upsample[level](Tensors.upsample(h, size: (skip.shape[2], skip.shape[3])))
            }
            h = up[level](concatenate([h, skips[level]], axis: 1), conditioning: conditioning)
        }
        return DenoisingOutputs(prediction: output(norm(h).silu()))
    }
}

/// A residual block of the UNet: GroupNorm, SiLU, 3×3 convolution, plus a projection of the
/// conditioning embedding per channel; GroupNorm, SiLU, 3×3 convolution; added to the input
/// (through a 1×1 convolution where the widths differ).
public final class UNetResidualBlock: Module {
    public let norm1: GroupNorm
    public let conv1: Conv2d
    public let embedding: Linear
    public let norm2: GroupNorm
    public let conv2: Conv2d
    public let skip: Conv2d?

    /// GroupNorm's groups for `channels`: 8 where they divide them (fewer for narrow test networks).
    static func groupCount(_ channels: Int) -> Int { [8, 4, 2, 1].first { channels % $0 == 0 }! }

    public init(_ inputChannels: Int, _ outputChannels: Int, embedding embeddingSize: Int, using generator: inout RandomGenerator) {
        norm1 = GroupNorm(groups: Self.groupCount(inputChannels), channels: inputChannels)
        conv1 = Conv2d(inputChannels, outputChannels, kernelSize: 3, padding: 1, using: &generator)
        embedding = Linear(embeddingSize, outputChannels, using: &generator)
        norm2 = GroupNorm(groups: Self.groupCount(outputChannels), channels: outputChannels)
        conv2 = Conv2d(outputChannels, outputChannels, kernelSize: 3, padding: 1, using: &generator)
        skip = inputChannels == outputChannels ? nil : Conv2d(inputChannels, outputChannels, kernelSize: 1, using: &generator)
        super.init()
    }

    /// The block on features `x` `[N, C, H, W]` with the conditioning embedding `[N, E]`.
    public func callAsFunction(_ x: Tensor, conditioning: Tensor) -> Tensor {
        recordingCall {
            let shift = embedding(conditioning.silu())
            var h = conv1(norm1(x).silu()) + shift.reshaped([shift.shape[0], shift.shape[1], 1, 1])
            h = conv2(norm2(h).silu())
            return (skip?(x) ?? x) + h
        }
    }
}

/// Self-attention over the pixels of a feature map, with GroupNorm before and a residual
/// connection around it.
public final class UNetAttentionBlock: Module {
    public let norm: GroupNorm
    public let attention: MultiHeadSelfAttention

    public init(_ channels: Int, heads: Int, using generator: inout RandomGenerator) {
        norm = GroupNorm(groups: UNetResidualBlock.groupCount(channels), channels: channels)
        attention = MultiHeadSelfAttention(dimension: channels, heads: heads, using: &generator)
        super.init()
    }

    public override func forward(_ x: Tensor) -> Tensor {
        let (n, c, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let tokens = norm(x).reshaped([n, c, height * width]).permuted([0, 2, 1])
        return x + attention(tokens).permuted([0, 2, 1]).reshaped([n, c, height, width])
    }
}
