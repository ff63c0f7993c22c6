import Configuration
import NN
import Tensors

/// Factor transfer, FT (Kim et al., NeurIPS 2018, "Paraphrasing Complex Network: Network
/// Compression via Factor Transfer"). A paraphraser, an autoencoder on the teacher's last
/// feature map, is first trained alone to reconstruct it (mean squared error) in a stage of
/// its own; its encoder's output is the teacher's factor. In the main training a translator
/// on the student's map is trained with the student so that their factors agree:
///
///     FT = mean |φ(translator(s)) − φ(encoder(t))|,   φ(f) = normalize(mean over channels of f²),
///
/// each factor flattened over its positions and scaled to unit L2 norm per sample, the larger
/// map average-pooled to the smaller first. As RepDistiller computes it (`FactorTransfer` with
/// p1 = 2, p2 = 1 in `distiller_zoo/FT.py`; `Paraphraser` without and `Translator` with batch
/// norm, rate k = ½, in `models/util.py`; checked in
/// `Tests/DistillationTests/Fixtures/make_fixtures.py`). Its paraphraser stage runs with the
/// student in `eval()` mode and untrained, at learning rate 0.01 by default (RepDistiller's
/// for ResNet and WRN students); the paraphraser is frozen afterwards.
public struct FactorTransfer: LossTerm {
    public let studentPath: String, teacherPath: String
    public let paraphraser: Paraphraser
    public let translator: Module
    /// The paraphraser's stage.
    public let initialisation: StageSettings?
    public var name: String { "ft" }
    public var studentFeaturePaths: [String] { [studentPath] }
    public var teacherFeaturePaths: [String] { [teacherPath] }
    public var trainableModules: [Module] { [translator] }

    public init(student: String, teacher: String, paraphraser: Paraphraser, translator: Module, initialisation: StageSettings?) {
        (studentPath, teacherPath, self.paraphraser, self.translator) = (student, teacher, paraphraser, translator)
        self.initialisation = initialisation
    }

    public var stage: LossTermStage? {
        initialisation.map {
            LossTermStage(name: "ft_paraphraser", settings: $0, loss: ParaphraserReconstruction(teacherPath: teacherPath, paraphraser: paraphraser),
                          trainsStudent: false, studentMode: .inference, role: .precedesTheTerm)
        }
    }

    /// The L1 distance of the two factors φ, the larger map pooled to the smaller's size. φ
    /// is attention transfer's map at p = 2 (RepDistiller's `factor` and `at` are one formula).
    static func factorLoss(_ student: Tensor, _ teacher: Tensor) -> Tensor {
        let (s, t) = pooledToTheSmallerSize(student, teacher)
        return (AttentionTransfer.attentionMap(s, power: 2) - AttentionTransfer.attentionMap(t, power: 2)).abs().mean()
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        // The paraphraser is frozen here: its factor is a target, with no tape kept.
        let teacherFactor = withoutGradients { paraphraser.encoder(t) }
        return Self.factorLoss(translator(s), teacherFactor)
    }
}

/// FT's paraphraser stage: the teacher's map reconstructed through the paraphraser, by mean
/// squared error (RepDistiller's `nn.MSELoss` in `init`).
public struct ParaphraserReconstruction: LossTerm {
    public let teacherPath: String
    public let paraphraser: Paraphraser
    public var name: String { "ft_paraphraser" }
    public var teacherFeaturePaths: [String] { [teacherPath] }
    public var trainableModules: [Module] { [paraphraser] }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        guard let teacher = batch.teacherFeatures[teacherPath]?.detached() else { preconditionFailure("ft needs the teacher feature '\(teacherPath)'") }
        return meanSquaredError(paraphraser.decoder(paraphraser.encoder(teacher)), teacher)
    }
}

/// FT's paraphraser (RepDistiller's `Paraphraser`, `use_bn=False`): an encoder of three 3×3
/// convolutions from C channels to k·C, and a decoder of three 3×3 transposed convolutions
/// back, each followed by LeakyReLU(0.1). The places of the batch norms it leaves out hold
/// identities, so that parameters are named as there (`encoder.0`, `encoder.3`, `encoder.6`).
public final class Paraphraser: Module {
    public let encoder: Sequential, decoder: Sequential

    public init(encoder: Sequential, decoder: Sequential) {
        (self.encoder, self.decoder) = (encoder, decoder)
        super.init()
    }

    public convenience init(channels: Int, rate: Float = 0.5, using generator: inout RandomGenerator) {
        let factors = Int(Float(channels) * rate)
        func unit(_ layer: Module) -> [Module] { [layer, Identity(), LeakyReLU(negativeSlope: 0.1)] }
        func conv(_ input: Int, _ output: Int) -> Module { Conv2d(input, output, kernelSize: 3, padding: 1, using: &generator) }
        func deconv(_ input: Int, _ output: Int) -> Module {
            ConvTranspose2d(input, output, kernelSize: (3, 3), padding: (1, 1), using: &generator)
        }
        let encoder = Sequential(unit(conv(channels, channels)) + unit(conv(channels, factors)) + unit(conv(factors, factors)))
        let decoder = Sequential(unit(deconv(factors, factors)) + unit(deconv(factors, channels)) + unit(deconv(channels, channels)))
        self.init(encoder: encoder, decoder: decoder)
    }

    /// The factor and the reconstruction.
    public override func forward(_ input: Tensor) -> Tensor { decoder(encoder(input)) }
}

/// FT's translator (RepDistiller's `Translator`, `use_bn=True`): three 3×3 convolutions from
/// the student's channels to k times the teacher's, each with batch norm and LeakyReLU(0.1),
/// named `encoder.*` as there.
public final class Translator: Module {
    public let encoder: Sequential

    public init(studentChannels: Int, teacherChannels: Int, rate: Float = 0.5, using generator: inout RandomGenerator) {
        let factors = Int(Float(teacherChannels) * rate)
        func unit(_ input: Int, _ output: Int) -> [Module] {
            [Conv2d(input, output, kernelSize: 3, padding: 1, using: &generator), BatchNorm2d(output), LeakyReLU(negativeSlope: 0.1)]
        }
        encoder = Sequential(unit(studentChannels, studentChannels) + unit(studentChannels, factors) + unit(factors, factors))
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor { encoder(input) }
}

extension FactorTransfer: ConfigurableLossTerm {
    public static let configName = "ft"
    public static let configKeys = "student, teacher (the last feature maps), rate (0.5), initialisation: {epochs, optimizer} (the paraphraser's stage)"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let pair = try context.featurePair(entry)
        let (s, t) = (pair.studentShape, pair.teacherShape)
        guard s.count == 4, t.count == 4, poolableToOneSize(s, t) else {
            throw try entry.required("student").error("ft needs [N, C, H, W] features, one map at least as large as the other both ways; the student's is \(s), the teacher's \(t)")
        }
        let rate: Float = try entry.value("rate", default: 0.5, in: 0.01...1)
        guard Int(Float(t[1]) * rate) >= 1 else { throw try entry.required("rate").error("leaves the teacher's \(t[1]) channels no factor; raise it") }
        return Self(student: pair.student, teacher: pair.teacher,
                    paraphraser: Paraphraser(channels: t[1], rate: rate, using: &generator),
                    translator: Translator(studentChannels: s[1], teacherChannels: t[1], rate: rate, using: &generator),
                    initialisation: try StageSettings.read("initialisation", of: entry, context: context, defaultLearningRate: 0.01))
    }
}
