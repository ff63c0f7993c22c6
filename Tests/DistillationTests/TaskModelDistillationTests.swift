import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import XCTest

/// A classifier that needs a second input, the batch's `condition`: the label is the sign of
/// the point's first coordinate, flipped where the condition is negative, so that no model
/// of the point alone does better than chance.
final class ConditionedClassifier: Module, TaskModel {
    struct Inputs: BatchInputs {
        var point: Tensor, condition: Tensor
        init(batch: Batch) throws {
            (point, condition) = (batch.inputs, try batch.requiredField("condition", for: "ConditionedClassifier"))
        }
    }

    struct Outputs: NamedTensors {
        var logits: Tensor, hidden: Tensor
        var namedTensors: [(name: String, tensor: Tensor)] { [("logits", logits), ("hidden", hidden)] }
    }

    let encoder: MLP, head: Linear

    init(width: Int, using generator: inout RandomGenerator) {
        encoder = MLP(widths: [3, width, width], using: &generator)
        head = Linear(width, 2, using: &generator)
    }

    func forward(_ inputs: Inputs) -> Outputs {
        let hidden = encoder(concatenate([inputs.point, inputs.condition], axis: 1)).relu()
        return Outputs(logits: head(hidden), hidden: hidden)
    }
}

/// A denoiser-like teacher with a time input and no logits, for the cache.
final class TimedTeacher: Module, TaskModel {
    struct Inputs: BatchInputs {
        var x: Tensor, time: Tensor
        init(batch: Batch) throws { (x, time) = (batch.inputs, try batch.requiredField("time", for: "TimedTeacher")) }
    }

    struct Outputs: NamedTensors {
        var prediction: Tensor, scale: Tensor
        var namedTensors: [(name: String, tensor: Tensor)] { [("prediction", prediction), ("scale", scale)] }
    }

    let layer: Linear

    init(using generator: inout RandomGenerator) { layer = Linear(3, 2, using: &generator) }

    func forward(_ inputs: Inputs) -> Outputs {
        let prediction = layer(concatenate([inputs.x, inputs.time.reshaped([-1, 1])], axis: 1))
        return Outputs(prediction: prediction, scale: (prediction * prediction).sum(axes: [1]))
    }
}

final class TaskModelDistillationTests: XCTestCase {
    private static func conditionedData(count: Int, seed: UInt64) -> TensorDataset {
        var generator = RandomGenerator(seed: seed)
        let points = Tensor.normal([count, 2], using: &generator)
        let conditions = (0..<count).map { _ in generator.nextInt(below: 2) == 0 ? Float(-1) : 1 }
        let labels = (0..<count).map { i -> Float in (points.scalars[2 * i] > 0) == (conditions[i] > 0) ? 1 : 0 }
        return try! TensorDataset(inputs: points, labels: Tensor(labels), condition: Tensor(conditions, shape: [count, 1]))
    }

    private let training = conditionedData(count: 400, seed: 1)
    private let test = conditionedData(count: 200, seed: 2)

    private func fit(_ student: Module, teacher: (any Teacher)?, loss: WeightedLoss) throws -> ClassificationMetrics {
        let trainer = Trainer(student: student, teacher: teacher, loss: loss, optimizer: Adam(learningRate: 0.01),
                              options: TrainingOptions(epochs: 15, batchSize: 32, schedule: .constant(0.01), seed: 3))
        let history = try trainer.fit(training, validation: test)
        return try XCTUnwrap(ClassificationMetrics(history.last!.validation!))
    }

    /// The stock objective and the classification evaluation run a two-input student, and a
    /// two-input teacher passes on what it learned from the condition.
    func testTheStockObjectiveTrainsAndDistilsModelsWithTwoInputs() throws {
        var generator = RandomGenerator(seed: 5)
        let teacherModel = ConditionedClassifier(width: 32, using: &generator)
        let teacherMetrics = try fit(teacherModel, teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())]))
        XCTAssertGreaterThan(teacherMetrics.top1, 0.9, "the condition reaches the model through the batch")

        let teacher = ModelTeacher(teacherModel)
        let outputs = try teacher.outputs(for: test.batch(at: [0, 1, 2]), featurePaths: ["encoder"])
        XCTAssertEqual(outputs.outputs.names, ["logits", "hidden"])
        XCTAssertEqual(try outputs.logits.shape, [3, 2])
        XCTAssertEqual(outputs.features["encoder"]?.shape, [3, 32])

        let student = ConditionedClassifier(width: 8, using: &generator)
        let studentMetrics = try fit(student, teacher: teacher, loss: WeightedLoss([(1, KnowledgeDistillationLoss(temperature: 2))]))
        XCTAssertGreaterThan(studentMetrics.top1, 0.85, "distilled from the teacher's logits alone, with no labels")
        XCTAssertGreaterThan(try XCTUnwrap(studentMetrics.teacherAgreement), 0.85)

        // A plain classifier of the point alone cannot do it: the condition is what carries
        // the label.
        let blind = MLP(widths: [2, 32, 2], using: &generator)
        let blindMetrics = try fit(blind, teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())]))
        XCTAssertLessThan(blindMetrics.top1, 0.65)
    }

    func testAnEnsembleAveragesEveryNamedOutput() throws {
        var generator = RandomGenerator(seed: 8)
        let (first, second) = (ConditionedClassifier(width: 4, using: &generator), ConditionedClassifier(width: 4, using: &generator))
        let batch = test.batch(at: [3, 4, 5, 6])
        let ensemble = EnsembleTeacher([ModelTeacher(first), ModelTeacher(second)], weights: [1, 3])
        let combined = try ensemble.outputs(for: batch, featurePaths: []).outputs
        let (a, b) = (try first.outputs(for: batch), try second.outputs(for: batch))
        let hidden = 0.25 * a["hidden"]! + 0.75 * b["hidden"]!
        for (x, y) in zip(combined["hidden"]!.scalars, hidden.scalars) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        let probabilities = 0.25 * a.logits!.softmax(axis: 1) + 0.75 * b.logits!.softmax(axis: 1)
        for (x, y) in zip(combined.logits!.softmax(axis: 1).scalars, probabilities.scalars) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }

    /// The cache keeps every output of a teacher without logits, and keys samples by their
    /// fields too: the same point at another time is another sample.
    func testTheCacheStoresEveryOutputAndKeysSamplesByTheirFields() throws {
        var generator = RandomGenerator(seed: 9)
        let model = TimedTeacher(using: &generator)
        let point = Tensor.normal([1, 2], using: &generator)
        let data = try TensorDataset(inputs: concatenate([point, point, Tensor.normal([4, 2], using: &generator)]), labels: nil,
                                     time: Tensor([0.1, 0.9, 0.2, 0.3, 0.4, 0.5]))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("timed-cache-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try TeacherCache(teacher: model, data: data).save(to: file)
        let cache = try TeacherCache(contentsOf: file)
        XCTAssertEqual(cache.cachedOutputs.names, ["prediction", "scale"])
        XCTAssertNoThrow(try cache.validate(teacher: model, data: data))

        let batch = data.batch(at: [1, 0, 4])
        let served = try cache.outputs(for: batch, featurePaths: []).outputs
        let live = try model.outputs(for: batch)
        XCTAssertEqual(served["prediction"]?.scalars, live["prediction"]?.scalars)
        XCTAssertEqual(served["scale"]?.scalars, live["scale"]?.scalars)
        XCTAssertNotEqual(served["prediction"]!.scalars[0], served["prediction"]!.scalars[2], "the same point at t = 0.9 and t = 0.1")
        XCTAssertThrowsError(try cache.outputs(for: batch, featurePaths: []).logits) { error in
            XCTAssertEqual("\(error)", "the teacher gives no output 'logits' (its outputs: prediction, scale)")
        }
        var unseen = batch
        unseen.time = Tensor([0.5, 0.5, 0.5])
        XCTAssertThrowsError(try cache.outputs(for: unseen, featurePaths: []), "a time the cache never saw")

        let onlyScale = try TeacherCache(teacher: model, data: data, outputs: ["scale"])
        XCTAssertEqual(onlyScale.cachedOutputs.names, ["scale"])
        XCTAssertThrowsError(try TeacherCache(teacher: model, data: data, outputs: ["logits"])) { error in
            XCTAssertEqual("\(error)", "the teacher gives no output 'logits' (its outputs: prediction, scale)")
        }
    }

    /// A cache in the layout written before named outputs (logits only, no `outputs` entry)
    /// still loads, and data without fields keeps its fingerprint: FNV-1a over the inputs.
    func testACacheOfLogitsOnlyFromBeforeStillLoadsAndValidates() throws {
        let data = SyntheticData.gaussianMixture(count: 30, components: 3, radius: 2, standardDeviation: 0.6, seed: 1)
        var generator = RandomGenerator(seed: 2)
        let model = MLP(widths: [2, 8, 3], using: &generator)
        let fresh = try TeacherCache(teacher: model, data: data)

        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let inputs = data.inputs.scalars
        var chunks: [Float] = []
        for sample in 0..<30 {
            var sampleHash: UInt64 = 0xCBF2_9CE4_8422_2325
            for value in inputs[(2 * sample)..<(2 * sample + 2)] { sampleHash = (sampleHash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3 }
            hash = (hash ^ sampleHash) &* 0x0000_0100_0000_01B3
            chunks += (0..<4).map { Float((sampleHash >> (16 * UInt64(3 - $0))) & 0xFFFF) }
        }
        XCTAssertEqual(fresh.dataFingerprint, String(format: "%016llx-%d", hash, 30), "the fingerprint of data without fields is unchanged")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("old-cache-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        let logits = withoutGradients { model(data.inputs) }
        try SafeTensors.write(["logits": logits, "sample_hash": Tensor(chunks, shape: [30, 4])],
                              metadata: ["teacher_fingerprint": fresh.teacherFingerprint, "data_fingerprint": fresh.dataFingerprint,
                                         "samples": "30", "epochs": "0"], to: file)
        let old = try TeacherCache(contentsOf: file)
        XCTAssertEqual(old.cachedOutputs.names, ["logits"])
        XCTAssertNoThrow(try old.validate(teacher: model, data: data))
        XCTAssertEqual(try old.outputs(for: data.batch(at: [7, 2]), featurePaths: []).logits.scalars,
                       logits.indexSelect(axis: 0, indices: [7, 2]).scalars)
    }
}
