import Tensors

/// Low-rank adaptation, LoRA (Hu et al., ICLR 2022): a frozen layer W and a trainable
/// update of rank r beside it,
///
///     y = W x + (α / r) · B A x,
///
/// with A drawn as PyTorch draws a layer's weight and B zero, so that the adapted layer starts
/// out as the base layer. It wraps a `Linear` (A `[r, in]` and B `[out, r]`, both linear maps)
/// or a `Conv2d` (A a convolution with the base's kernel, stride, padding and dilation to r
/// channels, B a 1×1 convolution back), as Hugging Face PEFT does, and its parameters are
/// named as PEFT saves them (`base_layer.weight`, `lora_A.weight`, `lora_B.weight`), so an
/// adapter saved there loads here (`loadStateDict(_:strict: false)` for the adapter alone).
///
/// `merge()` adds the update into the base weight, so that inference costs one layer;
/// `unmerge()` takes it out again. A state dict saved while merged holds the merged weight:
/// save before merging to keep the adapter apart.
public final class LoRA: Module {
    public let baseLayer: Module
    public let down: Module, up: Module
    public let rank: Int
    public let alpha: Float
    public private(set) var isMerged = false

    /// α / r, the update's scale.
    public var scaling: Float { alpha / Float(rank) }

    public init(wrapping base: Linear, rank: Int, alpha: Float, using generator: inout RandomGenerator) {
        precondition(rank >= 1, "LoRA: rank must be at least 1")
        let (output, input) = (base.weight.shape[0], base.weight.shape[1])
        down = Linear(input, rank, bias: false, using: &generator)
        let up = Linear(rank, output, bias: false, using: &generator)
        up.weight = Tensor.zeros([output, rank])
        (baseLayer, self.up, self.rank, self.alpha) = (base, up, rank, alpha)
        super.init()
        base.freeze()
    }

    public init(wrapping base: Conv2d, rank: Int, alpha: Float, using generator: inout RandomGenerator) {
        precondition(rank >= 1, "LoRA: rank must be at least 1")
        precondition(base.groups == 1, "LoRA: a grouped convolution's update is not a product of two convolutions")
        let shape = base.weight.shape
        down = Conv2d(shape[1], rank, kernelSize: (shape[2], shape[3]), stride: base.stride, padding: base.padding, dilation: base.dilation,
                      bias: false, using: &generator)
        let up = Conv2d(rank, shape[0], kernelSize: 1, bias: false, using: &generator)
        up.weight = Tensor.zeros([shape[0], rank, 1, 1])
        (baseLayer, self.up, self.rank, self.alpha) = (base, up, rank, alpha)
        super.init()
        base.freeze()
    }

    public override func namedChildren() -> [(name: String, module: Module)] {
        [("base_layer", baseLayer), ("lora_A", down), ("lora_B", up)]
    }

    public override func forward(_ input: Tensor) -> Tensor {
        isMerged ? baseLayer(input) : baseLayer(input) + scaling * up(down(input))
    }

    /// The update (α / r) · B A in the base weight's shape.
    private func update() -> Tensor {
        withoutGradients {
            let (a, b) = (weight(of: down), weight(of: up))
            let product = matmul(b.reshaped([b.shape[0], rank]), a.reshaped([rank, a.count / rank]))
            return (scaling * product).reshaped(weight(of: baseLayer).shape)
        }
    }

    private func weight(of layer: Module) -> Tensor {
        switch layer {
        case let linear as Linear: linear.weight
        case let conv as Conv2d: conv.weight
        default: preconditionFailure("LoRA wraps a Linear or a Conv2d")
        }
    }

    private func setBaseWeight(_ value: Tensor) {
        switch baseLayer {
        case let linear as Linear: linear.weight = value
        case let conv as Conv2d: conv.weight = value
        default: preconditionFailure("LoRA wraps a Linear or a Conv2d")
        }
    }

    /// Adds the update into the base weight (nothing if merged already).
    public func merge() {
        guard !isMerged else { return }
        setBaseWeight(withoutGradients { weight(of: baseLayer) + update() })
        isMerged = true
    }

    /// Takes the update out of the base weight again (nothing if not merged).
    public func unmerge() {
        guard isMerged else { return }
        setBaseWeight(withoutGradients { weight(of: baseLayer) - update() })
        isMerged = false
    }
}

extension LoRA {
    /// Wraps layers of `model` in adapters, as PEFT's `inject_adapter_in_model` does: every
    /// `Linear` and ungrouped `Conv2d` whose path `include` accepts and whose parent can
    /// replace it (`Module.replaceChild(named:by:)`: the layers of a `Sequential`, so every
    /// layer of an `MLP`). Each adapted layer's parameters move under it as PEFT names them
    /// (`network.0.weight` becomes `network.0.base_layer.weight`, beside `network.0.lora_A.weight`)
    /// and are frozen; the model's other parameters stay as they were, so freeze the model
    /// first to train only the adapters. Returns the adapted layers' paths, in the tree's order.
    @discardableResult
    public static func inject(into model: Module, rank: Int, alpha: Float, where include: (String) -> Bool = { _ in true },
                              using generator: inout RandomGenerator) -> [String] {
        let modules = model.namedModules()
        var adapted: [String] = []
        for (path, parent) in modules where !(parent is LoRA) {
            for (name, child) in parent.namedChildren() {
                let childPath = path.isEmpty ? name : "\(path).\(name)"
                guard include(childPath), child is Linear || (child as? Conv2d)?.groups == 1 else { continue }
                let replaced = parent.replaceChild(named: name) { layer in
                    switch layer {
                    case let linear as Linear: LoRA(wrapping: linear, rank: rank, alpha: alpha, using: &generator)
                    case let conv as Conv2d: LoRA(wrapping: conv, rank: rank, alpha: alpha, using: &generator)
                    default: layer
                    }
                }
                if replaced { adapted.append(childPath) }
            }
        }
        for (_, module) in modules { module.invalidateCachedStructure() }
        return adapted
    }
}
