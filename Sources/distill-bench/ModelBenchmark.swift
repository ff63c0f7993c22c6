import ArgumentParser
import NN
import Tensors

/// Forward and forward+backward time per batch of the zoo's reference models, the same
/// workloads as benchmarks/torch_models.py.
struct ModelBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "resnet20 (batch 64, 32×32) and MLP 784-800-800-10 (batch 128): ms per batch.")

    @OptionGroup var threading: ThreadOptions

    func run() {
        threading.apply()
        var rng = RandomGenerator(seed: 0)
        let resnet = CIFARResNet(depth: 20, using: &rng)
        let images = Tensor.normal([64, 3, 32, 32], using: &rng), imageLabels = Tensor.randomIntegers([64], in: 0..<10, using: &rng)
        measure("resnet20_b64", resnet, images, imageLabels, iterations: 5)
        let mlp = MLP(widths: [784, 800, 800, 10], using: &rng)
        let vectors = Tensor.normal([128, 784], using: &rng), vectorLabels = Tensor.randomIntegers([128], in: 0..<10, using: &rng)
        measure("mlp_784_800_800_10_b128", mlp, vectors, vectorLabels, iterations: 50)
    }

    private func measure(_ name: String, _ model: Module, _ input: Tensor, _ labels: Tensor, iterations: Int) {
        model.train()
        let forward = medianSeconds(iterations: iterations) { _ = withoutGradients { model(input) } }
        report("\(name)_forward", forward * 1e3, "ms")
        let backward = medianSeconds(iterations: iterations) {
            _ = model.valueAndGradients { crossEntropy(logits: model(input), labels: labels) }
        }
        report("\(name)_forward_backward", backward * 1e3, "ms")
    }
}
