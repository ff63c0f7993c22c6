import Datasets
import Foundation
import XCTest

/// The character and byte-level BPE tokenizers: exact round trips, GPT-2's pre-tokens, and
/// their files.
final class TokenizerTests: XCTestCase {
    /// Text with what a corpus may lack: accents, a Hangul syllable precomposed and then
    /// decomposed into its letters (two words Swift's strings call equal, in other bytes),
    /// other scripts, emoji, controls.
    private let unusual = "héllo he\u{301}llo \u{D55C} \u{1112}\u{1161}\u{11AB} — 日本語 テキスト 🎭🎭 ok?!...\t\u{0}\r\n½ Ⅻ \u{00a0}end"

    func testCharacterTokensAreNanoGPTsVocabularyAndRoundTripAnyText() throws {
        let corpus = try TextCorpora.tinyShakespeare()
        XCTAssertEqual(corpus.unicodeScalars.count, 1_115_394)
        let tokenizer = CharacterTokenizer(trainingText: corpus)
        XCTAssertEqual(tokenizer.characters.count, 65, "nanoGPT's shakespeare_char vocabulary")
        XCTAssertEqual(tokenizer.vocabularySize, 256 + 65)
        let tokens = tokenizer.encode(corpus)
        XCTAssertEqual(tokens.count, 1_115_394, "one token per character of the corpus")
        XCTAssertTrue(tokens.allSatisfy { $0 >= 256 }, "the corpus needs no byte token")
        XCTAssertEqual(try tokenizer.decode(tokens), corpus)
        XCTAssertEqual(tokenizer.encode("\nA"), [256, 256 + 13], "newline first, then space, !, $, &, ', …, A")
        XCTAssertEqual(Array(try tokenizer.decode(tokenizer.encode(unusual)).utf8), Array(unusual.utf8), "byte for byte")
        XCTAssertThrowsError(try tokenizer.decode([321])) { XCTAssertEqual("\($0)", "tokenizer: token 321 is outside the vocabulary of 321") }
    }

    func testPreTokensMatchGPT2sPattern() throws {
        struct Case: Decodable { let text: String; let pieces: [String] }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pretokens.json")
        for example in try JSONDecoder().decode([Case].self, from: Data(contentsOf: url)) {
            let bytesOnly = try BytePairTokenizer(trainingText: "", vocabularySize: 256)
            XCTAssertEqual(bytesOnly.encode(example.text), example.text.utf8.map { Int($0) }, "with no merges, each byte is a token")
            XCTAssertEqual(BytePairTokenizer.preTokenization(of: example.text), example.pieces, example.text.debugDescription)
        }
    }

    func testBytePairMergesLearnTheCorpusAndRoundTripAnyText() throws {
        let corpus = try TextCorpora.tinyShakespeare()
        let sample = String(corpus.prefix(200_000))
        let tokenizer = try BytePairTokenizer(trainingText: sample, vocabularySize: 512)
        XCTAssertEqual(tokenizer.vocabularySize, 512)
        XCTAssertEqual(tokenizer.merges.count, 256)
        let first = tokenizer.merges[0]
        XCTAssertTrue(first.left < 256 && first.right < 256, "the first merge joins two bytes")
        let tokens = tokenizer.encode(corpus)
        XCTAssertEqual(try tokenizer.decode(tokens), corpus)
        let bytesPerToken = Double(corpus.utf8.count) / Double(tokens.count)
        XCTAssertGreaterThan(bytesPerToken, 1.8, "512 tokens take English to about 1.9 bytes per token")
        XCTAssertEqual(Array(try tokenizer.decode(tokenizer.encode(unusual)).utf8), Array(unusual.utf8), "byte for byte")
        XCTAssertEqual(tokenizer.encode(" the"), [tokenizer.merges.first { tokenizer.tokenBytes[$0.merged] == Array(" the".utf8) }!.merged],
                       "a frequent word is one token")

        // Saved as Hugging Face's byte-level BPE model and read back: the same tokens.
        let data = try tokenizer.jsonData()
        let file = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let model = file?["model"] as? [String: Any]
        XCTAssertEqual(model?["type"] as? String, "BPE")
        XCTAssertEqual((model?["vocab"] as? [String: Int])?["Ġthe"], tokenizer.encode(" the").first, "GPT-2's alphabet spells a space Ġ")
        let loaded = try TokenizerFile.load(data, source: "bpe.json")
        XCTAssertEqual(loaded.encode(corpus), tokens)
        let characters = try TokenizerFile.load(try CharacterTokenizer(trainingText: sample).jsonData(), source: "char.json")
        XCTAssertEqual(characters as? CharacterTokenizer, CharacterTokenizer(trainingText: sample))
    }

    /// A tokenizer trained by Hugging Face `tokenizers` (`Fixtures/make_bpe_fixture.py`)
    /// loads from its `tokenizer.json` and encodes as it does.
    func testHuggingFaceByteLevelBPEFilesLoadAndEncodeAlike() throws {
        struct Case: Decodable { let text: String; let ids: [Int] }
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let tokenizer = try TokenizerFile.load(Data(contentsOf: fixtures.appendingPathComponent("hf-bpe-tokenizer.json")), source: "hf-bpe-tokenizer.json")
        XCTAssertEqual(tokenizer.vocabularySize, 400)
        for example in try JSONDecoder().decode([Case].self, from: Data(contentsOf: fixtures.appendingPathComponent("hf-bpe-encodings.json"))) {
            XCTAssertEqual(tokenizer.encode(example.text), example.ids, example.text.debugDescription)
            XCTAssertEqual(try tokenizer.decode(example.ids), example.text)
        }
    }

    func testBadTokenizerFilesAreRefusedInOneLine() {
        func error(_ json: String) -> String {
            do { _ = try TokenizerFile.load(Data(json.utf8), source: "t.json"); return "loaded" } catch { return "\(error)" }
        }
        XCTAssertTrue(error("[1, 2]").hasPrefix("t.json: not a tokenizer file"), error("[1, 2]"))
        XCTAssertEqual(error(#"{"type": "wordpiece"}"#), "t.json: unknown tokenizer type 'wordpiece' (valid: character, bpe)")
        XCTAssertEqual(error(#"{"type": 3}"#), "t.json: not a tokenizer file (Distillery's, or Hugging Face's tokenizer.json with a BPE model): at .type: Expected to decode String but found number instead.")
        XCTAssertEqual(error(#"{"type": "character", "characters": "abca"}"#), "t.json: 'characters' names a character twice")
        XCTAssertEqual(error(#"{"type": "bpe", "model": {"type": "BPE", "vocab": {"a": 0, "b": 2}, "merges": []}}"#),
                       "t.json: the vocabulary's 2 ids are not 0..<2, each once")
        XCTAssertEqual(error(#"{"type": "bpe", "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}}"#),
                       "t.json: byte 0 has no token of its own")
        let bytes = (0..<256).map { "\"\\u\(String(format: "%04x", Self.alphabet[$0]))\": \($0)" }.joined(separator: ", ")
        XCTAssertEqual(error(#"{"type": "bpe", "model": {"type": "BPE", "vocab": {\#(bytes)}, "merges": ["a q"]}}"#),
                       "t.json: merge 0 'a q' makes a token the vocabulary lacks")
        XCTAssertTrue(error(#"{"type": "bpe", "model": {"type": "BPE", "vocab": {\#(bytes)}, "merges": ["a  b"]}}"#).hasSuffix("merge 'a  b' is not two tokens"))
        XCTAssertEqual(error(#"{"type": "bpe", "model": {"type": "BPE", "vocab": {\#(bytes)}, "merges": [["a", "zz"]]}}"#),
                       "t.json: merge 0 'a zz' is not two tokens of the vocabulary")
        XCTAssertEqual(error(#"{"model": {"type": "BPE", "vocab": {\#(bytes)}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true}}"#),
                       "t.json: pre_tokenizer ByteLevel (add_prefix_space true, use_regex true): only GPT-2's byte level without a prefix space, with its pattern, is supported")
    }

    /// GPT-2's byte alphabet, as code points.
    private static let alphabet: [Int] = {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        var map = [Int](repeating: 0, count: 256), next = 256
        for byte in 0..<256 {
            if printable.contains(byte) { map[byte] = byte } else { map[byte] = next; next += 1 }
        }
        return map
    }()
}
