import Generative
import Tensors
import Training
import XCTest

/// Rectified flow's reflow (Liu et al. 2023) from the exact flow of the 8-Gaussian ring, and
/// InstaFlow's one-step distillation of it, with the recipe `distill demo generative` runs.
final class ReflowTests: XCTestCase {
    func testReflowStraightensTheFlowAndSamplesBetterInOneStep() throws {
        let (teacher, reflow, oneStep, history) = try GenerativeDemo.reflowStudents()
        XCTAssertLessThan(history.last!.trainLoss["denoising"]!, history.first!.trainLoss["denoising"]!)
        var generator = RandomGenerator(seed: 35)
        let noise = Tensor.normal([1000, 2], using: &generator)
        let (before, after) = (try RectifiedFlow.straightness(of: teacher, noise: noise), try RectifiedFlow.straightness(of: reflow, noise: noise))
        let heldOut = GenerativeDemo.mixture.sample(count: 2000, using: &generator)
        func oneStepDistance(_ denoiser: some Denoiser) throws -> Double {
            var sampling = RandomGenerator(seed: 33)
            let samples = try Sampler(.euler, steps: 1).sample(denoiser, count: 2000, shape: [2], using: &sampling).samples
            return PointCloudMetrics.slicedWasserstein(samples, heldOut, projections: 128)
        }
        let (teacherSWD, reflowSWD, distilledSWD) = (try oneStepDistance(teacher), try oneStepDistance(reflow), try oneStepDistance(oneStep))
        print(String(format: "reflow: straightness %.4f → %.4f; 1-step SWD %.4f → %.4f, one-step distilled %.4f", before, after, teacherSWD, reflowSWD, distilledSWD))
        XCTAssertLessThan(after, 0.5 * before, "reflow straightens the flow")
        XCTAssertLessThan(reflowSWD, 0.5 * teacherSWD, "1-step reflow beats 1-step sampling of the original flow")
        XCTAssertLessThan(distilledSWD, reflowSWD, "one-step distillation improves on the reflowed flow's single step")
    }
}
