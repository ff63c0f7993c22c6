import Datasets
import Foundation
import NN
import Optim
import Tensors
import Training
import XCTest

/// A model with two named inputs (a noisy point and its time) and two named outputs (the
/// clean point and the noise): the shape of a diffusion denoiser, at toy scale.
final class PointDenoiser: Module, TaskModel {
    struct Inputs: BatchInputs {
        var noisy: Tensor, time: Tensor
        init(noisy: Tensor, time: Tensor) { (self.noisy, self.time) = (noisy, time) }
        init(batch: Batch) throws {
            self.init(noisy: batch.inputs, time: try batch.requiredField("time", for: "PointDenoiser"))
        }
    }

    struct Outputs: NamedTensors {
        var clean: Tensor, noise: Tensor
        var namedTensors: [(name: String, tensor: Tensor)] { [("clean", clean), ("noise", noise)] }
    }

    let body: MLP

    init(using generator: inout RandomGenerator) {
        body = MLP(widths: [3, 32, 32, 4], activation: .tanh, using: &generator)
    }

    func forward(_ inputs: Inputs) -> Outputs {
        let hidden = body(concatenate([inputs.noisy, inputs.time.reshaped([-1, 1])], axis: 1))
        return Outputs(clean: hidden.slice(axis: 1, start: 0, end: 2), noise: hidden.slice(axis: 1, start: 2, end: 4))
    }
}

/// A model whose inputs cannot be read from a batch.
final class UnreadableModel: Module, TaskModel {
    struct Outputs: NamedTensors {
        var value: Tensor
        var namedTensors: [(name: String, tensor: Tensor)] { [("value", value)] }
    }
    func forward(_ inputs: (Tensor, Tensor)) -> Outputs { Outputs(value: inputs.0 + inputs.1) }
}

final class NamedInputsTests: XCTestCase {
    /// Noises each point at its time (`x_t = x + t·ε`, ε drawn from the step's generator) and
    /// asks the model for both the clean point and the noise, by name.
    struct DenoisingObjective: TrainingObjective {
        struct Prepared { let batch: Batch, clean: Tensor, noise: Tensor }
        var teacher: (any Teacher)? { nil }
        var trainableModules: [Module] { [] }

        func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
            let time = try batch.requiredField("time", for: "denoising")
            let noise = Tensor.normal(batch.inputs.shape, using: &generator)
            return Prepared(batch: batch.replacing(inputs: batch.inputs + time.reshaped([-1, 1]) * noise), clean: batch.inputs, noise: noise)
        }

        func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
            let outputs = try student.outputs(for: prepared.batch)
            let clean = meanSquaredError(try outputs.required("clean", of: "the student"), prepared.clean)
            let noise = meanSquaredError(try outputs.required("noise", of: "the student"), prepared.noise)
            return (clean + noise, ["clean": clean.item, "noise": noise.item])
        }
    }

    /// 64 points on the unit circle, each with its own time in [0.1, 1].
    private static let points: TensorDataset = {
        let angles = (0..<64).map { Float($0) * 2 * .pi / 64 }
        let times = (0..<64).map { 0.1 + 0.9 * Float(($0 * 37) % 64) / 63 }
        return try! TensorDataset(inputs: Tensor(angles.flatMap { [cos($0), sin($0)] }, shape: [64, 2]), labels: nil, time: Tensor(times))
    }()

    /// Fixed noisy points to denoise, with the clean ones as the regression targets.
    private static let validation: TensorDataset = {
        var generator = RandomGenerator(seed: 11)
        let clean = points.inputs, time = Tensor.full([64], value: 0.3)
        let noisy = clean + 0.3 * Tensor.normal([64, 2], using: &generator)
        return try! TensorDataset(inputs: noisy, labels: clean, time: time)
    }()

    private func train(epochs: Int, checkpoints: URL?) throws -> (model: PointDenoiser, optimizer: Optimizer, history: [EpochRecord]) {
        var generator = RandomGenerator(seed: 2)
        let model = PointDenoiser(using: &generator)
        let optimizer = Adam()
        let trainer = Trainer(student: model, objective: DenoisingObjective(), optimizer: optimizer,
                              options: TrainingOptions(epochs: epochs, batchSize: 16, schedule: .constant(0.01), seed: 6,
                                                       checkpointDirectory: checkpoints, evaluation: RegressionEvaluation()))
        return (model, optimizer, try trainer.fit(Self.points, validation: Self.validation))
    }

    func testAModelWithTwoNamedInputsAndOutputsTrainsAndResumesBitForBit() throws {
        let straight = try train(epochs: 8, checkpoints: nil)
        let first = straight.history.first!, last = straight.history.last!
        XCTAssertLessThan(last.trainLoss["clean"]!, 0.5 * first.trainLoss["clean"]!, "both named outputs learn")
        XCTAssertLessThan(last.trainLoss["noise"]!, first.trainLoss["noise"]!)
        let firstMSE = try XCTUnwrap(RegressionMetrics(first.validation!)).meanSquaredError
        let lastMSE = try XCTUnwrap(RegressionMetrics(last.validation!)).meanSquaredError
        XCTAssertLessThan(lastMSE, 0.5 * firstMSE, "the evaluator runs the two-input model on the validation batches")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("named-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try train(epochs: 4, checkpoints: folder)
        let resumed = try train(epochs: 8, checkpoints: folder)
        for ((path, a), (_, b)) in zip(straight.model.namedParameters(), resumed.model.namedParameters()) {
            XCTAssertEqual(a.wrappedValue.scalars, b.wrappedValue.scalars, "\(path) after a resume")
        }
        let (straightState, resumedState) = (straight.optimizer.stateDict(), resumed.optimizer.stateDict())
        XCTAssertEqual(straightState.keys.sorted(), resumedState.keys.sorted())
        for (key, value) in straightState { XCTAssertEqual(resumedState[key]?.scalars, value.scalars, key) }
        XCTAssertEqual(resumed.history.map(\.trainLoss), straight.history.map(\.trainLoss))
        XCTAssertEqual(resumed.history.map(\.validation), straight.history.map(\.validation))
    }

    func testTheTypedCallAndTheBatchCallAgreeAndTapsRecordThePrimaryOutput() throws {
        var generator = RandomGenerator(seed: 4)
        let model = PointDenoiser(using: &generator)
        let batch = Self.points.batch(at: [0, 9, 20])
        let typed = model(.init(noisy: batch.inputs, time: batch.time!))
        let named = try model.outputs(for: batch)
        XCTAssertEqual(named.names, ["clean", "noise"])
        XCTAssertEqual(named["clean"]?.scalars, typed.clean.scalars)
        XCTAssertEqual(named["noise"]?.scalars, typed.noise.scalars)
        XCTAssertEqual(named.primary.scalars, typed.clean.scalars)
        XCTAssertNil(named.logits)

        // A tap on a two-output model records its primary output.
        final class Holder: Module {
            let denoiser: PointDenoiser
            init(_ denoiser: PointDenoiser) { self.denoiser = denoiser }
        }
        let holder = Holder(model)
        let (_, features) = try holder.capturingFeatures(["denoiser", "denoiser.body"]) { holder.denoiser(.init(noisy: batch.inputs, time: batch.time!)) }
        XCTAssertEqual(features["denoiser"]?.scalars, typed.clean.scalars)
        XCTAssertEqual(features["denoiser.body"]?.shape, [3, 4])
    }

    func testAMissingFieldOrUnreadableInputsAreNamed() throws {
        var generator = RandomGenerator(seed: 4)
        let model = PointDenoiser(using: &generator)
        XCTAssertThrowsError(try model.outputs(for: Batch(inputs: Tensor.zeros([2, 2]), labels: Tensor([0, 1])))) { error in
            XCTAssertEqual("\(error)", "PointDenoiser: needs the batch field 'time'; the batch has inputs, labels")
        }
        XCTAssertThrowsError(try UnreadableModel().outputs(for: Batch(inputs: Tensor.zeros([2, 2]), labels: nil))) { error in
            XCTAssertEqual("\(error)", "UnreadableModel takes (Tensor, Tensor), which does not conform to BatchInputs, so it cannot be run on a batch")
        }
        let outputs = try model.outputs(for: Self.points.batch(at: [1]))
        XCTAssertThrowsError(try outputs.required("logits", of: "the student")) { error in
            XCTAssertEqual("\(error)", "the student gives no output 'logits' (its outputs: clean, noise)")
        }
    }

    func testAPlainModuleIsAClassifierWhoseOutputIsItsLogits() throws {
        var generator = RandomGenerator(seed: 4)
        let classifier = MLP(widths: [2, 5, 3], using: &generator)
        let batch = Self.points.batch(at: [0, 1])
        let outputs = try classifier.outputs(for: batch)
        XCTAssertEqual(outputs.names, ["logits"])
        XCTAssertEqual(outputs.logits?.scalars, classifier(batch.inputs).scalars)
    }
}
