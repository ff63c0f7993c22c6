import ArgumentParser
import Datasets
import Foundation
import Generative
import Language
import NN
import Optim
import Tensors

/// The workloads of benchmarks/torch_workloads.py, with the same shapes, models,
/// losses, optimizers, warm-up and timing protocol; prints `W1 mlp-kd-step <seconds>` etc.
struct WorkloadBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workloads", abstract: "W1–W4 and W6–W8 of the PyTorch reference: seconds per step (median of timed blocks).")

    @OptionGroup var threading: ThreadOptions

    @Option(help: "Run only these workloads (W1, W2, W3, W4, W6, W7, W8).")
    var only: [String] = []

    func run() {
        threading.apply()
        var rng = RandomGenerator(seed: 0)
        let selected = only.isEmpty ? ["W1", "W2", "W3", "W4", "W6", "W7", "W8"] : only.map { $0.uppercased() }

        /// Hinton's KD loss of the reference: `α·T²·KL + (1 − α)·CE`.
        func kdLoss(_ student: Tensor, _ teacher: Tensor, _ labels: Tensor, temperature: Float = 4, alpha: Float = 0.9) -> Tensor {
            alpha * distillationKLDivergence(studentLogits: student, teacherLogits: teacher, temperature: temperature)
                + (1 - alpha) * crossEntropy(logits: student, labels: labels)
        }

        if selected.contains("W1") {
            let teacher = MLP(widths: [784, 1200, 1200, 10], using: &rng), student = MLP(widths: [784, 800, 800, 10], using: &rng)
            teacher.eval()
            let optimizer = Adam(learningRate: 1e-3)
            let x = Tensor.normal([128, 784], using: &rng), y = Tensor.randomIntegers([128], in: 0..<10, using: &rng)
            let seconds = medianSeconds(iterations: 20) {
                let teacherLogits = withoutGradients { teacher(x) }
                let (_, grads) = student.valueAndGradients { kdLoss(student(x), teacherLogits, y) }
                optimizer.update(student, gradients: grads)
            }
            print("W1 mlp-kd-step \(seconds)")
        }

        var student2: ConvNet?
        var images = Tensor.zeros([1]), imageLabels = Tensor.zeros([1])
        if selected.contains("W2") || selected.contains("W3") {
            images = Tensor.normal([64, 3, 32, 32], using: &rng)
            imageLabels = Tensor.randomIntegers([64], in: 0..<10, using: &rng)
            student2 = ConvNet(channels: [16, 32, 64], using: &rng)
        }
        if selected.contains("W2"), let student = student2 {
            let teacher = ConvNet(channels: [32, 64, 128, 256], using: &rng)
            teacher.eval()
            let optimizer = SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
            let seconds = medianSeconds(iterations: 5) {
                let teacherLogits = withoutGradients { teacher(images) }
                let (_, grads) = student.valueAndGradients { kdLoss(student(images), teacherLogits, imageLabels) }
                optimizer.update(student, gradients: grads)
            }
            print("W2 cnn-kd-step \(seconds)")
        }

        if selected.contains("W3"), let student = student2 {
            student.eval()
            let epsilon: Float = 8 / 255, stepSize: Float = 2 / 255
            var attackRNG = RandomGenerator(seed: 1)
            let seconds = medianSeconds(iterations: 2) {
                var delta = Tensor.uniform(images.shape, low: -epsilon, high: epsilon, using: &attackRNG)
                for _ in 0..<10 {
                    let perturbation = delta.requiringGradient()
                    let loss = crossEntropy(logits: student(images + perturbation), labels: imageLabels)
                    let gradient = gradients(of: loss, wrt: [perturbation])[0]
                    delta = withoutGradients { (delta + gradient.sign() * stepSize).clamped(min: -epsilon, max: epsilon) }
                }
            }
            print("W3 pgd10 \(seconds)")
        }

        if selected.contains("W4") {
            let network = MLP(widths: [2 + 16, 128, 128, 128, 2], using: &rng)
            let optimizer = Adam(learningRate: 1e-3)
            let x = Tensor.normal([256, 2], using: &rng)
            let frequencies = Tensor.linspace(0, 4, count: 8).exp()
            let seconds = medianSeconds(iterations: 200) {
                let t = Tensor.uniform([256, 1], using: &rng), noise = Tensor.normal([256, 2], using: &rng)
                let xt = (1 - t) * x + t * noise
                let embedding = concatenate([(t * frequencies).sin(), (t * frequencies).cos()], axis: 1)
                let (_, grads) = network.valueAndGradients {
                    meanSquaredError(network(concatenate([xt, embedding], axis: 1)), noise - x)
                }
                optimizer.update(network, gradients: grads)
            }
            print("W4 flow-mlp-step \(seconds)")
        }

        if selected.contains("W6") {
            // A 28×28 UNet denoiser (channels 32/64, one attention block at 14×14): a
            // flow-matching training step with Adam at batch 64, and a 4-step Euler sampling
            // pass of 64 images.
            let network = UNetDenoiser(imageChannels: 1, channels: [32, 64], using: &rng)
            let optimizer = Adam(learningRate: 1e-3)
            let x = Tensor.normal([64, 1, 28, 28], using: &rng)
            let step = medianSeconds(iterations: 2) {
                let t = Tensor.uniform([64], using: &rng), noise = Tensor.normal(x.shape, using: &rng)
                let column = t.reshaped([64, 1, 1, 1])
                let xt = (1 - column) * x + column * noise
                let (_, grads) = network.valueAndGradients {
                    meanSquaredError(network(.init(x: xt, noiseLevel: 1000 * t)).prediction, noise - x)
                }
                optimizer.update(network, gradients: grads)
            }
            print("W6 unet-step \(step)")
            let denoiser = NetworkDenoiser(network, process: NoiseProcess(.rectifiedFlow), target: .velocity)
            let sampling = medianSeconds(iterations: 1) {
                _ = try! Sampler(.euler, steps: 4).sample(denoiser, count: 64, shape: [1, 28, 28], using: &rng)
            }
            print("W6s unet-sample4 \(sampling)")
        }
        if selected.contains("W7") {
            // GCN on Cora, full batch: 1,433 → 16 → 7 with dropout 0.5 over the normalised
            // adjacency (sparse), cross-entropy on the 140 training nodes, Adam with weight decay.
            let graph = try! NodeClassificationGraph.planetoid("cora").normalizingFeatures()
            let model = GCN(widths: [graph.featureCount, 16, graph.classCount], using: &rng)
            let optimizer = Adam(learningRate: 0.01, weightDecay: 5e-4)
            let inputs = GraphInputs(features: graph.features, adjacency: graph.adjacency, nodes: graph.trainNodes)
            let labels = graph.labels(of: graph.trainNodes)
            let seconds = medianSeconds(iterations: 20) {
                let (_, grads) = model.valueAndGradients { crossEntropy(logits: model(inputs).logits, labels: labels) }
                optimizer.update(model, gradients: grads)
            }
            print("W7 gcn-cora-step \(seconds)")
        }
        if selected.contains("W8") {
            // nanoGPT's shakespeare-char CPU model: a training step on 12 windows of 64, then
            // 256 tokens sampled from one sequence over the key-value cache.
            let model = GPT(GPT.Configuration(vocabularySize: 65, contextLength: 64, layers: 4, heads: 4, embedding: 128), using: &rng)
            let optimizer = AdamW(learningRate: 1e-3, beta2: 0.99, weightDecay: 0.1, maxGradientNorm: 1)
            let x = Tensor.randomIntegers([12, 64], in: 0..<65, using: &rng), y = Tensor.randomIntegers([12, 64], in: 0..<65, using: &rng)
            let step = medianSeconds(iterations: 10) {
                let (_, grads) = model.valueAndGradients { crossEntropy(logits: model.logits(x, cache: nil), labels: y, classAxis: -1) }
                optimizer.update(model, gradients: grads)
            }
            print("W8 gpt-char-step \(step)")
            model.eval()
            let sampling = medianSeconds(iterations: 1) {
                _ = model.generate(after: [0], count: 256, sampling: TokenSampling(temperature: 1), using: &rng)
            }
            print("W8s gpt-sample256 \(sampling)")
        }
    }
}

/// The reference's `convnet`: per width `Conv 3×3 (no bias) → BatchNorm → ReLU → MaxPool 2`,
/// then a linear classifier on the flattened features.
final class ConvNet: Module {
    let features: Sequential
    let classifier: Linear

    init(channels: [Int], using generator: inout RandomGenerator) {
        var layers: [Module] = []
        var current = 3
        for width in channels {
            layers += [Conv2d(current, width, kernelSize: 3, padding: 1, bias: false, using: &generator), BatchNorm2d(width),
                       Activation(.relu), MaxPool2d(kernelSize: 2)]
            current = width
        }
        features = Sequential(layers)
        let side = 32 >> channels.count
        classifier = Linear(current * side * side, 10, using: &generator)
        super.init()
    }

    override func forward(_ input: Tensor) -> Tensor {
        classifier(features(input).flattened(startAxis: 1))
    }
}
