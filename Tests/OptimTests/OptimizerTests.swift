import Foundation
import NN
import Optim
import Tensors
import XCTest

/// The optimizers against PyTorch's on a fixed problem (20 steps of a Linear(4 → 3)
/// regression, NNTests/Fixtures/make_fixtures.py), and the schedules against PyTorch's.
final class OptimizerTests: XCTestCase {
    private static let reference: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../NNTests/Fixtures/reference.json").standardized
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }()

    private func tensor(_ name: String) -> Tensor {
        let entry = Self.reference[name] as! [String: Any]
        return Tensor((entry["data"] as! [Double]).map { Float($0) }, shape: entry["shape"] as! [Int])
    }

    private func trajectory(_ optimizer: Optimizer) -> Linear {
        var generator = RandomGenerator(seed: 0)
        let layer = Linear(4, 3, using: &generator)
        layer.update(parameters: ["weight": tensor("opt_w0"), "bias": tensor("opt_b0")])
        let (x, y) = (tensor("opt_x"), tensor("opt_y"))
        for _ in 0..<20 {
            let (_, grads) = layer.valueAndGradients { meanSquaredError(layer(x), y) }
            optimizer.update(layer, gradients: grads)
        }
        return layer
    }

    func testTrajectoriesMatchPyTorch() {
        let optimizers: [(String, Optimizer)] = [
            ("sgd", SGD(learningRate: 0.05)),
            ("sgd_momentum_wd", SGD(learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)),
            ("sgd_nesterov", SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true)),
            ("adam", Adam(learningRate: 0.01)),
            ("adam_wd", Adam(learningRate: 0.01, weightDecay: 0.1)),
            ("adamw", AdamW(learningRate: 0.01, weightDecay: 0.1)),
            ("rmsprop", RMSprop(learningRate: 0.01)),
            ("rmsprop_momentum_wd", RMSprop(learningRate: 0.01, momentum: 0.5, weightDecay: 0.01)),
        ]
        for (name, optimizer) in optimizers {
            let layer = trajectory(optimizer)
            assertClose(layer.weight, tensor("opt_\(name)_weight"), name)
            assertClose(layer.bias!, tensor("opt_\(name)_bias"), name)
            XCTAssertEqual(optimizer.step, 20)
        }
    }

    /// A weight whose gradient turns to zero leaves running averages that decay toward 0;
    /// they must reach exact zero, never linger as subnormal numbers (a hundred cycles per
    /// multiply), and the weights must stop moving.
    func testRunningAveragesOfDeadWeightsNeverTurnSubnormal() {
        for optimizer in [SGD(learningRate: 0.1, momentum: 0.9), Adam(learningRate: 1e-3), RMSprop(learningRate: 1e-3, momentum: 0.5)] as [Optimizer] {
            var generator = RandomGenerator(seed: 1)
            let layer = Linear(2, 2, using: &generator)
            let start = ["weight": Tensor.ones([2, 2]), "bias": Tensor.ones([2])]
            optimizer.update(layer, gradients: start)
            let zero = ["weight": Tensor.zeros([2, 2]), "bias": Tensor.zeros([2])]
            for _ in 0..<3_000 { optimizer.update(layer, gradients: zero) }
            let values = optimizer.stateDict().values.flatMap(\.scalars)
            XCTAssertFalse(values.contains { $0.isSubnormal }, "\(type(of: optimizer)) keeps subnormal state")
            let before = layer.weight.scalars
            optimizer.update(layer, gradients: zero)
            if optimizer is SGD { XCTAssertEqual(layer.weight.scalars, before, "the flushed momentum moves nothing") }
        }
    }

    func testSchedulesMatchPyTorch() {
        let schedules: [(String, LearningRateSchedule)] = [
            ("lr_step", .step(base: 0.1, stepSize: 7, gamma: 0.5)),
            ("lr_multistep", .multiStep(base: 0.1, milestones: [5, 12, 20], gamma: 0.1)),
            ("lr_cosine", .cosine(base: 0.1, total: 30, minimum: 0.001)),
            ("lr_onecycle", .oneCycle(maximum: 0.5, total: 30, pctStart: 0.3)),
        ]
        for (name, schedule) in schedules {
            assertClose(Tensor((0..<30).map { schedule.learningRate(at: $0) }), tensor(name), name)
        }
        let warm = LearningRateSchedule.linearWarmup(warmupSteps: 4, startFactor: 0.25, then: .constant(0.8))
        for (t, expected) in [Float(0.2), 0.35, 0.5, 0.65, 0.8, 0.8].enumerated() {
            XCTAssertEqual(warm.learningRate(at: t), expected, accuracy: 1e-6, "warm-up step \(t)")
        }
    }

    func testClippingAndMovingAverage() {
        var gradients = ["a": Tensor([3, 0]), "b": Tensor([0, 4])]
        XCTAssertEqual(clipGradientsByGlobalNorm(&gradients, maxNorm: 1), 5)
        XCTAssertEqual(gradients["a"]!.scalars[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(gradients["b"]!.scalars[1], 0.8, accuracy: 1e-5)
        var small = ["a": Tensor([0.1])]
        clipGradientsByGlobalNorm(&small, maxNorm: 1)
        XCTAssertEqual(small["a"]!.scalars, [0.1])

        var generator = RandomGenerator(seed: 1)
        let layer = Linear(2, 1, using: &generator)
        let average = ExponentialMovingAverage(of: layer, decay: 0.5)
        let start = layer.weight.scalars
        layer.update(parameters: ["weight": Tensor([10, 10], shape: [1, 2])])
        average.update(from: layer)
        XCTAssertEqual(average.shadow["weight"]!.scalars, start.map { 0.5 * $0 + 5 })
    }

    func testCheckpointResumesExactly() throws {
        var generator = RandomGenerator(seed: 2)
        let x = Tensor.normal([16, 4], using: &generator), y = Tensor.normal([16, 2], using: &generator)
        func makeModel() -> MLP {
            var init_ = RandomGenerator(seed: 3)
            return MLP(widths: [4, 8, 2], dropout: 0.3, using: &init_)  // dropout: its generator must resume too
        }
        func train(_ model: MLP, _ optimizer: Optimizer, steps: Range<Int>, _ rng: inout RandomGenerator) {
            for _ in steps {
                let noise = Tensor.normal([16, 4], standardDeviation: 0.1, using: &rng)
                let (_, grads) = model.valueAndGradients { meanSquaredError(model(x + noise), y) }
                optimizer.update(model, gradients: grads)
            }
        }
        // Ten steps straight through.
        let straight = makeModel(), straightOptimizer = Adam(learningRate: 0.01)
        var straightRNG = RandomGenerator(seed: 4)
        train(straight, straightOptimizer, steps: 0..<10, &straightRNG)
        // Five steps, a checkpoint, a fresh process's worth of objects, five more.
        let first = makeModel(), firstOptimizer = Adam(learningRate: 0.01)
        var rng = RandomGenerator(seed: 4)
        train(first, firstOptimizer, steps: 0..<5, &rng)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try TrainingCheckpoint(epoch: 1, step: 5, generator: rng, notes: ["best": "0.5"]).save(model: first, optimizer: firstOptimizer, to: url)
        let resumed = makeModel(), resumedOptimizer = Adam(learningRate: 0.01)
        let checkpoint = try TrainingCheckpoint.load(from: url, model: resumed, optimizer: resumedOptimizer)
        XCTAssertEqual(checkpoint.epoch, 1)
        XCTAssertEqual(checkpoint.step, 5)
        XCTAssertEqual(checkpoint.notes, ["best": "0.5"])
        var resumedRNG = checkpoint.generator
        train(resumed, resumedOptimizer, steps: 5..<10, &resumedRNG)
        for ((path, a), (_, b)) in zip(straight.namedParameters(), resumed.namedParameters()) {
            XCTAssertEqual(a.wrappedValue.scalars, b.wrappedValue.scalars, path)
        }
        // Another optimizer's state is refused, naming what does not fit.
        XCTAssertThrowsError(try SGD(learningRate: 0.1, momentum: 0.9).loadStateDict(firstOptimizer.stateDict())) { error in
            XCTAssert("\(error)".contains("unexpected keys 0.bias/exp_avg, 0.bias/exp_avg_sq"), "\(error)")
            XCTAssert("\(error)".contains("(this optimizer keeps <path>/momentum_buffer)"), "\(error)")
        }
        var partial = firstOptimizer.stateDict()
        partial["0.weight/exp_avg_sq"] = nil
        XCTAssertThrowsError(try Adam().loadStateDict(partial)) { error in
            XCTAssert("\(error)".contains("0.weight lacks exp_avg_sq"), "\(error)")
        }
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 2e-5, "\(message): relative difference \(worst)", file: file, line: line)
    }
}
