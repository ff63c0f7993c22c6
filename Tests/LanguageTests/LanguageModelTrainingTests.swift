import Datasets
import Distillation
import Foundation
import Language
import NN
import Optim
import Tensors
import Training
import XCTest

/// A character-level GPT trained on Tiny Shakespeare by the stock trainer: windows of next
/// tokens, cross-entropy over every position, validation loss and perplexity.
final class LanguageModelTrainingTests: XCTestCase {
    func testTokenWindowsPairEachTokenWithTheNext() throws {
        let windows = try TokenWindows(tokens: Array(0..<10), context: 4, stride: 3, vocabularySize: 10)
        XCTAssertEqual(windows.count, 2)
        let batch = windows.batch(at: [1])
        XCTAssertEqual(batch.inputs.scalars, [3, 4, 5, 6])
        XCTAssertEqual(batch.labels?.scalars, [4, 5, 6, 7])
        XCTAssertThrowsError(try TokenWindows(tokens: [0, 1, 2], context: 3, vocabularySize: 3)) { XCTAssertTrue("\($0)".contains("do not fill one window"), "\($0)") }
        XCTAssertThrowsError(try TokenWindows(tokens: [0, 1, 5, 2], context: 2, vocabularySize: 3)) { XCTAssertTrue("\($0)".contains("token 5 is outside"), "\($0)") }
        let (train, validation) = try TokenWindows.split(Array(0..<100).map { $0 % 7 }, context: 8, vocabularySize: 7)
        XCTAssertEqual([train.tokens.count, validation.tokens.count], [90, 10])
    }

    func testACharacterGPTLearnsShakespeare() throws {
        let corpus = try TextCorpora.tinyShakespeare()
        let tokenizer = CharacterTokenizer(trainingText: corpus)
        let (train, validation) = try TokenWindows.split(tokenizer.encode(corpus), context: 32, vocabularySize: tokenizer.vocabularySize)
        var generator = RandomGenerator(seed: 1)
        let model = GPT(GPT.Configuration(vocabularySize: tokenizer.vocabularySize, contextLength: 32, layers: 2, heads: 2, embedding: 64), using: &generator)
        let evaluation = LanguageModelEvaluation(limit: 256)
        model.eval()
        let before = try evaluation.evaluate(student: model, teacher: nil, on: validation)
        // 4,800 windows of 32 characters, twice: 600 steps of 16 windows.
        let subset = Subset(train, indices: Array(Tensor.permutation(train.count, using: &generator).integerScalars.prefix(4800)))
        var options = TrainingOptions(epochs: 2, batchSize: 16, schedule: .constant(3e-3), seed: 1)
        options.evaluation = evaluation
        let trainer = Trainer(student: model, objective: DistillationObjective(teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())])),
                              optimizer: AdamW(learningRate: 3e-3, weightDecay: 0.1), options: options)
        let start = Date()
        let history = try trainer.fit(subset, validation: validation)
        let seconds = Date().timeIntervalSince(start)
        let after = try XCTUnwrap(history.last?.validation.flatMap(LanguageModelMetrics.init))
        print("char GPT (2 layers, 64 wide): validation loss \(before.loss) → \(after.loss), perplexity \(after.perplexity), "
              + "\(Int(Double(2 * 4800 * 32) / seconds)) training tokens/s")
        XCTAssertEqual(before.loss, log(Double(tokenizer.vocabularySize)), accuracy: 0.3, "an untrained model is near uniform")
        XCTAssertLessThan(after.loss, 2.6)
        XCTAssertEqual(after.tokens, 256 * 32)

        var sampler = RandomGenerator(seed: 2)
        model.eval()
        let sample = try tokenizer.decode(model.generate(after: tokenizer.encode("ROMEO:\n"), count: 100, sampling: TokenSampling(temperature: 0.8), using: &sampler))
        print("sample: \(sample.debugDescription)")
    }
}
