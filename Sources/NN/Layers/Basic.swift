import Tensors

/// Modules applied in order; children are named `0`, `1`, … as in PyTorch's `nn.Sequential`.
open class Sequential: Module {
    public private(set) var layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
        super.init()
    }

    public convenience init(_ layers: Module...) { self.init(layers) }

    open override func namedChildren() -> [(name: String, module: Module)] {
        layers.enumerated().map { ("\($0.offset)", $0.element) }
    }

    /// Replaces the layer named by its index.
    open override func replaceChild(named name: String, by replacement: (Module) -> Module) -> Bool {
        guard let index = Int(name), layers.indices.contains(index) else { return false }
        layers[index] = replacement(layers[index])
        return true
    }

    open override func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }
}

/// The input unchanged.
public final class Identity: Module {
    public override init() { super.init() }
    public override func forward(_ input: Tensor) -> Tensor { input }
}

/// Axes `startAxis…endAxis` merged (PyTorch's `nn.Flatten`: from axis 1 by default).
public final class Flatten: Module {
    public let startAxis: Int, endAxis: Int
    public init(startAxis: Int = 1, endAxis: Int = -1) {
        (self.startAxis, self.endAxis) = (startAxis, endAxis)
        super.init()
    }
    public override func forward(_ input: Tensor) -> Tensor { input.flattened(startAxis: startAxis, endAxis: endAxis) }
}

/// An elementwise activation as a module.
public final class Activation: Module {
    /// The activation functions available by name in configs.
    public enum Kind: String, CaseIterable, Sendable {
        case relu, relu6, gelu, geluTanh = "gelu_tanh", silu, sigmoid, tanh, leakyRelu = "leaky_relu", elu, softplus
    }

    public let kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        switch kind {
        case .relu: return input.relu()
        case .relu6: return input.clamped(min: 0, max: 6)
        case .gelu: return input.gelu()
        case .geluTanh: return input.gelu(approximation: .tanh)
        case .silu: return input.silu()
        case .sigmoid: return input.sigmoid()
        case .tanh: return input.tanh()
        case .leakyRelu: return input.leakyRelu()
        case .elu: return input.elu()
        case .softplus: return input.softplus()
        }
    }
}

/// PyTorch's `nn.LeakyReLU(negative_slope)`: x for x ≥ 0, else `negativeSlope`·x (FT's
/// paraphraser and translator use 0.1; `Activation(.leakyRelu)` is PyTorch's default 0.01).
public final class LeakyReLU: Module {
    public let negativeSlope: Float

    public init(negativeSlope: Float = 0.01) {
        self.negativeSlope = negativeSlope
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { input.leakyRelu(negativeSlope: negativeSlope) }
}

/// Inverted dropout in training, the identity in inference. Owns its generator (derived
/// from the one it was built with), so a seeded model drops the same units every run.
public final class Dropout: Module {
    public let probability: Float
    private var generator: RandomGenerator

    public init(probability: Float = 0.5, using generator: inout RandomGenerator) {
        self.probability = probability
        self.generator = generator.split()
        super.init()
    }

    public override var randomState: [UInt64]? {
        get { generator.state }
        set { if let newValue { generator = RandomGenerator(state: newValue) } }
    }

    public override func forward(_ input: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return input }
        return dropout(input, probability: probability, using: &generator)
    }
}

/// A lookup table `[vocabulary, dimension]` (initialised N(0, 1) as in PyTorch).
public final class Embedding: Module {
    @Parameter public var weight: Tensor

    public init(_ vocabulary: Int, _ dimension: Int, using generator: inout RandomGenerator) {
        _weight = Parameter(Tensor.normal([vocabulary, dimension], using: &generator))
        super.init()
    }

    public override func forward(_ indices: Tensor) -> Tensor { embedding(indices, weight: weight) }
}

/// The window geometry shared by the pooling modules (square kernels, PyTorch's defaults:
/// stride equal to the kernel size).
public class WindowPooling: Module {
    public let kernelSize: (Int, Int), stride: (Int, Int), padding: (Int, Int)

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        (self.kernelSize, self.stride, self.padding) = ((kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding))
        super.init()
    }
}

/// 2-D max pooling.
public final class MaxPool2d: WindowPooling {
    public override func forward(_ input: Tensor) -> Tensor { maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding) }
}

/// 2-D average pooling.
public final class AvgPool2d: WindowPooling {
    public override func forward(_ input: Tensor) -> Tensor { avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding) }
}

/// Average pooling to a fixed output size.
public final class AdaptiveAvgPool2d: Module {
    public let outputSize: (Int, Int)
    public init(outputSize: (Int, Int)) {
        self.outputSize = outputSize
        super.init()
    }
    public override func forward(_ input: Tensor) -> Tensor { adaptiveAvgPool2d(input, outputSize: outputSize) }
}
