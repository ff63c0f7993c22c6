import Configuration
import Foundation
import NN
import Tensors
import Training

/// Contrastive representation distillation, CRD (Tian, Krishnan & Isola, 2020): the student's
/// and the teacher's features are embedded (a linear map each, to `embeddingSize`, then L2
/// normalised) and each must pick out its counterpart on the *same sample* among `negatives`
/// embeddings of other samples drawn from a memory bank of the whole training set — a
/// noise-contrastive estimate of a lower bound on their mutual information.
///
/// As in the official code (HobbitLong/RepDistiller, `CRDLoss` with `ContrastMemory`): scores
/// are `exp(⟨v, m⟩/τ)/Z` with `Z` fixed at the first batch to the mean score times the bank
/// size; the NCE loss per side is `−[log(P₀/(P₀ + K/N)) + Σ_k log((K/N)/(P_k + K/N))]`
/// averaged over the batch; the student's embedding is contrasted with the teacher bank and
/// the teacher's with the student bank; after each step the positives' bank rows move to
/// `normalize(0.5·old + 0.5·new)`. Both embeddings are trained with the student.
///
/// The bank is indexed by the samples' positions in the training set, so the term needs
/// batches from a `DataLoader` (which records them).
public final class ContrastiveRepresentationDistillation: FeaturePairTerm {
    public let studentPath: String, teacherPath: String
    public let embedStudent: Linear, embedTeacher: Linear
    public let memory: Memory
    public let negatives: Int
    public let temperature: Float
    public let momentum: Float
    public var name: String { "crd" }
    public var trainableModules: [Module] { [embedStudent, embedTeacher, memory] }

    /// The two banks of embeddings, one row per training sample, the normalising constants
    /// and the generator that draws negatives (all saved in training checkpoints).
    public final class Memory: Module {
        @Buffer public var studentBank: Tensor
        @Buffer public var teacherBank: Tensor
        /// `Z` for the student and teacher sides; 0 until the first batch fixes them.
        @Buffer public var normalizers: Tensor
        var generator: RandomGenerator

        init(samples: Int, size: Int, using generator: inout RandomGenerator) {
            let bound = 1 / Float(size / 3).squareRoot()
            _studentBank = Buffer(Tensor.uniform([samples, size], low: -bound, high: bound, using: &generator), key: "student_bank")
            _teacherBank = Buffer(Tensor.uniform([samples, size], low: -bound, high: bound, using: &generator), key: "teacher_bank")
            _normalizers = Buffer(Tensor.zeros([2]), key: "normalizers")
            self.generator = generator.split()
            super.init()
        }

        public override var randomState: [UInt64]? {
            get { generator.state }
            set { if let newValue { generator = RandomGenerator(state: newValue) } }
        }
    }

    /// - Parameters:
    ///   - samples: the number of training samples (the bank's rows).
    ///   - studentSize, teacherSize: the features' sizes (flattened).
    public init(
        student: String, teacher: String, studentSize: Int, teacherSize: Int, samples: Int, embeddingSize: Int = 128,
        negatives: Int = 4096, temperature: Float = 0.07, momentum: Float = 0.5, using generator: inout RandomGenerator
    ) {
        precondition(samples > 1, "crd: the memory bank needs more than one training sample")
        (studentPath, teacherPath) = (student, teacher)
        embedStudent = Linear(studentSize, embeddingSize, using: &generator)
        embedTeacher = Linear(teacherSize, embeddingSize, using: &generator)
        memory = Memory(samples: samples, size: embeddingSize, using: &generator)
        (self.negatives, self.temperature, self.momentum) = (min(negatives, samples - 1), temperature, momentum)
    }

    /// Draws negatives for the batch, scores, then updates the bank with the batch's embeddings.
    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        guard let indices = batch.sampleIndices else { preconditionFailure("crd needs the samples' training-set positions (batches from a DataLoader)") }
        let (s, t) = batch.featurePair(student: studentPath, teacher: teacherPath, term: name)
        let samples = memory.studentBank.shape[0]
        let contrast = indices.map { positive -> [Int] in
            [positive] + (0..<negatives).map { _ in
                var negative = memory.generator.nextInt(below: samples - 1)
                if negative >= positive { negative += 1 }  // never the positive itself
                return negative
            }
        }
        let (studentEmbedding, teacherEmbedding) = (embed(s, with: embedStudent), embed(t, with: embedTeacher))
        if memory.normalizers.scalars.contains(0) {
            memory.normalizers = withoutGradients { Tensor([
                Self.rawScores(studentEmbedding, bank: memory.teacherBank, contrast: contrast, temperature: temperature).mean().item * Float(samples),
                Self.rawScores(teacherEmbedding, bank: memory.studentBank, contrast: contrast, temperature: temperature).mean().item * Float(samples),
            ]) }
        }
        let value = loss(studentEmbedding: studentEmbedding, teacherEmbedding: teacherEmbedding, contrast: contrast)
        update(&memory.$studentBank.wrappedValue, rows: indices, with: studentEmbedding)
        update(&memory.$teacherBank.wrappedValue, rows: indices, with: teacherEmbedding)
        return value
    }

    /// The L2-normalised embedding of a feature `[N, …]`.
    public func embed(_ feature: Tensor, with map: Linear) -> Tensor {
        let embedded = map(feature.flattened(startAxis: 1))
        return embedded / maximum(embedded.norm(.l2, axes: [1], keepDims: true), Tensor(1e-12))
    }

    /// The loss for given embeddings and contrast sets (`[positive, negatives…]` per sample),
    /// with the current banks and normalisers, changing nothing.
    public func loss(studentEmbedding: Tensor, teacherEmbedding: Tensor, contrast: [[Int]]) -> Tensor {
        let z = memory.normalizers.scalars
        let studentSide = Self.rawScores(studentEmbedding, bank: memory.teacherBank, contrast: contrast, temperature: temperature) / z[0]
        let teacherSide = Self.rawScores(teacherEmbedding, bank: memory.studentBank, contrast: contrast, temperature: temperature) / z[1]
        let noise = Float(negatives) / Float(memory.studentBank.shape[0])
        return noiseContrastiveLoss(studentSide, noise: noise) + noiseContrastiveLoss(teacherSide, noise: noise)
    }

    /// `exp(⟨embedding_i, bank[contrast_i,k]⟩/τ)` `[N, K + 1]`.
    static func rawScores(_ embedding: Tensor, bank: Tensor, contrast: [[Int]], temperature: Float) -> Tensor {
        let (n, k) = (contrast.count, contrast[0].count)
        let rows = bank.indexSelect(axis: 0, indices: contrast.flatMap { $0 }).reshaped([n, k, -1])
        let dots = (rows * embedding.unsqueezed(axis: 1)).sum(axes: [2])
        return (dots / temperature).exp()
    }

    /// NCE with the positive in column 0: `−mean_i[log(P₀/(P₀ + kPn)) + Σ_j log(kPn/(P_j + kPn))]`.
    private func noiseContrastiveLoss(_ scores: Tensor, noise: Float) -> Tensor {
        let epsilon: Float = 1e-7
        let positive = scores.slice(axis: 1, start: 0, end: 1), others = scores.slice(axis: 1, start: 1)
        let logPositive = (positive / (positive + noise + epsilon)).log()
        let logNegatives = (Tensor(noise) / (others + noise + epsilon)).log()
        return -(logPositive.sum() + logNegatives.sum()) / Float(scores.shape[0])
    }

    private func update(_ bank: inout Tensor, rows: [Int], with embedding: Tensor) {
        withoutGradients {
            let mixed = bank.indexSelect(axis: 0, indices: rows) * momentum + embedding.detached() * (1 - momentum)
            let normalized = mixed / maximum(mixed.norm(.l2, axes: [1], keepDims: true), Tensor(1e-12))
            let size = bank.shape[1], fresh = normalized.scalars
            // In place: the bank holds a row per training sample, far larger than a batch.
            bank.withUnsafeMutableBufferPointer { values in
                for (position, row) in rows.enumerated() {
                    for j in 0..<size { values[row * size + j] = fresh[position * size + j] }
                }
            }
        }
    }
}

extension ContrastiveRepresentationDistillation: ConfigurableLossTerm {
    public static let configName = "crd"
    public static let configKeys = "student, teacher, embedding_size, negatives, temperature, momentum"
    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        let (student, teacher, s, t) = try context.featurePair(entry)
        return Self(student: student, teacher: teacher, studentSize: s.dropFirst().reduce(1, *), teacherSize: t.dropFirst().reduce(1, *),
                    samples: context.trainingSamples, embeddingSize: try entry.value("embedding_size", default: 128, in: 1...4096),
                    negatives: try entry.value("negatives", default: 4096, in: 1...65_536), temperature: try entry.positiveValue("temperature", default: 0.07),
                    momentum: try entry.value("momentum", default: 0.5, in: 0...1), using: &generator)
    }
}
