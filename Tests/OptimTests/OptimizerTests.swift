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

    /// An optimizer's own clipping equals clipping by hand, then the plain step.
    func testGradientClippingInTheOptimizerEqualsClippingByHand() {
        for (clipping, plain) in [(SGD(learningRate: 0.1, momentum: 0.9, maxGradientNorm: 0.5), SGD(learningRate: 0.1, momentum: 0.9)),
                                  (AdamW(learningRate: 0.01, maxGradientNorm: 0.5), AdamW(learningRate: 0.01))] as [(Optimizer, Optimizer)] {
            var generator = RandomGenerator(seed: 4)
            let a = MLP(widths: [6, 5, 2], using: &generator)
            generator = RandomGenerator(seed: 4)
            let b = MLP(widths: [6, 5, 2], using: &generator)
            let x = Tensor.normal([8, 6], using: &generator), y = Tensor.normal([8, 2], using: &generator) * 10
            for _ in 0..<3 {
                let (_, gradientsA) = a.valueAndGradients { meanSquaredError(a(x), y) }
                clipping.update(a, gradients: gradientsA)
                var gradientsB = b.valueAndGradients { meanSquaredError(b(x), y) }.1
                XCTAssertGreaterThan(clipGradientsByGlobalNorm(&gradientsB, maxNorm: 0.5), 0.5, "the test clips for real")
                plain.update(b, gradients: gradientsB)
            }
            for ((path, p), (_, q)) in zip(a.namedParameters(), b.namedParameters()) {
                XCTAssertEqual(p.wrappedValue.scalars, q.wrappedValue.scalars, "\(type(of: clipping)) \(path)")
            }
        }
    }

    /// A fresh copy is the same kind with the same settings, and starts with no state.
    func testAFreshCopyKeepsKindAndSettingsAndDropsState() {
        var generator = RandomGenerator(seed: 1)
        let model = MLP(widths: [3, 4, 2], using: &generator)
        let gradients = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, Tensor.normal($0.1.wrappedValue.shape, using: &generator)) })
        let sgd = SGD(learningRate: 0.1, momentum: 0.8, weightDecay: 1e-3, nesterov: true, maxGradientNorm: 2)
        sgd.update(model, gradients: gradients)
        let copy = sgd.freshCopy()
        XCTAssertTrue(copy is SGD)
        XCTAssertEqual((copy as! SGD).momentum, 0.8)
        XCTAssertEqual((copy as! SGD).nesterov, true)
        XCTAssertEqual((copy as! SGD).maxGradientNorm, 2)
        XCTAssertEqual(copy.step, 0)
        XCTAssertEqual(copy.stateDict().keys.sorted(), ["step"])
        let adamW = AdamW(learningRate: 3e-4, weightDecay: 0.05).freshCopy() as? Adam
        XCTAssertEqual(adamW?.decoupledWeightDecay, true)
        XCTAssertEqual(adamW?.weightDecay, 0.05)
        XCTAssertTrue(RMSprop(momentum: 0.5).freshCopy() is RMSprop)
    }

    func testAnotherOptimizersStateIsRefused() throws {
        var generator = RandomGenerator(seed: 2)
        let model = MLP(widths: [4, 8, 2], using: &generator)
        let x = Tensor.normal([16, 4], using: &generator), y = Tensor.normal([16, 2], using: &generator)
        let firstOptimizer = Adam(learningRate: 0.01)
        let (_, grads) = model.valueAndGradients { meanSquaredError(model(x), y) }
        firstOptimizer.update(model, gradients: grads)
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
