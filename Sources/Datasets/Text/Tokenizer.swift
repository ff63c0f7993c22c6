import Foundation

/// Text to token ids and back. Every tokenizer here round-trips any text exactly:
/// `decode(encode(text)) == text`.
public protocol Tokenizer: Sendable {
    /// The number of distinct token ids, `0 ..< vocabularySize`.
    var vocabularySize: Int { get }
    /// The ids of `text`'s tokens.
    func encode(_ text: String) -> [Int]
    /// The text of `tokens`; fails naming the first id outside the vocabulary. Byte tokens
    /// that do not form UTF-8 are decoded as U+FFFD (a model's sample may split a character).
    func decode(_ tokens: [Int]) throws -> String
    /// The tokenizer as JSON, which `TokenizerFile.load` reads back.
    func jsonData() throws -> Data
}

/// A token id outside a tokenizer's vocabulary, or a tokenizer file that does not describe
/// one.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "tokenizer: \(reason)" }
}

/// Character-level tokens, as nanoGPT's shakespeare-char: one id per Unicode scalar seen in
/// the training text, in scalar order, after 256 byte tokens that spell, in UTF-8, any
/// character the text did not have. So any text round-trips, and a model trained on the
/// corpus never needs the byte tokens for it.
public struct CharacterTokenizer: Tokenizer, Equatable {
    /// The characters with ids of their own, in id order (from 256).
    public let characters: [Unicode.Scalar]
    private let ids: [Unicode.Scalar: Int]

    public static let byteTokenCount = 256

    /// The characters of `text`, sorted.
    public init(trainingText text: String) {
        self.init(characters: Set(text.unicodeScalars).sorted())
    }

    /// These characters, in this order (each once).
    public init(characters: [Unicode.Scalar]) {
        self.characters = characters
        ids = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0 + Self.byteTokenCount) })
    }

    public var vocabularySize: Int { Self.byteTokenCount + characters.count }

    public func encode(_ text: String) -> [Int] {
        var tokens: [Int] = []
        tokens.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if let id = ids[scalar] { tokens.append(id) } else { tokens += String(scalar).utf8.map { Int($0) } }
        }
        return tokens
    }

    public func decode(_ tokens: [Int]) throws -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tokens.count)
        for token in tokens {
            guard (0..<vocabularySize).contains(token) else { throw TokenizerError("token \(token) is outside the vocabulary of \(vocabularySize)") }
            if token < Self.byteTokenCount { bytes.append(UInt8(token)) } else { bytes += String(characters[token - Self.byteTokenCount]).utf8 }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func == (a: CharacterTokenizer, b: CharacterTokenizer) -> Bool { a.characters == b.characters }

    public func jsonData() throws -> Data {
        try TokenizerFile.encoder.encode(TokenizerFile(type: "character", characters: String(String.UnicodeScalarView(characters))))
    }
}

/// What a tokenizer file holds: `type` `character` with its `characters`, or a byte-level
/// BPE model as Hugging Face's `tokenizer.json` writes it (`model.vocab`, `model.merges`,
/// tokens spelled in GPT-2's byte-to-character alphabet; `type` `bpe` when Distillery wrote
/// it). A Hugging Face file loads as it is, when its pre-tokenizer is GPT-2's byte level
/// without a prefix space.
public struct TokenizerFile: Codable {
    public struct BPEModel: Codable {
        public var type = "BPE"
        public var vocab: [String: Int]
        /// Each merge as `[left, right]` (Hugging Face from 0.20) or `"left right"` (before).
        public var merges: [Merge]
    }

    /// A merge, in either of Hugging Face's spellings.
    public struct Merge: Codable {
        public var left: String, right: String

        public init(left: String, right: String) { (self.left, self.right) = (left, right) }

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let pair = try? container.decode([String].self) {
                guard pair.count == 2 else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "a merge of \(pair.count) tokens") }
                (left, right) = (pair[0], pair[1])
            } else {
                let line = try container.decode(String.self)
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "merge '\(line)' is not two tokens") }
                (left, right) = (String(parts[0]), String(parts[1]))
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode([left, right])
        }
    }

    /// The settings of Hugging Face's pre-tokenizer that decide how text is cut.
    public struct PreTokenizer: Codable {
        public var type: String
        public var add_prefix_space: Bool?
        public var use_regex: Bool?
    }

    public var type: String?
    public var characters: String?
    public var model: BPEModel?
    public var pre_tokenizer: PreTokenizer?

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// The tokenizer a file describes; fails with one line naming the file and what is wrong.
    public static func load(_ data: Data, source: String) throws -> any Tokenizer {
        let file: TokenizerFile
        do { file = try JSONDecoder().decode(TokenizerFile.self, from: data) } catch {
            throw DataError(source, "not a tokenizer file (Distillery's, or Hugging Face's tokenizer.json with a BPE model): \(Self.describe(error))")
        }
        switch file.type ?? (file.model?.type == "BPE" ? "bpe" : "") {
        case "character":
            guard let characters = file.characters else { throw DataError(source, "a character tokenizer needs 'characters'") }
            let scalars = Array(characters.unicodeScalars)
            guard Set(scalars).count == scalars.count else { throw DataError(source, "'characters' names a character twice") }
            return CharacterTokenizer(characters: scalars)
        case "bpe":
            guard let model = file.model else { throw DataError(source, "a bpe tokenizer needs 'model' with 'vocab' and 'merges'") }
            if let pre = file.pre_tokenizer, pre.type != "ByteLevel" || pre.add_prefix_space == true || pre.use_regex == false {
                throw DataError(source, "pre_tokenizer \(pre.type) (add_prefix_space \(pre.add_prefix_space ?? false), use_regex \(pre.use_regex ?? true)): only GPT-2's byte level without a prefix space, with its pattern, is supported")
            }
            do { return try BytePairTokenizer(vocabulary: model.vocab, merges: model.merges.map { ($0.left, $0.right) }) } catch let error as TokenizerError {
                throw DataError(source, error.reason)
            }
        default:
            throw DataError(source, "unknown tokenizer type '\(file.type ?? "")' (valid: character, bpe)")
        }
    }

    /// A decoding error in one line: what was wrong, and where.
    private static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return (path.isEmpty ? "" : "at \(path): ") + context.debugDescription
        default:
            return error.localizedDescription
        }
    }
}
