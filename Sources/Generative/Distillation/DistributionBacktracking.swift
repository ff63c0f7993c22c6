import NN
import Optim
import Tensors
import Training

/// DisBack, distribution backtracking (Zhang et al. 2024): a generator that does not start
/// from the teacher's weights (another architecture, or an untrained network) is far from
/// the teacher's distribution, and the score difference DMD and SiD descend is a poor guide
/// there. DisBack first records how the teacher's score degrades toward the initial
/// generator — a copy of the teacher fine-tuned on the generator's samples with the teacher's
/// denoising loss, a checkpoint every few steps (stage 1) — then distils along that path
/// backward: the generator matches the most degraded checkpoint first, and each later target
/// is nearer the teacher, the last the teacher itself (stage 2). The fake score starts from
/// the most degraded checkpoint, which already fits the initial generator.
public struct DistributionBacktracking {
    /// The degradation path's checkpoints as the generator meets them: the most degraded
    /// first, the one nearest the teacher last (the teacher itself follows them).
    public let path: [NetworkDenoiser]
    /// Epochs of the generator's training spent on each checkpoint of the path.
    public let epochsPerTarget: Int

    public init(path: [NetworkDenoiser], epochsPerTarget: Int) {
        precondition(!path.isEmpty && epochsPerTarget >= 1, "DistributionBacktracking: a path of checkpoints and at least one epoch on each")
        (self.path, self.epochsPerTarget) = (path, epochsPerTarget)
    }

    /// The target at `epoch` (0-based): an index into `path`, or nil once it has been walked
    /// and the teacher is the target.
    func target(atEpoch epoch: Int) -> Int? {
        let index = epoch / epochsPerTarget
        return index < path.count ? index : nil
    }

    /// Stage 1: fine-tunes `replica()` — a new network holding the teacher's weights — on
    /// `generator`'s samples with the teacher's denoising loss (a fresh batch of `batchSize`
    /// samples each step, Adam at `learningRate`), keeping a copy after every
    /// `stepsPerCheckpoint` steps. Returns the backtracking of those copies.
    public static func recording(
        from teacher: NetworkDenoiser, toward generator: FewStepGenerator, replica: () throws -> any DenoisingNetwork, checkpoints: Int,
        stepsPerCheckpoint: Int, epochsPerTarget: Int, sampleShape: [Int], batchSize: Int = 256, learningRate: Float = 1e-4, seed: UInt64 = 0
    ) throws -> DistributionBacktracking {
        precondition(checkpoints >= 1 && stepsPerCheckpoint >= 1, "DistributionBacktracking: at least one checkpoint of at least one step")
        let degrading = try replica()
        let denoising = DenoisingObjective(process: teacher.process, target: teacher.target, conditionDropout: 0)
        let optimizer = Adam(learningRate: learningRate)
        var drawing = RandomGenerator(seed: seed)
        var recorded: [NetworkDenoiser] = []
        for _ in 0..<checkpoints {
            for _ in 0..<stepsPerCheckpoint {
                let samples = generator.sample(count: batchSize, shape: sampleShape, using: &drawing)
                let end = teacher.process.timeRange.upperBound, minimum = denoising.minimumTime
                let times = (0..<batchSize).map { _ in minimum + Double(drawing.nextUniform()) * (end - minimum) }
                let batch = denoising.prepared(data: samples, noise: Tensor.normal(samples.shape, using: &drawing), times: times)
                let (_, gradients) = degrading.valueAndGradients { denoising.loss(batch, network: degrading) }
                optimizer.update(degrading, gradients: gradients)
            }
            let snapshot = try replica()
            try snapshot.loadStateDict(degrading.stateDict())
            recorded.append(teacher.replacingNetwork(snapshot))
        }
        return DistributionBacktracking(path: recorded.reversed(), epochsPerTarget: epochsPerTarget)
    }
}
