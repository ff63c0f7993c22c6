import Datasets
import Training
import NN
import Tensors

/// A weight-sharing network of many sizes (once-for-all style): hidden layers of up to
/// `maximumWidth` units, of which a sub-network uses the first `depth` layers and the first
/// `widths[i]` units of each; the classifier reads the last used layer's first units. Every
/// sub-network is a plain MLP and can be extracted as one, weights and all.
public final class DynamicMLP: Module, Classifier {
    public let inputSize: Int, maximumWidth: Int, classes: Int
    public let hidden: Sequential
    public let head: Linear
    /// The widths of the sub-network the forward pass runs (its count is the depth).
    public var active: [Int]

    public init(inputSize: Int, maximumWidth: Int, maximumDepth: Int, classes: Int, using generator: inout RandomGenerator) {
        (self.inputSize, self.maximumWidth, self.classes) = (inputSize, maximumWidth, classes)
        hidden = Sequential((0..<maximumDepth).map { Linear($0 == 0 ? inputSize : maximumWidth, maximumWidth, using: &generator) })
        head = Linear(maximumWidth, classes, using: &generator)
        active = [Int](repeating: maximumWidth, count: maximumDepth)
        super.init()
    }

    public var maximumDepth: Int { hidden.layers.count }
    public var stagePaths: [String] { (0..<maximumDepth).map { "hidden.\($0)" } }

    public override func forward(_ input: Tensor) -> Tensor {
        precondition(!active.isEmpty && active.count <= maximumDepth && active.allSatisfy { (1...maximumWidth).contains($0) },
                     "DynamicMLP: sub-network \(active) is not 1…\(maximumDepth) layers of 1…\(maximumWidth) units")
        var x = input.rank > 2 ? input.flattened(startAxis: 1) : input
        var width = inputSize
        for (layer, units) in zip(hidden.layers.map { $0 as! Linear }, active) {
            let weight = layer.weight.slice(axis: 0, start: 0, end: units).slice(axis: 1, start: 0, end: width)
            x = (matmul(x, weight, transposeB: true) + layer.bias!.slice(axis: 0, start: 0, end: units)).relu()
            width = units
        }
        return matmul(x, head.weight.slice(axis: 1, start: 0, end: width), transposeB: true) + head.bias!
    }

    /// The sub-network with these hidden widths as a standalone MLP (same outputs), without
    /// retraining.
    public func extract(widths: [Int]) -> MLP {
        var generator = RandomGenerator(seed: 0)
        let mlp = MLP(widths: [inputSize] + widths + [classes], using: &generator)
        var state: [String: Tensor] = [:]
        var width = inputSize
        for (index, units) in widths.enumerated() {
            let layer = hidden.layers[index] as! Linear
            state["\(2 * index).weight"] = layer.weight.slice(axis: 0, start: 0, end: units).slice(axis: 1, start: 0, end: width).detached()
            state["\(2 * index).bias"] = layer.bias!.slice(axis: 0, start: 0, end: units).detached()
            width = units
        }
        state["\(2 * widths.count).weight"] = head.weight.slice(axis: 1, start: 0, end: width).detached()
        state["\(2 * widths.count).bias"] = head.bias!.detached()
        try! mlp.loadStateDict(state)
        return mlp
    }
}

/// ProARD, progressive adversarial robustness distillation over a weight-sharing student:
/// every step trains several sub-networks of one
/// `DynamicMLP` — the largest, the smallest and `randomSubnetworks` random ones (the
/// sandwich rule of once-for-all training) — each with RSLAD's robust-soft-label loss from a
/// robust teacher on adversarial examples crafted against that sub-network. Afterwards any
/// sub-network is a robust student of its size, extracted without retraining.
public struct ProARD: TrainingObjective {
    public let teacherModel: any Teacher
    public let attack: PGD
    public let widthChoices: [Int]
    public let depthChoices: [Int]
    public let randomSubnetworks: Int
    public var teacher: (any Teacher)? { teacherModel }
    public var trainableModules: [Module] { [] }

    public init(teacher: any Teacher, attack: PGD, widthChoices: [Int], depthChoices: [Int], randomSubnetworks: Int = 1) {
        precondition(!widthChoices.isEmpty && !depthChoices.isEmpty, "ProARD: no widths or depths to choose from")
        (self.teacherModel, self.attack, self.widthChoices, self.depthChoices) = (teacher, attack, widthChoices.sorted(), depthChoices.sorted())
        self.randomSubnetworks = randomSubnetworks
    }

    public struct Prepared {
        let clean: Tensor, teacherLogits: Tensor
        let subnetworks: [(widths: [Int], adversarial: Tensor)]
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        guard let network = student as? DynamicMLP else { preconditionFailure("ProARD trains a DynamicMLP student") }
        let teacherLogits = try teacherModel.outputs(for: batch, featurePaths: []).logits
        let softLabels = teacherLogits.softmax(axis: 1)
        var sampled = [[Int](repeating: widthChoices.last!, count: depthChoices.last!), [Int](repeating: widthChoices[0], count: depthChoices[0])]
        for _ in 0..<randomSubnetworks {
            let depth = depthChoices[generator.nextInt(below: depthChoices.count)]
            sampled.append((0..<depth).map { _ in widthChoices[generator.nextInt(below: widthChoices.count)] })
        }
        let subnetworks = sampled.map { widths -> (widths: [Int], adversarial: Tensor) in
            network.active = widths
            let adversarial = inInferenceMode(network) {
                attack.maximize(network, around: batch.inputs, start: jitteredStart(batch.inputs, using: &generator),
                                objective: { divergence(from: softLabels, logits: $0) }, using: &generator)
            }
            return (widths, adversarial)
        }
        network.active = sampled[0]
        return Prepared(clean: batch.inputs, teacherLogits: teacherLogits, subnetworks: subnetworks)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let network = student as! DynamicMLP
        defer { network.active = prepared.subnetworks[0].widths }  // evaluation sees the largest
        var total = Tensor(0)
        var parts: [String: Float] = [:]
        for (index, subnetwork) in prepared.subnetworks.enumerated() {
            network.active = subnetwork.widths
            let robust = distillationKLDivergence(studentLogits: network(subnetwork.adversarial), teacherLogits: prepared.teacherLogits, temperature: 1)
            let natural = distillationKLDivergence(studentLogits: network(prepared.clean), teacherLogits: prepared.teacherLogits, temperature: 1)
            let value = (5.0 / 6.0) * robust + (1.0 / 6.0) * natural
            total = total + value
            parts[index == 0 ? "largest" : index == 1 ? "smallest" : "random\(index - 1)"] = value.item
        }
        return (total, parts)
    }
}
