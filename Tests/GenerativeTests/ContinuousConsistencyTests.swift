import Datasets
import Generative
import NN
import Optim
import Tensors
import Training
import XCTest

/// The Jacobian-vector product behind sCM's tangent, against the exact one; and an image
/// student.
final class ContinuousConsistencyTests: XCTestCase {
    /// The central difference of the student's `F_θ(x/σ_d, t)` along (v, 1) matches the
    /// exact product assembled from reverse-mode Jacobian rows (one pullback per output
    /// coordinate; each sample depends on its own inputs alone).
    func testTheCentralDifferenceJVPMatchesTheExactProduct() {
        var generator = RandomGenerator(seed: 23)
        let model = TrigFlowConsistencyModel(network: DenoisingMLP(dimension: 2, hidden: [16, 16], embeddingSize: 8, using: &generator),
                                             process: NoiseProcess(.trigFlow, sigmaData: 0.5))
        let x = Tensor.normal([5, 2], using: &generator)
        let times = Tensor([0.05, 0.4, 0.8, 1.2, 1.55])
        let tangent = Tensor.normal([5, 2], using: &generator)
        let timeTangent = Tensor([1, 1, 1, 0.5, -2])

        let (point, clock) = (x.requiringGradient(), times.requiringGradient())
        let output = model.flow(point, times: clock)
        var exact = [Float](repeating: 0, count: 10)
        for coordinate in 0..<2 {
            let seed = Tensor((0..<10).map { $0 % 2 == coordinate ? 1 : 0 }, shape: [5, 2])
            let rows = gradients(of: output, wrt: [point, clock], seed: seed)
            let product = (rows[0] * tangent).sum(axis: 1) + rows[1] * timeTangent
            for sample in 0..<5 { exact[sample * 2 + coordinate] = product.scalars[sample] }
        }
        let estimated = centralDifferenceJVP(of: { model.flow($0, times: $1) }, at: x, times: times, tangent: tangent, timeTangent: timeTangent).scalars
        let scale = exact.map(abs).max()!
        for (e, a) in zip(estimated, exact) {
            XCTAssertEqual(e, a, accuracy: 2e-3 * scale, "central difference \(estimated) against exact \(exact)")
        }
    }

    /// The objective and the model take any denoising network: a UNet student trains by
    /// continuous-time consistency training on 8×8 images (its loss stays finite and falls)
    /// and samples images in one step.
    func testAUNetStudentTrainsOnImages() throws {
        var generator = RandomGenerator(seed: 24)
        let images = (Tensor.uniform([256, 1, 8, 8], using: &generator) - 0.5) * 0.6
        let student = TrigFlowConsistencyModel(network: UNetDenoiser(imageChannels: 1, channels: [4, 8], using: &generator),
                                               process: NoiseProcess(.trigFlow, sigmaData: 0.5))
        let objective = ContinuousConsistencyDistillation(teacher: nil, student: student, weighting: AdaptiveLossWeight(using: &generator), warmupEpochs: 1)
        let options = TrainingOptions(epochs: 4, batchSize: 64, schedule: .constant(3e-3), seed: 25)
        let history = try Trainer(student: student.network, objective: objective, optimizer: Adam(learningRate: 3e-3), options: options)
            .fit(try TensorDataset(inputs: images, labels: nil), validation: Optional<TensorDataset>.none)
        let losses = history.map { $0.trainLoss["total"]! }
        XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(losses)")
        XCTAssertLessThan(losses.last!, losses.first!, "\(losses)")
        var sampling = RandomGenerator(seed: 26)
        XCTAssertEqual(student.sample(count: 3, shape: [1, 8, 8], using: &sampling).shape, [3, 1, 8, 8])
    }
}

/// The discrete-time students take image networks too: consistency training, BOOT and
/// progressive distillation each run on 8×8 images with a UNet (an untrained UNet teacher:
/// this checks shapes and finiteness; the methods' effects are tested on the ring).
final class ImageStudentTests: XCTestCase {
    func testConsistencyBOOTAndProgressiveStudentsRunOnImages() throws {
        var generator = RandomGenerator(seed: 27)
        let images = try TensorDataset(inputs: (Tensor.uniform([128, 1, 8, 8], using: &generator) - 0.5) * 0.6, labels: nil)
        let process = NoiseProcess(.edm, sigmaData: 0.5)
        let options = TrainingOptions(epochs: 2, batchSize: 64, schedule: .constant(1e-3), seed: 28)
        func fit(_ network: Module, _ objective: some TrainingObjective) throws -> [Double] {
            try Trainer(student: network, objective: objective, optimizer: Adam(learningRate: 1e-3), options: options)
                .fit(images, validation: Optional<TensorDataset>.none).map { $0.trainLoss["total"]! }
        }
        let unet = { (generator: inout RandomGenerator) in UNetDenoiser(imageChannels: 1, channels: [4, 8], using: &generator) }

        let consistency = ConsistencyModel(network: unet(&generator), process: process)
        let consistencyLosses = try fit(consistency.network, ConsistencyDistillation(trainingOn: process, student: consistency, levels: 10))
        var sampling = RandomGenerator(seed: 29)
        XCTAssertEqual(consistency.sample(count: 2, shape: [1, 8, 8], intermediate: [0.8], using: &sampling).shape, [2, 1, 8, 8])

        let teacher = PreconditionedDenoiser(unet(&generator), preconditioning: EDMPreconditioning(isConsistencyModel: false), process: process)
        let boot = BOOTStudent(network: unet(&generator), process: process)
        let bootLosses = try fit(boot.network, BOOTDistillation(teacher: teacher, student: boot, levels: 10))
        XCTAssertEqual(boot.sample(count: 2, shape: [1, 8, 8], using: &sampling).shape, [2, 1, 8, 8])

        let progressiveNetwork = unet(&generator)
        let progressive = ProgressiveDistillation(
            teacher: teacher, student: PreconditionedDenoiser(progressiveNetwork, preconditioning: EDMPreconditioning(isConsistencyModel: false), process: process),
            teacherTimes: process.samplingTimes(steps: 4))
        let progressiveLosses = try fit(progressiveNetwork, progressive)
        for (name, losses) in [("consistency", consistencyLosses), ("BOOT", bootLosses), ("progressive", progressiveLosses)] {
            XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(name): \(losses)")
        }
    }
}
