import ArgumentParser
import CBLAS
import NN
import Optim
import Tensors

/// Matrix, memory-bound and per-op-overhead figures of the tensor engine.
struct EngineBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "matmul GFLOP/s, elementwise and sum GB/s, µs per small op.")

    @OptionGroup var threading: ThreadOptions

    func run() {
        threading.apply()
        var rng = RandomGenerator(seed: 0)

        for n in [128, 512, 1024] {
            let a = Tensor.normal([n, n], using: &rng), b = Tensor.normal([n, n], using: &rng)
            let flops = 2 * Double(n * n * n)
            let iterations = max(4, 2_000_000_000 / (n * n * n))
            var c = [Float](repeating: 0, count: n * n)
            let (engine, raw) = a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    pairedMedianSeconds(iterations: iterations, { _ = matmul(a, b) }, {
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n),
                                    1, pa.baseAddress, Int32(n), pb.baseAddress, Int32(n), 0, &c, Int32(n))
                    })
                }
            }
            report("matmul_\(n)", flops / engine / 1e9, "GFLOP/s")
            report("sgemm_raw_\(n)", flops / raw / 1e9, "GFLOP/s")
            report("matmul_\(n)_vs_raw", raw / engine * 100, "%")
        }

        let large = 16 * 1024 * 1024
        let x = Tensor.normal([large], using: &rng), y = Tensor.normal([large], using: &rng)
        let add = medianSeconds(iterations: 10) { _ = x + y }
        report("elementwise_add_16M", Double(3 * 4 * large) / add / 1e9, "GB/s")
        let relu = medianSeconds(iterations: 10) { _ = x.relu() }
        report("elementwise_relu_16M", Double(2 * 4 * large) / relu / 1e9, "GB/s")
        let sum = medianSeconds(iterations: 20) { _ = x.sum() }
        report("sum_16M", Double(4 * large) / sum / 1e9, "GB/s")

        let small = Tensor.normal([16], using: &rng), other = Tensor.normal([16], using: &rng)
        let forward = medianSeconds(iterations: 100_000) { _ = small + other }
        report("small_op_forward", forward * 1e6, "us")
        let parameter = small.requiringGradient()
        let backward = medianSeconds(iterations: 20_000) {
            let loss = (parameter * other).sum()
            _ = gradients(of: loss, wrt: [parameter])
        }
        // Two ops (multiply, sum) forward and backward.
        report("small_op_forward_backward", backward / 2 * 1e6, "us")

        // Optimizer steps: one large MLP (W1's student, 1.3M weights) and a conv net of many
        // small parameters (W2's student), where the per-parameter cost shows.
        let models: [(String, Module)] = [("mlp", MLP(widths: [784, 800, 800, 10], using: &rng)), ("convnet", ConvNet(channels: [16, 32, 64], using: &rng)),
                                          ("flow_mlp", MLP(widths: [18, 128, 128, 128, 2], using: &rng))]
        for (name, model) in models {
            let gradients = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, Tensor.normal($0.1.wrappedValue.shape, using: &rng)) })
            let optimizers: [(String, Optimizer)] = [("sgd", SGD(learningRate: 1e-3, momentum: 0.9, weightDecay: 5e-4)), ("adam", Adam()), ("rmsprop", RMSprop())]
            for (optimizerName, optimizer) in optimizers {
                let seconds = medianSeconds(iterations: 20) { optimizer.update(model, gradients: gradients) }
                report("optimizer_\(optimizerName)_\(name)", seconds * 1e6, "us")
            }
        }
    }
}
