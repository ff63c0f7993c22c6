import Datasets
import Generative
import Tensors
import Training
import XCTest

/// TwinFlow on the 8-Gaussian ring from data alone, against its paper's claim.
final class TwinFlowTests: XCTestCase {
    /// TwinFlow (Cheng et al. 2025) gives a one-step sampler with neither teacher nor
    /// discriminator: after 60 epochs (1,920 steps), `z − F(z, 1, 0)` keeps all 8 modes at an
    /// SWD under a quarter of the same network's one-step flow sampling (one Euler step of its
    /// instantaneous velocity `F(z, 1, 1)`, which lands near the mean), and two any-step
    /// jumps do as well. Seeds 80 and 81.
    func testTheOneStepSamplerBeatsTheSameNetworksOneStepFlow() throws {
        let data = try GenerativeDemo.trainingData()
        var drawing = RandomGenerator(seed: 16)
        let heldOut = GenerativeDemo.mixture.sample(count: 2000, using: &drawing)
        func measured(_ sample: (inout RandomGenerator) -> Tensor) -> (distance: Double, modes: Int) {
            var sampling = RandomGenerator(seed: 13)
            let samples = sample(&sampling)
            return (PointCloudMetrics.slicedWasserstein(samples, heldOut, projections: 128), PointCloudMetrics.modeCoverage(samples, mixture: GenerativeDemo.mixture).covered)
        }
        for seed: UInt64 in [80, 81] {
            let (model, history) = try GenerativeDemo.twinFlowStudent(data: data, seed: seed)
            let oneStep = measured { model.network.sample(count: 2000, steps: 1, using: &$0) }
            let twoSteps = measured { model.network.sample(count: 2000, steps: 2, using: &$0) }
            let flow = measured { model.network.sampleByVelocity(count: 2000, steps: 1, using: &$0) }
            print(String(format: "seed %d: TwinFlow 1-NFE SWD %.4f (%d modes), 2-NFE %.4f (%d); the same network's 1-step flow %.4f (%d)", seed,
                         oneStep.distance, oneStep.modes, twoSteps.distance, twoSteps.modes, flow.distance, flow.modes))
            XCTAssertNotNil(history.last!.trainLoss["self_adversarial"])
            XCTAssertEqual(oneStep.modes, 8, "seed \(seed)")
            XCTAssertLessThan(oneStep.distance, 0.25 * flow.distance, "seed \(seed)")
            XCTAssertLessThan(twoSteps.distance, 0.25 * flow.distance, "seed \(seed)")
        }
    }
}
