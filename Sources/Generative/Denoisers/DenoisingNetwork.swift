import NN
import Tensors

/// What a denoising network takes: the (scaled) noisy samples, a noise-level feature per
/// sample, and, for a class-conditional network, a class per sample.
public struct DenoisingInputs {
    /// The noisy samples `[N, …]`.
    public var x: Tensor
    /// The noise-level feature of each sample `[N]` (EDM's `c_noise = ¼·ln σ`, or a time).
    public var noiseLevel: Tensor
    /// Each sample's class `[N]` (integral values), or nil for none. The class `classCount`
    /// is classifier-free guidance's null condition.
    public var classes: Tensor?

    public init(x: Tensor, noiseLevel: Tensor, classes: Tensor? = nil) {
        (self.x, self.noiseLevel, self.classes) = (x, noiseLevel, classes)
    }
}

/// A denoising network's output: its raw prediction, shaped as its input samples.
public struct DenoisingOutputs: NamedTensors {
    public var prediction: Tensor
    public var namedTensors: [(name: String, tensor: Tensor)] { [("prediction", prediction)] }
}

/// A network a denoiser, a consistency model or a sampler can run: an MLP for vectors, a
/// UNet for images. What it predicts, and how its inputs are scaled, is up to the wrapper
/// (`NetworkDenoiser`, `EDMPreconditioning`).
public protocol DenoisingNetwork: TaskModel where Inputs == DenoisingInputs, Outputs == DenoisingOutputs {
    /// The classes it conditions on (0: unconditional). It also embeds the null class
    /// `classCount`, which condition dropout trains and guidance contrasts with.
    var classCount: Int { get }
    /// Whether it embeds the null class, and so samples unconditionally and with guidance. A
    /// `MultiStudentNetwork` does not: each of its classes belongs to one member.
    var embedsNullClass: Bool { get }
}

extension DenoisingNetwork {
    public var embedsNullClass: Bool { true }

    /// The null condition for `count` samples: classifier-free guidance's unconditional input.
    public func nullClasses(count: Int) -> Tensor {
        Tensor(shape: [count], repeating: Float(classCount))
    }

    /// Checks the classes given for a batch against the network: a conditional network
    /// embeds one class in `0...classCount` per sample (the null class where none is given).
    func classEmbeddingInput(_ classes: Tensor?, count: Int) -> Tensor {
        guard let classes else { return nullClasses(count: count) }
        precondition(classes.shape == [count], "\(type(of: self)): one class per sample, found \(classes.shape) for \(count)")
        return classes
    }
}
