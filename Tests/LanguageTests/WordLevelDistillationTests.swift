import Datasets
import Distillation
import Foundation
import Language
import NN
import Optim
import Tensors
import Training
import XCTest

/// Word-level KD (per-token soft targets, Kim & Rush's "word-level" distillation; Hinton's KD
/// at every position) on Tiny Shakespeare's characters: at an equal step budget, a small GPT
/// learning from a larger trained one reaches a lower validation loss than the same GPT on
/// the text alone.
final class WordLevelDistillationTests: XCTestCase {
    private struct Setup {
        let tokenizer: CharacterTokenizer
        let train: TokenWindows, validation: TokenWindows
    }

    private func setup() throws -> Setup {
        let corpus = try TextCorpora.tinyShakespeare()
        let tokenizer = CharacterTokenizer(trainingText: corpus)
        let (train, validation) = try TokenWindows.split(tokenizer.encode(corpus), context: 32, vocabularySize: tokenizer.vocabularySize)
        return Setup(tokenizer: tokenizer, train: train, validation: validation)
    }

    /// Trains `model` for `steps` steps of 16 windows drawn (by `seed`) from the training text.
    private func train(_ model: GPT, _ loss: WeightedLoss, teacher: (any Teacher)?, steps: Int, on setup: Setup, seed: UInt64) throws -> LanguageModelMetrics {
        var generator = RandomGenerator(seed: seed)
        let windows = Subset(setup.train, indices: Array(Tensor.permutation(setup.train.count, using: &generator).integerScalars.prefix(steps * 16)))
        var options = TrainingOptions(epochs: 1, batchSize: 16, schedule: .constant(3e-3), seed: seed)
        options.evaluation = LanguageModelEvaluation(limit: 512)
        let trainer = Trainer(student: model, objective: DistillationObjective(teacher: teacher, loss: loss),
                              optimizer: AdamW(learningRate: 3e-3, weightDecay: 0.1), options: options)
        let history = try trainer.fit(windows, validation: setup.validation)
        return try XCTUnwrap(history.last?.validation.flatMap(LanguageModelMetrics.init))
    }

    private func gpt(width: Int, vocabulary: Int, seed: UInt64) -> GPT {
        var generator = RandomGenerator(seed: seed)
        return GPT(GPT.Configuration(vocabularySize: vocabulary, contextLength: 32, layers: 2, heads: 2, embedding: width), using: &generator)
    }

    /// Word-level KD as Kim & Rush (2016) define it: the cross-entropy against the teacher's
    /// distribution at every position (KD at T = 1 alone). The teacher: 128 wide, 1,200 steps;
    /// the students: 48 wide, 400 steps, two seeds.
    func testWordLevelKDBeatsTheStudentAloneAtEqualSteps() throws {
        let setup = try setup()
        let vocabulary = setup.tokenizer.vocabularySize
        let teacherModel = gpt(width: 128, vocabulary: vocabulary, seed: 20)
        let teacherMetrics = try train(teacherModel, WeightedLoss([(1, CrossEntropyTerm())]), teacher: nil, steps: 1200, on: setup, seed: 20)
        teacherModel.eval()
        let teacher = ModelTeacher(teacherModel)
        var (alone, distilled) = ([Double](), [Double]())
        for seed: UInt64 in [21, 22] {
            alone.append(try train(gpt(width: 48, vocabulary: vocabulary, seed: seed), WeightedLoss([(1, CrossEntropyTerm())]), teacher: nil,
                                   steps: 400, on: setup, seed: seed).loss)
            distilled.append(try train(gpt(width: 48, vocabulary: vocabulary, seed: seed), WeightedLoss([(1, KnowledgeDistillationLoss(temperature: 1))]),
                                       teacher: teacher, steps: 400, on: setup, seed: seed).loss)
        }
        print("validation loss: teacher \(teacherMetrics.loss); students alone \(alone), by word-level KD \(distilled)")
        XCTAssertLessThan(distilled.reduce(0, +), alone.reduce(0, +))
        XCTAssertLessThan(teacherMetrics.loss, alone.min()!, "the teacher knows more than the students reach alone")
    }
}
