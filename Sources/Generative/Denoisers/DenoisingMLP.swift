import Foundation
import NN
import Tensors

/// A denoising network for low-dimensional data: the input and a sinusoidal embedding of
/// the noise level (Vaswani et al.'s frequencies, as DDPM and EDM embed time) concatenated,
/// then an MLP with SiLU. What it predicts, and how its inputs are scaled, is up to the
/// preconditioning that wraps it (`EDMPreconditioning`).
public final class DenoisingMLP: Module, TaskModel {
    public struct Inputs {
        /// The (scaled) noisy samples `[N, D]`.
        public var x: Tensor
        /// The noise-level feature of each sample `[N]` (EDM's `c_noise = ¼·ln σ`).
        public var noiseLevel: Tensor
        public init(x: Tensor, noiseLevel: Tensor) { (self.x, self.noiseLevel) = (x, noiseLevel) }
    }

    public struct Outputs: NamedTensors {
        public var prediction: Tensor
        public var namedTensors: [(name: String, tensor: Tensor)] { [("prediction", prediction)] }
    }

    public let network: MLP
    public let timeEmbedding: SinusoidalEmbedding
    public var embeddingSize: Int { timeEmbedding.size }

    public init(dimension: Int, hidden: [Int] = [128, 128, 128], embeddingSize: Int = 32, using generator: inout RandomGenerator) {
        timeEmbedding = SinusoidalEmbedding(size: embeddingSize)
        network = MLP(widths: [dimension + embeddingSize] + hidden + [dimension], activation: .silu, using: &generator)
        super.init()
    }

    /// The noise levels' embedding (`[N]` → `[N, E]`).
    public func embedding(_ noiseLevel: Tensor) -> Tensor { timeEmbedding(noiseLevel) }

    public func forward(_ inputs: Inputs) -> Outputs {
        Outputs(prediction: network(concatenate([inputs.x, embedding(inputs.noiseLevel)], axis: 1)))
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
