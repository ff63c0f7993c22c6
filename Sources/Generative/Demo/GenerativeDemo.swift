import Datasets
import Foundation
import NN
import Optim
import Tensors
import Training

/// `distill demo generative`: step distillation on the 8-Gaussian ring, whose exact denoiser
/// is the teacher (no teacher training, so every gap is the distillation's). The teacher
/// samples by DDIM at 1, 2, 4 and 64 steps; the consistency-distilled and progressively distilled
/// students at 1 and 2, the continuous-time (sCM) students at 1 and 2, the data-free BOOT student at 1, and on the rectified-flow process the reflowed flow at 1 and 2 and
/// its one-step distillation; then, from a flow teacher network, DMD2 and DMD with their ablations, and SiD.
/// The recipes here are the ones the tests hold to the papers' claims.
public enum GenerativeDemo {
    /// The data: eight Gaussians of deviation 0.1 on a circle of radius 2.
    public static let mixture = GaussianMixture.ring(components: 8, radius: 2, standardDeviation: 0.1)
    /// EDM's process with its σ_d = 0.5 (the ring's own scale, 2.0, trains far worse
    /// consistency students: a 1-step SWD of 0.31 against 0.10).
    public static let process = NoiseProcess(.edm, sigmaData: 0.5)
    /// The students' network widths.
    public static let hidden = [128, 128, 128]

    /// One row of the table.
    public struct Row: Sendable {
        public let method: String
        /// Network evaluations per sample.
        public let evaluations: Int
        /// Sliced Wasserstein-1 distance to held-out data.
        public let slicedWasserstein: Double
        /// Unbiased RBF-MMD² to held-out data.
        public let meanDiscrepancy: Double
        public let millisecondsPerThousand: Double
    }

    /// 8,192 training samples of the ring.
    public static func trainingData(seed: UInt64 = 10) throws -> TensorDataset {
        var generator = RandomGenerator(seed: seed)
        return try TensorDataset(inputs: mixture.sample(count: 8192, using: &generator), labels: nil)
    }

    /// 8,192 training samples of the ring, each labelled with its component.
    public static func labelledTrainingData(seed: UInt64 = 10) throws -> TensorDataset {
        var generator = RandomGenerator(seed: seed)
        let (points, components) = mixture.labeledSample(count: 8192, using: &generator)
        return try TensorDataset(inputs: points, labels: Tensor(components.map(Float.init), shape: [components.count]))
    }

    private static func fit(_ network: Module, _ objective: some TrainingObjective, epochs: Int, seed: UInt64, data: TensorDataset) throws -> [EpochRecord] {
        let options = TrainingOptions(epochs: epochs, batchSize: 256, schedule: .cosine(base: 1e-3, total: epochs * 32, minimum: 1e-5), seed: seed)
        return try Trainer(student: network, objective: objective, optimizer: Adam(learningRate: 1e-3), options: options)
            .fit(data, validation: Optional<TensorDataset>.none)
    }

    /// Consistency distillation from the exact denoiser: 18 Karras levels, 100 epochs of 32
    /// batches. The teacher steps by Heun's method, or — SCott's stochastic teacher — by DDIM
    /// of noise strength `stochasticity`.
    public static func consistencyStudent(data: TensorDataset, stochasticity: Double? = nil) throws -> (student: ConsistencyModel, history: [EpochRecord]) {
        var generator = RandomGenerator(seed: 11)
        let student = ConsistencyModel(network: DenoisingMLP(dimension: 2, hidden: hidden, using: &generator), process: process)
        let objective = ConsistencyDistillation(teacher: GaussianMixtureDenoiser(mixture, process: process), student: student, levels: 18,
                                                teacherStep: stochasticity == nil ? .heun : .ddim, eta: stochasticity ?? 0)
        return (student, try fit(student.network, objective, epochs: 100, seed: 12, data: data))
    }

    /// Consistency training from the data alone (no teacher), with improved consistency
    /// training's pseudo-Huber loss, lognormal level pairs and weighting: 18 levels, 100 epochs.
    public static func consistencyTrainingStudent(data: TensorDataset) throws -> ConsistencyModel {
        var generator = RandomGenerator(seed: 21)
        let student = ConsistencyModel(network: DenoisingMLP(dimension: 2, hidden: hidden, using: &generator), process: process)
        _ = try fit(student.network, ConsistencyDistillation(trainingOn: process, student: student, levels: 18), epochs: 100, seed: 22, data: data)
        return student
    }

    /// Trajectory segmented consistency distillation (Hyper-SD): one student trained on 8,
    /// then 4, then 2 segments of the 18 levels (evenly split, but the last split at level 7,
    /// σ ≈ 1.09, chosen as consistency sampling's intermediate 0.8 was: the best of a few),
    /// 40 epochs each. Returns it with the 2 segments' edges, its sampling grid.
    public static func segmentedConsistencyStudent(data: TensorDataset) throws -> (student: ConsistencyModel, edges: [Double]) {
        var generator = RandomGenerator(seed: 17)
        let student = ConsistencyModel(network: DenoisingMLP(dimension: 2, hidden: hidden, using: &generator), process: process, parameterization: .ddimJump)
        let teacher = GaussianMixtureDenoiser(mixture, process: process)
        var edges: [Double] = []
        for segments in [8, 4, 2] {
            let objective = ConsistencyDistillation(teacher: teacher, student: student, levels: 18, teacherStep: .heun, segments: segments,
                                                    edgeLevels: segments == 2 ? [0, 7] : nil)
            _ = try fit(student.network, objective, epochs: 40, seed: 18 + UInt64(segments), data: data)
            edges = objective.segmentEdges
        }
        return (student, edges)
    }

    /// BOOT: data-free distillation from the exact denoiser, 18 levels, 100 epochs of 32
    /// batches of noise (the data set only sizes the epochs).
    public static func bootStudent(data: TensorDataset) throws -> BOOTStudent {
        var generator = RandomGenerator(seed: 19)
        let student = BOOTStudent(network: DenoisingMLP(dimension: 2, hidden: hidden, using: &generator), process: process)
        _ = try fit(student.network, BOOTDistillation(teacher: GaussianMixtureDenoiser(mixture, process: process), student: student, levels: 18),
                    epochs: 100, seed: 20, data: data)
        return student
    }

    /// sCM's continuous-time consistency distillation (or, with `distills` false, training)
    /// on the TrigFlow process of σ_d 0.5, from the exact denoiser: 100 epochs of 32 batches,
    /// the tangent warmed up over the first 10.
    public static func continuousConsistencyStudent(data: TensorDataset, distills: Bool = true, sigmaData: Double = 0.5, timeScale: Float = 1,
                                                    warmupEpochs: Int = 10) throws -> (student: TrigFlowConsistencyModel, history: [EpochRecord]) {
        let trigFlow = NoiseProcess(.trigFlow, sigmaData: sigmaData)
        var generator = RandomGenerator(seed: 41)
        let student = TrigFlowConsistencyModel(network: DenoisingMLP(dimension: 2, hidden: hidden, using: &generator), process: trigFlow, timeScale: timeScale)
        let weighting = AdaptiveLossWeight(timeScale: timeScale, using: &generator)
        let objective = ContinuousConsistencyDistillation(teacher: distills ? GaussianMixtureDenoiser(mixture, process: trigFlow) : nil, student: student,
                                                          weighting: weighting, warmupEpochs: warmupEpochs)
        return (student, try fit(student.network, objective, epochs: 100, seed: 42, data: data))
    }

    /// Progressive distillation from 16 teacher DDIM steps down to `finalSteps`, halving
    /// rounds of 40 epochs, each student starting from the last and the next round's
    /// teacher. Returns each round's student (a frozen copy) with its grid.
    public static func progressiveStudents(data: TensorDataset, finalSteps: Int = 1) throws -> [(student: any Denoiser, times: [Double])] {
        var generator = RandomGenerator(seed: 14)
        let network = DenoisingMLP(dimension: 2, hidden: hidden, using: &generator)
        let preconditioning = EDMPreconditioning(sigmaData: Float(process.sigmaData), isConsistencyModel: false)
        var teacher: any Denoiser = GaussianMixtureDenoiser(mixture, process: process)
        var times = process.samplingTimes(steps: 16)
        var rounds: [(student: any Denoiser, times: [Double])] = []
        while times.count - 1 > finalSteps {
            let objective = ProgressiveDistillation(
                teacher: teacher, student: PreconditionedDenoiser(network, preconditioning: preconditioning, process: process), teacherTimes: times)
            _ = try fit(network, objective, epochs: 40, seed: 15, data: data)
            var copying = RandomGenerator(seed: 0)
            let frozen = DenoisingMLP(dimension: 2, hidden: hidden, using: &copying)
            try frozen.loadStateDict(network.stateDict())
            teacher = PreconditionedDenoiser(frozen, preconditioning: preconditioning, process: process)
            times = objective.studentTimes
            rounds.append((teacher, times))
        }
        return rounds
    }

    /// Rectified flow's reflow from the exact flow of the ring: 8,192 (sample, noise) pairs
    /// from 32 Heun steps of the teacher, a velocity network trained on their straight paths
    /// (60 epochs), then InstaFlow's one-step distillation of a copy of it (30 epochs).
    public static func reflowStudents() throws -> (teacher: GaussianMixtureDenoiser, reflow: NetworkDenoiser, oneStep: NetworkDenoiser,
                                                   reflowHistory: [EpochRecord]) {
        let flow = NoiseProcess(.rectifiedFlow)
        let teacher = GaussianMixtureDenoiser(mixture, process: flow)
        var generator = RandomGenerator(seed: 31)
        let pairs = try TensorDataset(
            inputs: RectifiedFlow.pairs(from: teacher, sampler: Sampler(.heun, steps: 32), count: 8192, dimension: 2, using: &generator), labels: nil)
        let network = DenoisingMLP(dimension: 2, hidden: hidden, using: &generator)
        let reflow = NetworkDenoiser(network, process: flow, target: .velocity)
        let history = try fit(network, DenoisingObjective(model: reflow, pairedNoise: true), epochs: 60, seed: 32, data: pairs)
        var copying = RandomGenerator(seed: 0)
        let copy = DenoisingMLP(dimension: 2, hidden: hidden, using: &copying)
        try copy.loadStateDict(network.stateDict())
        let oneStep = NetworkDenoiser(copy, process: flow, target: .velocity)
        _ = try fit(copy, OneStepFlowDistillation(model: oneStep), epochs: 30, seed: 34, data: pairs)
        return (teacher, reflow, oneStep, history)
    }

    /// The teacher of distribution matching: a velocity network of the rectified flow trained
    /// on the ring by flow matching (100 epochs of 32 batches). DMD's fake score starts as a
    /// copy of the teacher's network, so its teacher is a network, not the exact denoiser.
    ///
    /// With `conditional`, the network conditions on the ring's 8 components (the data's
    /// labels, `labelledTrainingData`), with condition dropout 0.1. `widths` sets its hidden
    /// layers; `students` > 1 makes it that many conditional networks of those widths, each
    /// owning a block of the components (`MultiStudentNetwork`, without condition dropout):
    /// MSD's students, ready for distribution matching.
    public static func flowTeacher(data: TensorDataset, conditional: Bool = false, widths: [Int] = hidden, students: Int = 1) throws -> NetworkDenoiser {
        precondition(students == 1 || conditional, "GenerativeDemo: students split the classes of a conditional model")
        var generator = RandomGenerator(seed: 51)
        let classes = conditional ? mixture.componentCount : 0
        let members = (0..<students).map { _ in DenoisingMLP(dimension: 2, hidden: widths, classCount: classes, using: &generator) }
        let teacher = NetworkDenoiser(students == 1 ? members[0] : MultiStudentNetwork(students: members), process: NoiseProcess(.rectifiedFlow), target: .velocity)
        let dropout = conditional && students == 1 ? 0.1 : 0
        _ = try fit(teacher.network, DenoisingObjective(model: teacher, conditionDropout: dropout), epochs: 100, seed: 52, data: data)
        return teacher
    }

    /// A copy of `network`'s weights in a new `DenoisingMLP` of the students' widths.
    private static func copy(_ network: any DenoisingNetwork) throws -> DenoisingMLP {
        var generator = RandomGenerator(seed: 0)
        let copy = DenoisingMLP(dimension: 2, hidden: hidden, classCount: network.classCount, using: &generator)
        try copy.loadStateDict(network.stateDict())
        return copy
    }

    /// Distribution matching from `teacher` (`flowTeacher`): the generator and the fake score
    /// both start as copies of it; Adam at a constant `learningRate` for both (3·10⁻⁴: DMD2's
    /// recipe is as good at 10⁻⁴ and 10⁻³, where 1 : 1 updates fall apart), `epochs` of 32
    /// generator steps. DMD2's recipe is the default: 5 fake-score updates per generator
    /// step, no regression. `regressionPairs` adds DMD's regression on that many pairs of
    /// noise and the teacher's 64-step Euler sample.
    ///
    /// `initialNetwork` starts the generator from another network (MSD's students,
    /// pretrained); else with `startsFromTeacher` false it is an untrained network (seed
    /// `seed + 2`), DisBack's setting; `backtracking` then records its degradation path
    /// (stage 1) and distils along it. `fakeScoreAdapterRank` makes the fake score a LoRA
    /// adapter of that rank (α equal to it) on the frozen teacher, VSD's; `fakeScoreLearningRate`
    /// gives the fake score a constant rate of its own. `adversarialWeights` adds DMD2's GAN
    /// term, a classifier head (an MLP of one hidden layer) on the fake score's last hidden
    /// activation. `idempotence` adds SIGN's reconstruction and idempotence terms. With
    /// `validation`, each epoch records the generator's SWD against it.
    public static func distributionMatchingStudent(
        teacher: NetworkDenoiser, data: TensorDataset, steps: Int = 1, fakeScoreUpdates: Int = 5, regressionPairs: Int? = nil,
        generatorLoss: DistributionMatchingDistillation.GeneratorLoss = .distributionMatching, learningRate: Float = 3e-4, epochs: Int = 30,
        seed: UInt64 = 70, startsFromTeacher: Bool = true, backtracking: Backtracking? = nil, fakeScoreAdapterRank: Int? = nil,
        fakeScoreLearningRate: Float? = nil, adversarialWeights: (generator: Float, discriminator: Float)? = nil,
        idempotence: DistributionMatchingDistillation.Idempotence? = nil, validation: TensorDataset? = nil, initialNetwork: (any DenoisingNetwork)? = nil
    ) throws -> (generator: FewStepGenerator, history: [EpochRecord]) {
        var drawing = RandomGenerator(seed: seed + 2)
        let network = try initialNetwork ?? (startsFromTeacher ? try copy(teacher.network) : DenoisingMLP(dimension: 2, hidden: hidden, using: &drawing))
        let generator = FewStepGenerator(teacher.replacingNetwork(network), steps: steps)
        var regression: DistributionMatchingDistillation.Regression?
        if let regressionPairs {
            var drawing = RandomGenerator(seed: seed + 1)
            regression = .init(pairs: try RectifiedFlow.pairs(from: teacher, sampler: Sampler(.euler, steps: 64), count: regressionPairs, dimension: 2, using: &drawing))
        }
        let path = try backtracking.map {
            try DistributionBacktracking.recording(from: teacher, toward: generator, replica: { try copy(teacher.network) }, checkpoints: $0.checkpoints,
                                                   stepsPerCheckpoint: $0.stepsPerCheckpoint, epochsPerTarget: $0.epochsPerTarget, sampleShape: [2],
                                                   learningRate: $0.learningRate, seed: seed + 3)
        }
        let fakeNetwork = try copy((path?.path[0] ?? teacher).network)
        if let fakeScoreAdapterRank {
            fakeNetwork.freeze()
            LoRA.inject(into: fakeNetwork, rank: fakeScoreAdapterRank, alpha: Float(fakeScoreAdapterRank), using: &drawing)
        }
        // DMD2's classifier head on the fake score's last hidden activation.
        let adversarial = adversarialWeights.map { weights in
            DistributionMatchingDistillation.Adversarial(head: MLP(widths: [hidden.last!, hidden.last!, 1], activation: .silu, using: &drawing),
                                                         featurePath: "network.\(2 * hidden.count - 1)", generatorWeight: weights.generator,
                                                         discriminatorWeight: weights.discriminator)
        }
        var objective = DistributionMatchingDistillation(realScore: teacher, fakeScore: teacher.replacingNetwork(fakeNetwork), generator: generator,
                                                         fakeScoreUpdates: fakeScoreUpdates, regression: regression, generatorLoss: generatorLoss,
                                                         adversarial: adversarial)
        objective.fakeScoreSchedule = fakeScoreLearningRate.map { .constant($0) }
        objective.backtracking = path
        objective.idempotence = idempotence
        var options = TrainingOptions(epochs: epochs, batchSize: 256, schedule: .constant(learningRate), seed: seed)
        options.evaluation = SampleDistanceEvaluation { network, count, generator in
            // A conditional generator's samples cover its classes evenly.
            let classes = network.classCount == 0 ? nil : Tensor((0..<count).map { Float($0 % network.classCount) }, shape: [count])
            return FewStepGenerator(teacher.replacingNetwork(network), steps: steps).sample(count: count, shape: [2], classes: classes, using: &generator)
        }
        let history = try Trainer(student: network, objective: objective, optimizer: Adam(learningRate: learningRate), options: options)
            .fit(data, validation: validation)
        return (FewStepGenerator(teacher.replacingNetwork(network), steps: steps), history)
    }

    /// Phased DMD from `teacher` (`flowTeacher`): `phases` experts, each a copy of the
    /// teacher, trained in turn from the noise end for `epochsPerPhase` epochs of 32 steps,
    /// each with a fresh copy of the teacher as its fake score (`fakeScoreUpdates` per step,
    /// both at `learningRate`, or `fakeScoreLearningRate` for the fake score).
    public static func phasedDistributionMatchingStudent(
        teacher: NetworkDenoiser, data: TensorDataset, phases: Int = 4, epochsPerPhase: Int = 8, fakeScoreUpdates: Int = 5,
        learningRate: Float = 3e-4, fakeScoreLearningRate: Float? = nil, seed: UInt64 = 70
    ) throws -> PhasedGenerator {
        let networks = try (0..<phases).map { _ in try copy(teacher.network) }
        let generator = PhasedGenerator(experts: networks.map { teacher.replacingNetwork($0) })
        for (phase, network) in networks.enumerated() {
            var objective = PhasedDistributionMatching(realScore: teacher, fakeScore: teacher.replacingNetwork(try copy(teacher.network)), generator: generator,
                                                       phase: phase, fakeScoreUpdates: fakeScoreUpdates)
            objective.fakeScoreSchedule = fakeScoreLearningRate.map { .constant($0) }
            let options = TrainingOptions(epochs: epochsPerPhase, batchSize: 256, schedule: .constant(learningRate), seed: seed + UInt64(phase))
            _ = try Trainer(student: network, objective: objective, optimizer: Adam(learningRate: learningRate), options: options).fit(data, validation: nil as TensorDataset?)
        }
        return generator
    }

    /// ADD's stand-in for DINOv2 on the ring: a classifier of the mixture's 8 components, an
    /// MLP of two hidden layers of 64, trained by cross-entropy on 8,192 labelled points (600
    /// steps of 256 at Adam's 10⁻³). Its hidden activations are at `network paths` "1" and "3".
    public static func ringClassifier(seed: UInt64 = 60) -> MLP {
        var generator = RandomGenerator(seed: seed)
        let (points, components) = mixture.labeledSample(count: 8192, using: &generator)
        let labels = Tensor(components.map(Float.init), shape: [components.count])
        let classifier = MLP(widths: [2, 64, 64, mixture.componentCount], activation: .relu, using: &generator)
        let optimizer = Adam(learningRate: 1e-3)
        for _ in 0..<600 {
            let rows = (0..<256).map { _ in generator.nextInt(below: components.count) }
            let (_, gradients) = classifier.valueAndGradients {
                crossEntropy(logits: classifier(points.indexSelect(axis: 0, indices: rows)), labels: labels.indexSelect(axis: 0, indices: rows))
            }
            optimizer.update(classifier, gradients: gradients)
        }
        return classifier
    }

    /// Adversarial distillation from `teacher` (`flowTeacher`): the generator starts as a copy
    /// of it, and the discriminator is a head (an MLP of one hidden layer, width 64) per
    /// feature layer, hinge-trained `discriminatorUpdates` times per generator step.
    /// `frozenNetwork` gives ADD's features (its hidden activations at `paths`); nil gives
    /// LADD's, the teacher's hidden activations on samples noised at a logit-normal time
    /// (location `timeLocation`, scale 1). Adam with β = (`beta1`, 0.99), StyleGAN-T's (0, 0.99),
    /// and two time scales: the generator at `learningRate`, the discriminator at
    /// `discriminatorLearningRate` (with Adam's defaults at one rate for both, 10⁻⁴ or 10⁻³,
    /// the discriminator stayed near chance and the generator near the teacher's collapsed
    /// one-step estimate, SWD 0.6–6). `epochs` of 32 generator steps.
    public static func adversarialStudent(
        teacher: NetworkDenoiser, data: TensorDataset, frozenNetwork: Module? = nil, paths: [String], distillationWeight: Float, adversarialWeight: Float = 1, steps: Int = 1,
        timeLocation: Double = 1, learningRate: Float = 1e-4, discriminatorLearningRate: Float = 1e-3, discriminatorUpdates: Int = 1, beta1: Float = 0,
        epochs: Int = 30, seed: UInt64 = 70
    ) throws -> (generator: FewStepGenerator, history: [EpochRecord]) {
        var drawing = RandomGenerator(seed: seed + 2)
        let network = try copy(teacher.network)
        let generator = FewStepGenerator(teacher.replacingNetwork(network), steps: steps)
        let features: AdversarialDistillation.Features = frozenNetwork.map { .frozenNetwork($0, paths: paths) }
            ?? .teacher(paths: paths, location: timeLocation, scale: 1)
        let heads = try AdversarialDistillation.heads(for: features, teacherScore: teacher, sampleShape: [2], width: 64, using: &drawing)
        var objective = AdversarialDistillation(teacherScore: teacher, generator: generator, features: features, heads: heads, distillationWeight: distillationWeight,
                                                adversarialWeight: adversarialWeight, discriminatorUpdates: discriminatorUpdates,
                                                discriminatorOptimizer: Adam(learningRate: discriminatorLearningRate, beta1: beta1, beta2: 0.99))
        objective.discriminatorSchedule = .constant(discriminatorLearningRate)
        let options = TrainingOptions(epochs: epochs, batchSize: 256, schedule: .constant(learningRate), seed: seed)
        let history = try Trainer(student: network, objective: objective, optimizer: Adam(learningRate: learningRate, beta1: beta1, beta2: 0.99), options: options)
            .fit(data, validation: nil as TensorDataset?)
        return (generator, history)
    }

    /// TwinFlow on the ring from data alone: a `FlowMapMLP` of the students' widths (and its
    /// moving average), Adam at a constant `learningRate`, `epochs` of 32 steps of 256 (64 per
    /// part). `selfAdversarialWeight` 0 is the ablation without the twin flow.
    public static func twinFlowStudent(data: TensorDataset, selfAdversarialWeight: Float = 0.5, learningRate: Float = 1e-3, epochs: Int = 60,
                                       seed: UInt64 = 80) throws -> (model: TwinFlowModel, history: [EpochRecord]) {
        var drawing = RandomGenerator(seed: seed)
        let model = try TwinFlowModel(dimension: 2, hidden: hidden, using: &drawing)
        let options = TrainingOptions(epochs: epochs, batchSize: 256, schedule: .constant(learningRate), seed: seed + 1)
        let history = try Trainer(student: model, objective: TwinFlow(selfAdversarialWeight: selfAdversarialWeight), optimizer: Adam(learningRate: learningRate),
                                  options: options).fit(data, validation: nil as TensorDataset?)
        return (model, history)
    }

    /// DisBack's stage 1 for `distributionMatchingStudent`: the degradation path's
    /// `checkpoints`, one every `stepsPerCheckpoint` fine-tuning steps at `learningRate`, each
    /// the target of `epochsPerTarget` epochs.
    public struct Backtracking: Sendable {
        public var checkpoints: Int, stepsPerCheckpoint: Int, epochsPerTarget: Int, learningRate: Float
        public init(checkpoints: Int, stepsPerCheckpoint: Int, epochsPerTarget: Int, learningRate: Float) {
            (self.checkpoints, self.stepsPerCheckpoint, self.epochsPerTarget) = (checkpoints, stepsPerCheckpoint, epochsPerTarget)
            self.learningRate = learningRate
        }
    }

    /// Trains both students and measures every row against 2,000 held-out samples.
    public static func run(printsProgress: Bool = false) throws -> [Row] {
        let data = try trainingData()
        var generator = RandomGenerator(seed: 16)
        let heldOut = mixture.sample(count: 2000, using: &generator)
        func row(_ method: String, evaluations: Int, _ sample: (inout RandomGenerator) throws -> Tensor) rethrows -> Row {
            var sampling = RandomGenerator(seed: 13)
            let start = Date()
            let samples = try sample(&sampling)
            let milliseconds = Date().timeIntervalSince(start) * 1000 / 2
            return Row(method: method, evaluations: evaluations, slicedWasserstein: PointCloudMetrics.slicedWasserstein(samples, heldOut, projections: 128),
                       meanDiscrepancy: PointCloudMetrics.maximumMeanDiscrepancy(samples.slice(axis: 0, end: 1000), heldOut.slice(axis: 0, end: 1000)),
                       millisecondsPerThousand: milliseconds)
        }
        let teacher = GaussianMixtureDenoiser(mixture, process: process)
        // DDIM, the teacher's deterministic sampler in both papers. (Heun's corrector overshoots
        // on these sharp modes at 2–4 steps: SWD 39 and 4.5.)
        var rows = try [1, 2, 4, 64].map { steps in
            try row("teacher (exact denoiser), DDIM", evaluations: steps) { try Sampler(.ddim, steps: steps).sample(teacher, count: 2000, shape: [2], using: &$0).samples }
        }
        if printsProgress { print("training the consistency-distilled student (3,200 steps)") }
        let (consistency, _) = try consistencyStudent(data: data)
        rows.append(row("consistency distillation", evaluations: 1) { consistency.sample(count: 2000, dimension: 2, using: &$0) })
        rows.append(row("consistency distillation", evaluations: 2) { consistency.sample(count: 2000, dimension: 2, intermediate: [0.8], using: &$0) })
        if printsProgress { print("consistency training, no teacher (iCT's loss and level sampling; 3,200 steps)") }
        let trained = try consistencyTrainingStudent(data: data)
        rows.append(row("consistency training (iCT recipe, no teacher)", evaluations: 1) { trained.sample(count: 2000, dimension: 2, using: &$0) })
        rows.append(row("consistency training (iCT recipe, no teacher)", evaluations: 2) { trained.sample(count: 2000, dimension: 2, intermediate: [0.8], using: &$0) })
        if printsProgress { print("training the consistency student with a stochastic teacher (SCott, η 0.3; 3,200 steps)") }
        let (scott, _) = try consistencyStudent(data: data, stochasticity: 0.3)
        rows.append(row("SCott (CD with a stochastic teacher, η 0.3)", evaluations: 1) { scott.sample(count: 2000, dimension: 2, using: &$0) })
        rows.append(row("SCott (CD with a stochastic teacher, η 0.3)", evaluations: 2) { scott.sample(count: 2000, dimension: 2, intermediate: [0.8], using: &$0) })
        for distills in [true, false] {
            let name = distills ? "sCM distillation (sCD, continuous time, TrigFlow)" : "sCM training (sCT, no teacher)"
            if printsProgress { print("\(name): 3,200 steps") }
            let (student, _) = try continuousConsistencyStudent(data: data, distills: distills)
            rows.append(row(name, evaluations: 1) { student.sample(count: 2000, dimension: 2, using: &$0) })
            rows.append(row(name, evaluations: 2) { student.sample(count: 2000, dimension: 2, intermediate: [1.1], using: &$0) })
        }
        if printsProgress { print("training the data-free BOOT student (3,200 steps of noise alone)") }
        let boot = try bootStudent(data: data)
        rows.append(row("BOOT (data-free)", evaluations: 1) { boot.sample(count: 2000, dimension: 2, using: &$0) })
        if printsProgress { print("training the segmented consistency student (8 → 4 → 2 segments, 3 × 1,280 steps)") }
        let (segmented, edges) = try segmentedConsistencyStudent(data: data)
        rows.append(row("segmented consistency distillation (TSCD, 2 segments)", evaluations: 2) {
            segmented.sample(count: 2000, dimension: 2, segmentEdges: edges, using: &$0)
        })
        if printsProgress { print("training the progressively distilled students (16 → 1 steps, 4 rounds of 1,280 steps)") }
        for (student, times) in try progressiveStudents(data: data).filter({ $0.times.count <= 3 }).reversed() {
            rows.append(try row("progressive distillation", evaluations: times.count - 1) {
                try Sampler(.ddim, times: times).sample(student, count: 2000, shape: [2], using: &$0).samples
            })
        }
        if printsProgress { print("reflowing the rectified flow (1,920 steps) and distilling it to one step (960)") }
        let (_, reflow, oneStep, _) = try reflowStudents()
        for steps in [1, 2] {
            rows.append(try row("reflow (2-rectified flow), Euler", evaluations: steps) { try Sampler(.euler, steps: steps).sample(reflow, count: 2000, shape: [2], using: &$0).samples })
        }
        rows.append(try row("reflow + one-step distillation (InstaFlow)", evaluations: 1) {
            try Sampler(.euler, steps: 1).sample(oneStep, count: 2000, shape: [2], using: &$0).samples
        })
        if printsProgress { print("training the flow teacher of distribution matching (3,200 steps)") }
        let flowTeacher = try flowTeacher(data: data)
        for steps in [1, 64] {
            rows.append(try row("flow teacher (network, for DMD), Euler", evaluations: steps) {
                try Sampler(.euler, steps: steps).sample(flowTeacher, count: 2000, shape: [2], using: &$0).samples
            })
        }
        let matching: [(name: String, updates: Int, pairs: Int?, loss: DistributionMatchingDistillation.GeneratorLoss, rate: Float)] = [
            ("DMD2 (5 fake-score updates per step, no regression)", 5, nil, .distributionMatching, 3e-4),
            ("DMD2 with 1 : 1 updates (ablation)", 1, nil, .distributionMatching, 3e-4),
            ("DMD (1 : 1, regression on 4,096 teacher pairs), rate 10⁻³", 1, 4096, .distributionMatching, 1e-3),
            ("DMD without its regression (ablation), rate 10⁻³", 1, nil, .distributionMatching, 1e-3),
            ("SiD (α 1.2, 5 fake-score updates per step)", 5, nil, .scoreIdentity(alpha: 1.2), 3e-4),
        ]
        for (name, updates, pairs, loss, rate) in matching {
            if printsProgress { print("\(name): 960 generator steps") }
            let (generator, _) = try distributionMatchingStudent(teacher: flowTeacher, data: data, fakeScoreUpdates: updates, regressionPairs: pairs,
                                                                 generatorLoss: loss, learningRate: rate)
            rows.append(row(name, evaluations: 1) { generator.sample(count: 2000, shape: [2], using: &$0) })
        }
        let idempotentName = "SIGN (DMD's recipe + IGN's reconstruction and idempotence), f applied"
        if printsProgress { print("\(idempotentName) once and twice: 960 generator steps") }
        let (idempotent, _) = try distributionMatchingStudent(teacher: flowTeacher, data: data, fakeScoreUpdates: 1, regressionPairs: 4096, learningRate: 1e-3,
                                                              idempotence: .init())
        for applications in [1, 2] {
            rows.append(row(idempotentName + (applications == 1 ? " once" : " twice"), evaluations: applications) {
                idempotent.sample(count: 2000, shape: [2], applications: applications, using: &$0)
            })
        }
        let swiftBrush = "VSD / SwiftBrush (LoRA fake score, rank 16, 1 : 1 at 10⁻³)"
        if printsProgress { print("\(swiftBrush): 960 generator steps") }
        let (vsd, _) = try distributionMatchingStudent(teacher: flowTeacher, data: data, fakeScoreUpdates: 1, generatorLoss: .variationalScore,
                                                       fakeScoreAdapterRank: 16, fakeScoreLearningRate: 1e-3)
        rows.append(row(swiftBrush, evaluations: 1) { vsd.sample(count: 2000, shape: [2], using: &$0) })
        if printsProgress { print("ADD and LADD: 960 generator steps each") }
        let (add, _) = try adversarialStudent(teacher: flowTeacher, data: data, frozenNetwork: ringClassifier(), paths: ["1", "3"], distillationWeight: 2.5)
        rows.append(row("ADD (hinge heads on a ring classifier's features, λ 2.5)", evaluations: 1) { add.sample(count: 2000, shape: [2], using: &$0) })
        let (ladd, _) = try adversarialStudent(teacher: flowTeacher, data: data, paths: ["network.1", "network.3", "network.5"], distillationWeight: 0, timeLocation: -1)
        rows.append(row("LADD (hinge heads on the teacher's features, noised at logit-normal m −1)", evaluations: 1) {
            ladd.sample(count: 2000, shape: [2], using: &$0)
        })
        if printsProgress { print("TwinFlow from data alone: 1,920 steps") }
        let (twin, _) = try twinFlowStudent(data: data)
        rows.append(row("TwinFlow (no teacher, no discriminator), its one-step map", evaluations: 1) { twin.network.sample(count: 2000, steps: 1, using: &$0) })
        rows.append(row("TwinFlow's network as a plain flow, Euler", evaluations: 1) { twin.network.sampleByVelocity(count: 2000, steps: 1, using: &$0) })
        if printsProgress { print("class-conditional: the teacher (3,200 steps), DMD2, and MSD's four quarter-width students (3,200 + 960 steps)") }
        let labelled = try labelledTrainingData()
        let conditionalTeacher = try self.flowTeacher(data: labelled, conditional: true)
        let inTurn = Tensor((0..<2000).map { Float($0 % mixture.componentCount) }, shape: [2000])
        rows.append(try row("conditional flow teacher (classes in turn), Euler", evaluations: 1) {
            try Sampler(.euler, steps: 1).sample(conditionalTeacher.conditioned(on: inTurn), count: 2000, shape: [2], using: &$0).samples
        })
        let (conditionalDMD2, _) = try distributionMatchingStudent(teacher: conditionalTeacher, data: labelled)
        rows.append(row("class-conditional DMD2 (classes in turn)", evaluations: 1) { conditionalDMD2.sample(count: 2000, shape: [2], classes: inTurn, using: &$0) })
        let students = try self.flowTeacher(data: labelled, conditional: true, widths: hidden.map { $0 / 4 }, students: 4)
        let (multiStudent, _) = try distributionMatchingStudent(teacher: conditionalTeacher, data: labelled, initialNetwork: students.network)
        rows.append(row("MSD: 4 students of ¼ width, 2 classes each, conditional DMD2", evaluations: 1) {
            multiStudent.sample(count: 2000, shape: [2], classes: inTurn, using: &$0)
        })
        let phasedName = "Phased DMD (4 experts, one per quarter of time, 5 : 1)"
        if printsProgress { print("\(phasedName): 4 phases of 256 generator steps") }
        let phased = try phasedDistributionMatchingStudent(teacher: flowTeacher, data: data)
        rows.append(row(phasedName, evaluations: 4) { phased.sample(count: 2000, shape: [2], using: &$0) })
        return rows
    }

    /// The rows as a Markdown table.
    public static func table(_ rows: [Row]) -> String {
        (["| method | NFE | SWD | MMD | ms per 1k samples |", "|---|---|---|---|---|"] + rows.map {
            String(format: "| %@ | %d | %.4f | %.4f | %.1f |", $0.method, $0.evaluations, $0.slicedWasserstein, $0.meanDiscrepancy, $0.millisecondsPerThousand)
        }).joined(separator: "\n")
    }
}
