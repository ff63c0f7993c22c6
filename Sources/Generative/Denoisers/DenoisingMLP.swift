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
    public let embeddingSize: Int
    /// The embedding's frequencies `exp(−ln(10⁴)·k/(E/2))`, fixed.
    private let frequencies: Tensor

    public init(dimension: Int, hidden: [Int] = [128, 128, 128], embeddingSize: Int = 32, using generator: inout RandomGenerator) {
        precondition(embeddingSize % 2 == 0 && embeddingSize > 0, "DenoisingMLP: an even embedding size, found \(embeddingSize)")
        self.embeddingSize = embeddingSize
        let half = embeddingSize / 2
        frequencies = Tensor((0..<half).map { Foundation.exp(-Foundation.log(10_000) * Float($0) / Float(half)) }, shape: [1, half])
        network = MLP(widths: [dimension + embeddingSize] + hidden + [dimension], activation: .silu, using: &generator)
        super.init()
    }

    /// `[sin(c·f), cos(c·f)]` for each sample's noise level `c` (`[N]` → `[N, E]`).
    public func embedding(_ noiseLevel: Tensor) -> Tensor {
        let angles = noiseLevel.reshaped([-1, 1]) * frequencies
        return concatenate([angles.sin(), angles.cos()], axis: 1)
    }

    public func forward(_ inputs: Inputs) -> Outputs {
        Outputs(prediction: network(concatenate([inputs.x, embedding(inputs.noiseLevel)], axis: 1)))
    }
}
