import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import XCTest

final class TeacherCacheTests: XCTestCase {
    let data = SyntheticData.gaussianMixture(count: 120, components: 3, radius: 2, standardDeviation: 0.6, seed: 1)
    private var file: URL!

    override func setUp() {
        file = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID()).safetensors")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: file)
    }

    func teacher(seed: UInt64 = 2) -> MLP {
        var generator = RandomGenerator(seed: seed)
        return MLP(widths: [2, 16, 3], using: &generator)
    }

    func testCacheServesTheTeachersLogitsByContentAfterARoundTrip() throws {
        let model = teacher()
        try TeacherCache(teacher: model, data: data).save(to: file)
        let cache = try TeacherCache(contentsOf: file)
        let picked = [17, 3, 99, 3, 0]
        let inputs = data.batch(at: picked).inputs
        let served = try cache.outputs(for: inputs, featurePaths: []).logits
        let live = model(inputs)
        for (a, b) in zip(served.scalars, live.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertNoThrow(try cache.validate(teacher: model, data: data))
    }

    func testStaleCachesAndUnseenInputsAreRefused() throws {
        let model = teacher()
        try TeacherCache(teacher: model, data: data).save(to: file)
        let cache = try TeacherCache(contentsOf: file)
        XCTAssertThrowsError(try cache.validate(teacher: teacher(seed: 3), data: data)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(file.path): stale teacher cache: built from teacher weights"), "\(error)")
        }
        XCTAssertThrowsError(try cache.validate(teacher: model, data: data.subset(Array(0..<100)))) { error in
            XCTAssertTrue("\(error)".contains("stale teacher cache: built for data"), "\(error)")
        }
        var generator = RandomGenerator(seed: 4)
        let noisy = GaussianNoise(standardDeviation: 0.1)(data.batch(at: [0, 1]), using: &generator).inputs
        XCTAssertThrowsError(try cache.outputs(for: noisy, featurePaths: [])) { error in
            XCTAssertTrue("\(error)".contains("is not in the teacher cache (random augmentation changes the inputs"), "\(error)")
        }
        XCTAssertThrowsError(try cache.outputs(for: data.batch(at: [0]).inputs, featurePaths: ["1"]))
    }

    /// With augmentation, a per-epoch cache built from the training loader serves every
    /// augmented batch, and distilling from it equals distilling from the live teacher.
    func testPerEpochCacheReplacesTheTeacherExactly() throws {
        let model = teacher()
        let options = TrainingOptions(epochs: 3, batchSize: 16, schedule: .constant(0.05), seed: 5, transform: GaussianNoise(standardDeviation: 0.2))
        let loader = DataLoader(data, batchSize: 16, shuffle: true, seed: 5, transform: options.transform)
        let cache = try TeacherCache(teacher: model, data: data, loader: loader, epochs: 3)
        func distill(from teacher: any Teacher) throws -> [Float] {
            var generator = RandomGenerator(seed: 6)
            let student = MLP(widths: [2, 8, 3], using: &generator)
            let trainer = Trainer(student: student, teacher: teacher, loss: WeightedLoss([(1, KnowledgeDistillationLoss(temperature: 2))]),
                                  optimizer: SGD(learningRate: 0.05), options: options)
            try trainer.fit(data, validation: Optional<TensorDataset>.none)
            return student.namedParameters().flatMap { $0.parameter.wrappedValue.scalars }
        }
        XCTAssertEqual(try distill(from: cache), try distill(from: ModelTeacher(model)))
        let fourEpochs = TrainingOptions(epochs: 4, batchSize: 16, schedule: .constant(0.05), seed: 5, transform: options.transform)
        let trainer = Trainer(student: teacher(seed: 7), teacher: cache, loss: WeightedLoss([(1, KnowledgeDistillationLoss())]),
                              optimizer: SGD(learningRate: 0.05), options: fourEpochs)
        XCTAssertThrowsError(try trainer.fit(data, validation: Optional<TensorDataset>.none), "epoch 4 was never cached")
    }
}
