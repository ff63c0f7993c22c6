import Datasets
import Generative
import NN
import Optim
import Tensors
import Training
import XCTest

/// Trajectory distillation from the exact denoiser of the 8-Gaussian ring, on the EDM
/// process (no teacher training: the error measured is the distillation's alone).
final class TrajectoryDistillationTests: XCTestCase {
    private let mixture = GaussianMixture.ring(components: 8, radius: 2, standardDeviation: 0.1)
    // EDM's σ_d = 0.5, not the ring's scale (2.0): with 2.0 the same consistency training
    // reaches a 1-step SWD of 0.31 and puts 14% of its samples within 3σ of a mode.
    private let process = NoiseProcess(.edm, sigmaData: 0.5)
    private let hidden = [128, 128, 128]

    private func trainingData(seed: UInt64) throws -> TensorDataset {
        var generator = RandomGenerator(seed: seed)
        return try TensorDataset(inputs: mixture.sample(count: 8192, using: &generator), labels: nil)
    }

    private func fit(_ network: Module, _ objective: some TrainingObjective, epochs: Int, seed: UInt64, data: TensorDataset) throws -> [EpochRecord] {
        let options = TrainingOptions(epochs: epochs, batchSize: 256, schedule: .cosine(base: 1e-3, total: epochs * 32, minimum: 1e-5), seed: seed)
        return try Trainer(student: network, objective: objective, optimizer: Adam(learningRate: 1e-3), options: options)
            .fit(data, validation: Optional<TensorDataset>.none)
    }

    /// Consistency distillation for 3,200 steps.
    private func consistencyStudent() throws -> (ConsistencyModel, [EpochRecord]) {
        var generator = RandomGenerator(seed: 11)
        let student = ConsistencyModel(network: DenoisingMLP(dimension: 2, hidden: hidden, using: &generator), process: process)
        let objective = ConsistencyDistillation(teacher: GaussianMixtureDenoiser(mixture, process: process), student: student, levels: 18, solver: .heun)
        return (student, try fit(student.network, objective, epochs: 100, seed: 12, data: try trainingData(seed: 10)))
    }

    /// Progressive distillation from 16 teacher DDIM steps down to 1, in four halving rounds
    /// of 1,280 steps, each student starting from the last and the next round's teacher.
    private func progressiveStudent() throws -> (Denoiser, [Double]) {
        var generator = RandomGenerator(seed: 14)
        let network = DenoisingMLP(dimension: 2, hidden: hidden, using: &generator)
        let preconditioning = EDMPreconditioning(sigmaData: 0.5, isConsistencyModel: false)
        var teacher: any Denoiser = GaussianMixtureDenoiser(mixture, process: process)
        var times = process.samplingTimes(steps: 16)
        let data = try trainingData(seed: 10)
        while times.count > 2 {
            let objective = ProgressiveDistillation(teacher: teacher, student: PreconditionedDenoiser(network, preconditioning: preconditioning, process: process),
                                                    teacherTimes: times)
            _ = try fit(network, objective, epochs: 40, seed: 15, data: data)
            var copying = RandomGenerator(seed: 0)
            let frozen = DenoisingMLP(dimension: 2, hidden: hidden, using: &copying)
            try frozen.loadStateDict(network.stateDict())
            teacher = PreconditionedDenoiser(frozen, preconditioning: preconditioning, process: process)
            times = objective.studentTimes
        }
        return (teacher, times)
    }

    /// The consistency-model paper's claims at small scale: a 1-step student beats the
    /// teacher's own 1-step sampling by a wide margin (SWD at most half), 2-step consistency
    /// sampling beats 1-step, and consistency distillation at 1 step beats progressive
    /// distillation at 1 step.
    func testOneStepStudentsBeatTheTeachersOneStepAndConsistencyBeatsProgressive() throws {
        var generator = RandomGenerator(seed: 16)
        let heldOut = mixture.sample(count: 2000, using: &generator)
        func distance(_ samples: Tensor) -> Double { PointCloudMetrics.slicedWasserstein(samples, heldOut, projections: 128) }
        var sampling = RandomGenerator(seed: 13)
        let teacher = try distance(Sampler(.euler, steps: 1).sample(GaussianMixtureDenoiser(mixture, process: process), count: 2000, shape: [2], using: &sampling).samples)

        let (consistency, history) = try consistencyStudent()
        let losses = history.map { $0.trainLoss["consistency"]! }
        XCTAssertLessThan(losses.last!, 0.2 * losses.first!, "the consistency loss falls: \(losses)")
        let oneStep = consistency.sample(count: 2000, dimension: 2, using: &sampling)
        let twoStep = consistency.sample(count: 2000, dimension: 2, intermediate: [0.8], using: &sampling)
        let (progressive, grid) = try progressiveStudent()
        XCTAssertEqual(grid, [process.sigmaMax, 0])
        let progressiveOneStep = try Sampler(.ddim, times: grid).sample(progressive, count: 2000, shape: [2], using: &sampling)
        XCTAssertEqual(progressiveOneStep.evaluations, 1)

        let (cd1, cd2, pd1) = (distance(oneStep), distance(twoStep), distance(progressiveOneStep.samples))
        print(String(format: "teacher 1 step SWD %.4f; CD 1 step %.4f, 2 steps %.4f; PD 1 step %.4f", teacher, cd1, cd2, pd1))
        XCTAssertLessThan(cd1, 0.5 * teacher)
        XCTAssertLessThan(pd1, 0.5 * teacher)
        XCTAssertLessThan(cd2, cd1)
        XCTAssertLessThan(cd1, pd1)
        XCTAssertEqual(PointCloudMetrics.modeCoverage(oneStep, mixture: mixture).covered, 8)
        XCTAssertEqual(PointCloudMetrics.modeCoverage(progressiveOneStep.samples, mixture: mixture).covered, 8)
    }
}
