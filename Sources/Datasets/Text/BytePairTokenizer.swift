import Foundation

/// Byte-level byte-pair encoding, as GPT-2's tokenizer: text is split into GPT-2's
/// pre-tokens (words with their leading space, numbers, punctuation runs, whitespace), each
/// pre-token's UTF-8 bytes start as 256 byte tokens, and learned merges join adjacent pairs,
/// the earliest-learned pair first, until none applies. Bytes are never lost, so any text
/// round-trips.
public struct BytePairTokenizer: Tokenizer {
    private struct Pair: Hashable {
        let left: Int, right: Int
    }

    /// Each token's bytes, by id.
    public let tokenBytes: [[UInt8]]
    /// The learned merges in order: the pair of ids and the id they become.
    public let merges: [(left: Int, right: Int, merged: Int)]
    private let byteIds: [Int]
    private let ranks: [Pair: (rank: Int, merged: Int)]

    public var vocabularySize: Int { tokenBytes.count }

    /// Learns merges on `text` until the vocabulary has `vocabularySize` tokens (at least the
    /// 256 bytes) or no pair occurs twice. Each round joins the most frequent adjacent pair
    /// within the pre-tokens (ties: the pair of lowest ids); byte `b` is id `b`, merge `i`
    /// makes id `256 + i`.
    public init(trainingText text: String, vocabularySize: Int) throws {
        guard vocabularySize >= 256 else { throw TokenizerError("a byte-level vocabulary of \(vocabularySize) (expected at least 256)") }
        var counts: [[UInt8]: Int] = [:]
        for piece in Self.preTokens(text) { counts[Array(piece.utf8), default: 0] += 1 }
        var words = counts.map { (symbols: $0.key.map { Int($0) }, count: $0.value) }
        var tokenBytes = (0..<256).map { [UInt8($0)] }
        var merges: [(left: Int, right: Int, merged: Int)] = []
        while tokenBytes.count < vocabularySize {
            var pairCounts: [Pair: Int] = [:]
            for (symbols, count) in words where symbols.count > 1 {
                for index in 0..<(symbols.count - 1) { pairCounts[Pair(left: symbols[index], right: symbols[index + 1]), default: 0] += count }
            }
            guard let (best, frequency) = pairCounts.max(by: { ($0.value, $1.key.left, $1.key.right) < ($1.value, $0.key.left, $0.key.right) }),
                  frequency >= 2 else { break }
            let merged = tokenBytes.count
            tokenBytes.append(tokenBytes[best.left] + tokenBytes[best.right])
            merges.append((best.left, best.right, merged))
            for index in words.indices where words[index].symbols.count > 1 {
                words[index].symbols = Self.merging(best, into: merged, in: words[index].symbols)
            }
        }
        try self.init(tokenBytes: tokenBytes, byteIds: Array(0..<256), merges: merges)
    }

    /// A tokenizer from Hugging Face's byte-level BPE model (`vocab`: token → id, tokens
    /// spelled in GPT-2's byte alphabet; `merges`: pairs of tokens, in order). Fails naming
    /// what does not fit: ids that are not `0 ..< count` once each, a token that is not in the
    /// alphabet, a byte without a token, a merge of unknown tokens or into one.
    public init(vocabulary: [String: Int], merges mergePairs: [(left: String, right: String)]) throws {
        guard Set(vocabulary.values) == Set(0..<vocabulary.count) else {
            throw TokenizerError("the vocabulary's \(vocabulary.count) ids are not 0..<\(vocabulary.count), each once")
        }
        var tokenBytes = [[UInt8]](repeating: [], count: vocabulary.count)
        for (token, id) in vocabulary {
            var bytes: [UInt8] = []
            for character in token.unicodeScalars {
                guard let byte = ByteAlphabet.bytes[character] else { throw TokenizerError("token '\(token)' has '\(character)', outside GPT-2's byte alphabet") }
                bytes.append(byte)
            }
            guard !bytes.isEmpty else { throw TokenizerError("the vocabulary has an empty token") }
            tokenBytes[id] = bytes
        }
        var byteIds = [Int](repeating: -1, count: 256)
        for (id, bytes) in tokenBytes.enumerated() where bytes.count == 1 { byteIds[Int(bytes[0])] = id }
        if let missing = byteIds.firstIndex(of: -1) { throw TokenizerError("byte \(missing) has no token of its own") }
        let merges = try mergePairs.enumerated().map { index, pair -> (left: Int, right: Int, merged: Int) in
            guard let left = vocabulary[pair.left], let right = vocabulary[pair.right] else {
                throw TokenizerError("merge \(index) '\(pair.left) \(pair.right)' is not two tokens of the vocabulary")
            }
            guard let merged = vocabulary[pair.left + pair.right] else {
                throw TokenizerError("merge \(index) '\(pair.left) \(pair.right)' makes a token the vocabulary lacks")
            }
            return (left, right, merged)
        }
        try self.init(tokenBytes: tokenBytes, byteIds: byteIds, merges: merges)
    }

    private init(tokenBytes: [[UInt8]], byteIds: [Int], merges: [(left: Int, right: Int, merged: Int)]) throws {
        var ranks: [Pair: (rank: Int, merged: Int)] = [:]
        for (rank, merge) in merges.enumerated() where ranks[Pair(left: merge.left, right: merge.right)] == nil {
            ranks[Pair(left: merge.left, right: merge.right)] = (rank, merge.merged)
        }
        (self.tokenBytes, self.byteIds, self.merges, self.ranks) = (tokenBytes, byteIds, merges, ranks)
    }

    public func encode(_ text: String) -> [Int] {
        // Keyed by bytes: Substrings compare by canonical equivalence, so "é" would find the
        // tokens of "e" + U+0301 and the round trip would change the text.
        var cache: [[UInt8]: [Int]] = [:]
        var tokens: [Int] = []
        for piece in Self.preTokens(text) {
            let bytes = Array(piece.utf8)
            if let known = cache[bytes] { tokens += known; continue }
            var symbols = bytes.map { byteIds[Int($0)] }
            while symbols.count > 1 {
                var best: (rank: Int, pair: Pair, merged: Int)?
                for index in 0..<(symbols.count - 1) {
                    let pair = Pair(left: symbols[index], right: symbols[index + 1])
                    if let found = ranks[pair], found.rank < best?.rank ?? .max { best = (found.rank, pair, found.merged) }
                }
                guard let best else { break }
                symbols = Self.merging(best.pair, into: best.merged, in: symbols)
            }
            cache[bytes] = symbols
            tokens += symbols
        }
        return tokens
    }

    public func decode(_ tokens: [Int]) throws -> String {
        var bytes: [UInt8] = []
        for token in tokens {
            guard (0..<vocabularySize).contains(token) else { throw TokenizerError("token \(token) is outside the vocabulary of \(vocabularySize)") }
            bytes += tokenBytes[token]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func jsonData() throws -> Data {
        func spelled(_ id: Int) -> String { String(String.UnicodeScalarView(tokenBytes[id].map { ByteAlphabet.characters[Int($0)] })) }
        let vocabulary = Dictionary(uniqueKeysWithValues: tokenBytes.indices.map { (spelled($0), $0) })
        let model = TokenizerFile.BPEModel(vocab: vocabulary, merges: merges.map { TokenizerFile.Merge(left: spelled($0.left), right: spelled($0.right)) })
        let preTokenizer = TokenizerFile.PreTokenizer(type: "ByteLevel", add_prefix_space: false, use_regex: true)
        return try TokenizerFile.encoder.encode(TokenizerFile(type: "bpe", model: model, pre_tokenizer: preTokenizer))
    }

    /// `symbols` with every occurrence of `pair`, left to right, replaced by `merged`.
    private static func merging(_ pair: Pair, into merged: Int, in symbols: [Int]) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(symbols.count)
        var index = 0
        while index < symbols.count {
            if index + 1 < symbols.count && symbols[index] == pair.left && symbols[index + 1] == pair.right {
                result.append(merged)
                index += 2
            } else {
                result.append(symbols[index])
                index += 1
            }
        }
        return result
    }

    /// The pieces GPT-2's pattern cuts `text` into, before any merge.
    public static func preTokenization(of text: String) -> [String] { preTokens(text).map(String.init) }

    /// GPT-2's pre-tokens, as its pattern
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` splits
    /// text; together they are the whole text.
    static func preTokens(_ text: String) -> [Substring] {
        let scalars = text.unicodeScalars
        var pieces: [Substring] = []
        var start = scalars.startIndex
        // 0 whitespace, 1 letters, 2 numbers, 3 anything else.
        func kind(_ s: Unicode.Scalar) -> Int {
            if s.properties.isWhitespace { return 0 }
            if s.properties.generalCategory.isLetter { return 1 }
            if s.properties.generalCategory.isNumber { return 2 }
            return 3
        }
        while start < scalars.endIndex {
            var end = scalars.index(after: start)
            let first = scalars[start]
            if first == "'", let suffix = ["s", "t", "re", "ve", "m", "ll", "d"].first(where: { scalars[end...].starts(with: $0.unicodeScalars) }) {
                end = scalars.index(end, offsetBy: suffix.unicodeScalars.count)
            } else {
                var runKind = kind(first)
                if first == " ", end < scalars.endIndex, kind(scalars[end]) != 0 {
                    runKind = kind(scalars[end])
                    end = scalars.index(after: end)
                }
                if runKind == 0 {
                    while end < scalars.endIndex, kind(scalars[end]) == 0 { end = scalars.index(after: end) }
                    // `\s+(?!\S)`: a run before a non-space leaves its last character to it.
                    if end < scalars.endIndex, scalars.distance(from: start, to: end) > 1 { end = scalars.index(before: end) }
                } else {
                    while end < scalars.endIndex, kind(scalars[end]) == runKind { end = scalars.index(after: end) }
                }
            }
            pieces.append(Substring(scalars[start..<end]))
            start = end
        }
        return pieces
    }
}

/// GPT-2's `bytes_to_unicode`: each byte as a printable character (the printable Latin-1
/// bytes as themselves, the rest from U+0100 on), so that tokens are readable strings in
/// vocabulary files.
enum ByteAlphabet {
    static let characters: [Unicode.Scalar] = {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        var map = [Unicode.Scalar](repeating: " ", count: 256)
        for byte in printable { map[byte] = Unicode.Scalar(UInt32(byte))! }
        var next: UInt32 = 256
        for byte in 0..<256 where !printable.contains(byte) {
            map[byte] = Unicode.Scalar(next)!
            next += 1
        }
        return map
    }()

    static let bytes: [Unicode.Scalar: UInt8] = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, UInt8($0)) })
}

extension Unicode.GeneralCategory {
    fileprivate var isLetter: Bool {
        switch self {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    fileprivate var isNumber: Bool {
        switch self {
        case .decimalNumber, .letterNumber, .otherNumber: true
        default: false
        }
    }
}
