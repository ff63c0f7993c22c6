import Configuration
import Tensors

/// A multi-layer perceptron: `Linear → activation (→ dropout)` for each hidden width, then a
/// final `Linear`. Children are numbered as in PyTorch's `nn.Sequential` (`0.weight`, …).
/// Inputs of rank above 2 are flattened from axis 1.
public final class MLP: Sequential, Classifier {
    /// The layer widths, input first and output last (`[784, 1200, 1200, 10]`).
    public let widths: [Int]

    public init(widths: [Int], activation: Activation.Kind = .relu, dropout: Float = 0, using generator: inout RandomGenerator) {
        precondition(widths.count >= 2, "MLP: widths \(widths) need an input and an output size")
        self.widths = widths
        var layers: [Module] = []
        for i in 0..<(widths.count - 1) {
            layers.append(Linear(widths[i], widths[i + 1], using: &generator))
            if i < widths.count - 2 {
                layers.append(Activation(activation))
                if dropout > 0 { layers.append(Dropout(probability: dropout, using: &generator)) }
            }
        }
        super.init(layers)
    }

    /// The outputs of each hidden activation.
    public var stagePaths: [String] {
        layers.enumerated().filter { $0.element is Activation }.map { "\($0.offset)" }
    }

    public override func forward(_ input: Tensor) -> Tensor {
        super.forward(input.rank > 2 ? input.flattened(startAxis: 1) : input)
    }
}

/// LeNet-5 (LeCun et al., 1998) for 28×28 (padding 2) or 32×32 (padding 0) images:
/// conv 5×5 → 6, pool, conv 5×5 → 16, pool, 120, 84, classes.
public final class LeNet5: Module, Classifier {
    public let conv1: Conv2d, conv2: Conv2d, fc1: Linear, fc2: Linear, fc3: Linear

    public init(inputChannels: Int = 1, classes: Int = 10, padding: Int = 2, using generator: inout RandomGenerator) {
        conv1 = Conv2d(inputChannels, 6, kernelSize: 5, padding: padding, using: &generator)
        conv2 = Conv2d(6, 16, kernelSize: 5, using: &generator)
        fc1 = Linear(16 * 5 * 5, 120, using: &generator)
        fc2 = Linear(120, 84, using: &generator)
        fc3 = Linear(84, classes, using: &generator)
        super.init()
    }

    public var stagePaths: [String] { ["conv1", "conv2", "fc1", "fc2"] }

    public override func forward(_ input: Tensor) -> Tensor {
        var x = maxPool2d(conv1(input).relu(), kernelSize: (2, 2))
        x = maxPool2d(conv2(x).relu(), kernelSize: (2, 2)).flattened(startAxis: 1)
        return fc3(fc2(fc1(x).relu()).relu())
    }
}

// MARK: Config names

extension MLP: ConfigurableModel {
    /// Any input shape, flattened.
    public static var modelNames: [String] { ["mlp"] }
    public static var configKeys: String { "hidden (widths, default [256]), activation, dropout" }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "mlp" else { return nil }
        let section = request.section
        let hidden: [Int] = try section.values("hidden", default: [256])
        let activation = try section.choice("activation", from: Activation.Kind.allCases.map { $0.rawValue }, default: "relu")
        let dropout: Float = try section.value("dropout", default: 0, in: 0..<1)
        guard hidden.allSatisfy({ $0 > 0 }) else { throw section.error("hidden widths \(hidden) must be positive") }
        let widths = [request.inputShape.reduce(1, *)] + hidden + [request.classes]
        // Each layer's output and its activation's.
        try request.requireMemory(forParameterShapes: zip(widths, widths.dropFirst()).flatMap { [[$0, $1], [$1]] },
                                  activationShapes: widths.map { [2, $0] })
        return MLP(widths: widths, activation: Activation.Kind(rawValue: activation)!,
                   dropout: dropout, using: &generator)
    }
}

extension LeNet5: ConfigurableModel {
    /// 28×28 or 32×32 images, any channel count.
    public static var modelNames: [String] { ["lenet5"] }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "lenet5" else { return nil }
        let shape = request.inputShape
        guard shape.count == 3, [28, 32].contains(shape[1]), shape[1] == shape[2] else {
            throw request.nameEntry.error("lenet5 takes 28×28 or 32×32 images; the data's samples are \(shape)")
        }
        return LeNet5(inputChannels: shape[0], classes: request.classes, padding: shape[1] == 28 ? 2 : 0, using: &generator)
    }
}
