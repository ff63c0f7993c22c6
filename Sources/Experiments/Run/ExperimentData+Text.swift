import Datasets
import Foundation
import Language

/// A language model's data, from a `data:` section that names a text corpus or file:
///
/// ```yaml
/// data:
///   dataset: tinyshakespeare   # a corpus that ships with Distillery, or:
///   text_file: input.txt       # any UTF-8 text (gzip too), relative to the config
///   tokenizer: character       # character (nanoGPT's shakespeare-char) | bpe (byte-level BPE
///                              #   trained on the training text) | a tokenizer file
///                              #   (Distillery's tokenizer.json, or Hugging Face's BPE one)
///   vocabulary_size: 512       # bpe only
///   context: 64                # tokens per window (the model's context)
///   stride: 64                 # tokens between training windows (default: the context)
///   train_limit: 24000         # optional: a random subset of the training windows
///   validation: test           # test (the last validation_fraction of the tokens, as nanoGPT
///                              #   splits, in windows that do not overlap) | none
///   validation_fraction: 0.1
///   split_seed: 0
/// ```
///
/// The vocabulary is the class count a model is built for; the tokenizer is written beside
/// the run's weights as `tokenizer.json`.
extension ExperimentData {
    /// Whether `section` describes text: a corpus name or a text file.
    static func describesText(_ section: ConfigNode) throws -> Bool {
        if try section.optional("text_file") != nil { return true }
        guard let name: String = try section.value("dataset") else { return false }
        return TextCorpora.names.contains(name)
    }

    static func languageModeling(_ section: ConfigNode) throws -> ExperimentData {
        let name: String, text: String
        if let fileNode = try section.optional("text_file") {
            if let stray = try section.optional("dataset") { throw stray.error("give a corpus (dataset) or a text_file, not both") }
            let path = try fileNode.pathValue()
            do { text = try TextCorpora.text(contentsOf: URL(fileURLWithPath: path)) } catch let error as DataError { throw fileNode.error(error.description) }
            name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        } else {
            let nameNode = try section.required("dataset")
            name = try nameNode.value()
            do { text = try TextCorpora.text(named: name)! } catch let error as DataError { throw nameNode.error(error.description) }
        }
        let tokenizer = try tokenizer(section, trainingText: text)
        let context: Int = try section.value("context", default: 64, in: 1...65_536)
        let stride: Int = try section.value("stride", default: context, in: 1...65_536)
        let validationChoice = try section.choice("validation", from: ["test", "none"], default: "test")
        let fraction: Double = try section.value("validation_fraction", default: 0.1, in: 0.001...0.5)
        let splitSeed: UInt64 = try section.value("split_seed", default: 0)
        let tokens = tokenizer.encode(text)
        let cut = Int(Double(tokens.count) * (1 - fraction))
        let (trainTokens, validationTokens) = (Array(tokens[..<cut]), Array(tokens[cut...]))
        let windows: TokenWindows, validation: TokenWindows
        do {
            windows = try TokenWindows(tokens: trainTokens, context: context, stride: stride, vocabularySize: tokenizer.vocabularySize, source: "\(name) (train)")
            validation = try TokenWindows(tokens: validationTokens, context: context, vocabularySize: tokenizer.vocabularySize, source: "\(name) (validation)")
        } catch let error as DataError {
            throw (try section.optional("context") ?? section).error(error.description)
        }
        var training: any Dataset = windows
        if let limitNode = try section.optional("train_limit") {
            let limit: Int = try limitNode.value()
            guard (1...windows.count).contains(limit) else { throw limitNode.error("must be in 1…\(windows.count) (the training windows), found \(limit)") }
            training = windows.randomSplit(fractions: [Double(limit) / Double(windows.count), 1 - Double(limit) / Double(windows.count)], seed: splitSeed)[0]
        }
        try section.finish()
        var data = ExperimentData(name: name, training: training, validation: validationChoice == "test" ? validation : nil, test: nil,
                                  sampleShape: [context], classCount: tokenizer.vocabularySize, hasLabels: true, hasUnlabeledSamples: false, transform: nil)
        data.tokenizer = tokenizer
        data.evaluation = LanguageModelEvaluation(batchSize: 64, limit: validation.count)
        return data
    }

    private static func tokenizer(_ section: ConfigNode, trainingText text: String) throws -> any Tokenizer {
        guard let entry = try section.optional("tokenizer") else {
            if let stray = try section.optional("vocabulary_size") { throw stray.error("vocabulary_size is for tokenizer: bpe") }
            return CharacterTokenizer(trainingText: text)
        }
        let choice: String = try entry.value()
        switch choice {
        case "character":
            if let stray = try section.optional("vocabulary_size") { throw stray.error("vocabulary_size is for tokenizer: bpe") }
            return CharacterTokenizer(trainingText: text)
        case "bpe":
            let size: Int = try section.value("vocabulary_size", default: 512, in: 257...65_536)
            do { return try BytePairTokenizer(trainingText: text, vocabularySize: size) } catch let error as TokenizerError { throw entry.error(error.reason) }
        default:
            guard choice.hasSuffix(".json") else { throw entry.error("unknown tokenizer '\(choice)' (valid: character, bpe, or a tokenizer .json file)") }
            if let stray = try section.optional("vocabulary_size") { throw stray.error("a tokenizer file has its own vocabulary") }
            let path = try entry.pathValue()
            do {
                return try TokenizerFile.load(try Data(contentsOf: URL(fileURLWithPath: path)), source: path)
            } catch let error as DataError {
                throw entry.error(error.description)
            } catch {
                throw entry.error("\(path) cannot be read (\(error.localizedDescription))")
            }
        }
    }
}
