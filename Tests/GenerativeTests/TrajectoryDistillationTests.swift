import Datasets
import Generative
import NN
import Tensors
import Training
import XCTest

/// Trajectory distillation from the exact denoiser of the 8-Gaussian ring, on the EDM
/// process (no teacher training: the error measured is the distillation's alone), with the
/// recipes `distill demo generative` runs.
final class TrajectoryDistillationTests: XCTestCase {
    /// The papers' claims at small scale (one test: the consistency student is trained once):
    /// a 1-step student beats the teacher's own 1-step sampling by a wide margin (SWD at most
    /// half); 2-step consistency sampling beats 1-step, and consistency distillation at 1 step
    /// beats progressive distillation at 1 step (Song et al. 2023); consistency within
    /// trajectory segments, trained 8 → 4 → 2 segments, beats single-segment consistency
    /// distillation at 2 steps (Hyper-SD); BOOT, seeing no data, reaches consistency
    /// distillation's 1-step quality within 1.5× its SWD; consistency training, with no
    /// teacher, samples in one step far better than the teacher's one step but worse than
    /// consistency distillation (the CM paper's order), and better in two steps than one;
    /// continuous-time consistency distillation and training (sCM) each beat their
    /// discrete-time counterparts at 1 step.
    func testOneStepStudentsBeatTheTeacherAndTheMethodsOrderAsTheirPapersSay() throws {
        let (mixture, process) = (GenerativeDemo.mixture, GenerativeDemo.process)
        var generator = RandomGenerator(seed: 16)
        let heldOut = mixture.sample(count: 2000, using: &generator)
        func distance(_ samples: Tensor) -> Double { PointCloudMetrics.slicedWasserstein(samples, heldOut, projections: 128) }
        var sampling = RandomGenerator(seed: 13)
        let teacher = try distance(Sampler(.euler, steps: 1).sample(GaussianMixtureDenoiser(mixture, process: process), count: 2000, shape: [2], using: &sampling).samples)

        let data = try GenerativeDemo.trainingData()
        let (consistency, history) = try GenerativeDemo.consistencyStudent(data: data)
        let losses = history.map { $0.trainLoss["consistency"]! }
        XCTAssertLessThan(losses.last!, 0.2 * losses.first!, "the consistency loss falls: \(losses)")
        let oneStep = consistency.sample(count: 2000, dimension: 2, using: &sampling)
        let twoStep = consistency.sample(count: 2000, dimension: 2, intermediate: [0.8], using: &sampling)
        let rounds = try GenerativeDemo.progressiveStudents(data: data)
        XCTAssertEqual(rounds.map { $0.times.count - 1 }, [8, 4, 2, 1])
        let (progressive, grid) = rounds.last!
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

        // SCott: the same distillation with a stochastic teacher step (DDIM, η 0.3).
        let (scott, _) = try GenerativeDemo.consistencyStudent(data: data, stochasticity: 0.3)
        var scottSampling = RandomGenerator(seed: 13)
        let scott1 = distance(scott.sample(count: 2000, dimension: 2, using: &scottSampling))
        print(String(format: "SCott 1 step %.4f", scott1))
        XCTAssertLessThan(scott1, 0.5 * teacher)

        let trained = try GenerativeDemo.consistencyTrainingStudent(data: data)
        var trainedSampling = RandomGenerator(seed: 13)
        let ct1 = distance(trained.sample(count: 2000, dimension: 2, using: &trainedSampling))
        let ct2 = distance(trained.sample(count: 2000, dimension: 2, intermediate: [0.8], using: &trainedSampling))
        print(String(format: "CT 1 step %.4f, 2 steps %.4f", ct1, ct2))
        XCTAssertLessThan(ct1, 0.5 * teacher)
        XCTAssertLessThan(cd1, ct1)
        XCTAssertLessThan(ct2, ct1)

        let boot = try GenerativeDemo.bootStudent(data: data)
        var bootSampling = RandomGenerator(seed: 13)
        let boot1 = distance(boot.sample(count: 2000, dimension: 2, using: &bootSampling))
        print(String(format: "BOOT 1 step %.4f (CD %.4f)", boot1, cd1))
        XCTAssertLessThan(boot1, 1.5 * cd1)

        let (segmented, edges) = try GenerativeDemo.segmentedConsistencyStudent(data: data)
        XCTAssertEqual(edges.count, 2)
        XCTAssertEqual(edges.last!, process.sigmaMin, accuracy: 1e-9)
        var segmentSampling = RandomGenerator(seed: 13)
        let tscd2 = distance(segmented.sample(count: 2000, dimension: 2, segmentEdges: edges, using: &segmentSampling))
        print(String(format: "2 steps: CD %.4f, TSCD %.4f", cd2, tscd2))
        XCTAssertLessThan(tscd2, cd2)

        // sCM (continuous time, TrigFlow): no discretisation error, so distillation and
        // training each beat their discrete-time counterparts at 1 step.
        let (continuous, continuousHistory) = try GenerativeDemo.continuousConsistencyStudent(data: data)
        let continuousLosses = continuousHistory.map { $0.trainLoss["consistency"]! }
        XCTAssertLessThan(continuousLosses.last!, 0.7 * continuousLosses.first!, "the sCM loss falls: \(continuousLosses)")
        var continuousSampling = RandomGenerator(seed: 13)
        let scd1 = distance(continuous.sample(count: 2000, dimension: 2, using: &continuousSampling))
        let (continuousTrained, _) = try GenerativeDemo.continuousConsistencyStudent(data: data, distills: false)
        let sct1 = distance(continuousTrained.sample(count: 2000, dimension: 2, using: &continuousSampling))
        print(String(format: "1 step: sCD %.4f (CD %.4f), sCT %.4f (CT %.4f)", scd1, cd1, sct1, ct1))
        XCTAssertLessThan(scd1, cd1)
        XCTAssertLessThan(sct1, ct1)
    }
}
