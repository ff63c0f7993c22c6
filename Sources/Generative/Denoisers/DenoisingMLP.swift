import Foundation
import NN
import Tensors

/// A denoising network for low-dimensional data: the input and a sinusoidal embedding of
/// the noise level (Vaswani et al.'s frequencies, as DDPM and EDM embed time) concatenated,
/// then an MLP with SiLU. A class-conditional one adds a learned class embedding to the
/// time embedding. What it predicts, and how its inputs are scaled, is up to the wrapper
/// (`EDMPreconditioning`, `NetworkDenoiser`).
public final class DenoisingMLP: Module, DenoisingNetwork {
    public typealias Inputs = DenoisingInputs
    public typealias Outputs = DenoisingOutputs

    public let network: MLP
    public let timeEmbedding: SinusoidalEmbedding
    /// The class embedding (`classCount + 1` rows, the last the null class), if conditional.
    public let classEmbedding: Embedding?
    public let classCount: Int
    public var embeddingSize: Int { timeEmbedding.size }

    public init(dimension: Int, hidden: [Int] = [128, 128, 128], embeddingSize: Int = 32, classCount: Int = 0, using generator: inout RandomGenerator) {
        precondition(classCount >= 0, "DenoisingMLP: a class count ≥ 0, found \(classCount)")
        timeEmbedding = SinusoidalEmbedding(size: embeddingSize)
        network = MLP(widths: [dimension + embeddingSize] + hidden + [dimension], activation: .silu, using: &generator)
        classEmbedding = classCount > 0 ? Embedding(classCount + 1, embeddingSize, using: &generator) : nil
        self.classCount = classCount
        super.init()
    }

    /// The noise levels' embedding (`[N]` → `[N, E]`).
    public func embedding(_ noiseLevel: Tensor) -> Tensor { timeEmbedding(noiseLevel) }

    public func forward(_ inputs: DenoisingInputs) -> DenoisingOutputs {
        var conditioning = embedding(inputs.noiseLevel)
        if let classEmbedding {
            conditioning = conditioning + classEmbedding(classEmbeddingInput(inputs.classes, count: inputs.x.shape[0]))
        }
        return DenoisingOutputs(prediction: network(concatenate([inputs.x, conditioning], axis: 1)))
    }
}

/// Vaswani et al.'s sinusoidal embedding of a scalar per sample, as DDPM and EDM embed time:
/// `[sin(c·f_k), cos(c·f_k)]` with the fixed frequencies `f_k = exp(−ln(10⁴)·k/(E/2))`.
public struct SinusoidalEmbedding {
    public let size: Int
    private let frequencies: Tensor

    public init(size: Int) {
        precondition(size % 2 == 0 && size > 0, "SinusoidalEmbedding: an even size, found \(size)")
        let half = size / 2
        self.size = size
        frequencies = Tensor((0..<half).map { Foundation.exp(-Foundation.log(10_000) * Float($0) / Float(half)) }, shape: [1, half])
    }

    /// The embedding of each value of `values` (`[N]` → `[N, size]`).
    public func callAsFunction(_ values: Tensor) -> Tensor {
        let angles = values.reshaped([-1, 1]) * frequencies
        return concatenate([angles.sin(), angles.cos()], axis: 1)
    }
}
