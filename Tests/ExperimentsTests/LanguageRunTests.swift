import Datasets
import Experiments
import Foundation
import Language
import Training
import XCTest

/// Language-model runs from YAML: a character GPT trained by `distill train`, its tokenizer
/// written beside its weights, a student distilled from it, BPE on a text file, and the text
/// keys refused where they do not apply.
final class LanguageRunTests: FolderTestCase {
    private let smallGPT = "model: {model: gpt, layers: 1, heads: 2, embedding: 32}"
    private let training = "training: {epochs: 2, batch_size: 12, optimizer: {name: adamw, learning_rate: 3.0e-3}, seed: 1}"

    private func run(_ yaml: String, kind: Experiment.Kind, name: String) throws -> (RunSummary, [LanguageModelMetrics]) {
        let experiment = try Experiment(config: try ConfigNode.parse(yaml: yaml, file: folder.appendingPathComponent("\(name).yaml").path), kind: kind,
                                        outputDirectory: folder.appendingPathComponent(name))
        let summary = try experiment.run()
        return (summary, summary.history.compactMap { $0.validation.flatMap(LanguageModelMetrics.init) })
    }

    func testACharacterGPTTrainsFromAConfigAndAStudentDistillsFromIt() throws {
        let data = "data: {dataset: tinyshakespeare, context: 16, train_limit: 1200}"
        let (_, teacherMetrics) = try run([data, smallGPT, training].joined(separator: "\n"), kind: .train, name: "teacher")
        XCTAssertEqual(teacherMetrics.count, 2)
        XCTAssertLessThan(teacherMetrics[1].loss, teacherMetrics[0].loss)
        XCTAssertLessThan(teacherMetrics[0].loss, log(321.0), "below the uniform guess over the vocabulary")
        XCTAssertEqual(teacherMetrics[0].count, 6_971, "the last 10% of the text in windows of 16 that do not overlap")
        let tokenizerFile = folder.appendingPathComponent("teacher/tokenizer.json")
        let tokenizer = try TokenizerFile.load(try Data(contentsOf: tokenizerFile), source: tokenizerFile.path)
        XCTAssertEqual(tokenizer as? CharacterTokenizer, CharacterTokenizer(trainingText: try TextCorpora.tinyShakespeare()))

        let (_, studentMetrics) = try run("""
            \(data)
            teacher: {model: gpt, layers: 1, heads: 2, embedding: 32, checkpoint: teacher/model.safetensors}
            student: {model: gpt, layers: 1, heads: 2, embedding: 16}
            losses: [{name: kd, temperature: 1}]
            \(training)
            """, kind: .distill, name: "student")
        XCTAssertLessThan(studentMetrics[1].loss, studentMetrics[0].loss)
        XCTAssertNotNil(studentMetrics[1].teacherAgreement, "a distilled run reports its agreement with the teacher")

        // The language methods from the same teacher: GKD and MiniLLM, one epoch each.
        let teacherSection = "teacher: {model: gpt, layers: 1, heads: 2, embedding: 32, checkpoint: teacher/model.safetensors}"
        let student = "student: {model: gpt, layers: 1, heads: 2, embedding: 16}"
        for (name, method) in [("gkd", "{name: lm-kd, beta: 0.5, on_policy_fraction: 0.5, prompt_length: 4}"),
                               ("seqkd", "{name: lm-kd, divergence: ce, continuations: teacher, teacher_decoding: sampled, prompt_length: 4}"),
                               ("minillm", "{name: minillm, prompt_length: 4}")] {
            let (summary, metrics) = try run([data, teacherSection, student, "method: \(method)", training].joined(separator: "\n"), kind: .distill, name: name)
            XCTAssertEqual(metrics.count, 2, name)
            XCTAssert(metrics.allSatisfy { $0.loss.isFinite && $0.loss < log(321.0) }, "\(name): \(metrics.map(\.loss))")
            XCTAssertNotNil(summary.history.last?.trainLoss[name == "minillm" ? "single_step_kl" : name == "gkd" ? "jsd" : "ce"], name)
        }
        let checkpoint = folder.appendingPathComponent("teacher/model.safetensors").path
        let absoluteTeacher = "teacher: {model: gpt, layers: 1, heads: 2, embedding: 32, checkpoint: \(checkpoint)}"
        func methodError(_ method: String, teacher: String = absoluteTeacher) -> String {
            validationError([data, teacher, student, "method: \(method)", training].joined(separator: "\n"), kind: .distill)
        }
        XCTAssertEqual(methodError("{name: lm-kd, prompt_length: 16}"), "run.yaml:4: method.prompt_length: must be in [1, 15], found 16")
        XCTAssertEqual(methodError("{name: lm-kd, beams: 4}"), "run.yaml:4: method.beams: beams is for continuations: teacher")
        XCTAssertEqual(methodError("{name: lm-kd, divergence: ce, beta: 0.5}"),
                       "run.yaml:4: method.beta: beta is for divergence: jsd (ce scores the continuation's tokens)")
        XCTAssertEqual(methodError("{name: minillm}", teacher: "teacher: {ensemble: [{model: gpt, layers: 1, heads: 2, embedding: 32, checkpoint: \(checkpoint)}]}"),
                       "run.yaml:4: method: minillm decodes with its teacher: the teacher must be a gpt model with a checkpoint")
    }

    func testABytePairTokenizerLearnsATextFileAndRoundTripsIt() throws {
        let text = String(repeating: "the cat sat on the mat; the dog sat on the log. ", count: 200) + "¿Qué? 猫 🐈\n"
        try Data(text.utf8).write(to: folder.appendingPathComponent("corpus.txt"))
        let (summary, metrics) = try run("""
            data: {text_file: corpus.txt, tokenizer: bpe, vocabulary_size: 300, context: 8}
            \(smallGPT)
            \(training)
            """, kind: .train, name: "bpe")
        XCTAssertEqual(summary.dataset, "corpus")
        XCTAssertLessThan(metrics[1].loss, metrics[0].loss)
        let tokenizerFile = folder.appendingPathComponent("bpe/tokenizer.json")
        let tokenizer = try TokenizerFile.load(try Data(contentsOf: tokenizerFile), source: tokenizerFile.path)
        // Merging stops where no pair occurs twice: this small text has fewer than 300 tokens' worth.
        XCTAssert((257...300).contains(tokenizer.vocabularySize), "\(tokenizer.vocabularySize)")
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode(text)), text)
    }

    func testTextKeysAreRefusedWhereTheyDoNotApply() throws {
        func error(_ data: String, model: String? = nil) -> String {
            validationError("data: {\(data)}\n\(model ?? smallGPT)\n\(training)", kind: .train)
        }
        XCTAssertEqual(error("dataset: tinyshakespeare, vocabulary_size: 300"),
                       "run.yaml:1: data.vocabulary_size: vocabulary_size is for tokenizer: bpe")
        XCTAssertEqual(error("dataset: tinyshakespeare, tokenizer: words"),
                       "run.yaml:1: data.tokenizer: unknown tokenizer 'words' (valid: character, bpe, or a tokenizer .json file)")
        XCTAssertEqual(error("dataset: tinyshakespeare, tokenizer: bpe, vocabulary_size: 100"),
                       "run.yaml:1: data.vocabulary_size: must be in [257, 65536], found 100")
        XCTAssertEqual(error("dataset: tinyshakespeare, context: 0"), "run.yaml:1: data.context: must be in [1, 65536], found 0")
        XCTAssertEqual(error("dataset: tinyshakespeare, validation: holdout"),
                       "run.yaml:1: data.validation: unknown value 'holdout' (valid: test, none)")
        XCTAssertEqual(error("dataset: tinyshakespeare, augmentation: []"),
                       "run.yaml:1: data.augmentation: unknown key (valid here: context, dataset, split_seed, stride, text_file, tokenizer, train_limit, validation, validation_fraction, vocabulary_size)")
        XCTAssertEqual(error("dataset: tinyshakespeare, train_limit: 10000000"),
                       "run.yaml:1: data.train_limit: must be in 1…15685 (the training windows), found 10000000")
        XCTAssertEqual(error("dataset: tinyshakespeare, text_file: corpus.txt"),
                       "run.yaml:1: data.dataset: give a corpus (dataset) or a text_file, not both")
        XCTAssert(error("text_file: /nonexistent/corpus.txt").hasPrefix("run.yaml:1: data.text_file: /nonexistent/corpus.txt: file not found"),
                  error("text_file: /nonexistent/corpus.txt"))
        XCTAssertEqual(error("dataset: tinyshakespeare", model: "model: {model: gpt, heads: 3, embedding: 32}"),
                       "run.yaml:2: model.heads: 3 heads do not divide the embedding of 32")
        XCTAssertEqual(validationError("data: {dataset: digits}\n\(smallGPT)\n\(training)", kind: .train),
                       "run.yaml:2: model.model: gpt reads token windows [T] of a text data set (data: {dataset: tinyshakespeare} or a text_file); the data's samples are [1, 8, 8]")
    }
}
