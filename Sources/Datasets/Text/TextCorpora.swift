import Foundation

/// Text corpora that ship with Distillery, and text read from a file.
public enum TextCorpora {
    /// The names a config's `data.dataset` may give for a corpus.
    public static let names = ["tinyshakespeare"]

    /// Tiny Shakespeare (Karpathy's char-rnn corpus, nanoGPT's `shakespeare_char`): 1,115,394
    /// characters of Shakespeare's plays, public domain. Decompressed once per process.
    public static func tinyShakespeare() throws -> String { try tinyShakespeareText.get() }

    /// The corpus called `name` (one of `names`), or nil for a name that is not a corpus.
    public static func text(named name: String) throws -> String? {
        name == "tinyshakespeare" ? try tinyShakespeare() : nil
    }

    /// The text of a UTF-8 file (gzip-compressed or not); fails in one line naming the file
    /// when it is missing, empty or not UTF-8.
    public static func text(contentsOf url: URL) throws -> String {
        let bytes = try readBytes(url)
        guard !bytes.isEmpty else { throw DataError(url.path, "holds no text") }
        guard let text = String(data: bytes, encoding: .utf8) else { throw DataError(url.path, "is not UTF-8 text") }
        return text
    }

    private static let tinyShakespeareText = Result<String, Error> {
        guard let compressed = Data(base64Encoded: embeddedTinyShakespeareBase64, options: .ignoreUnknownCharacters) else {
            throw DataError("tinyshakespeare", "the embedded text is not valid base64 (regenerate it with Sources/Datasets/Resources/embed.sh)")
        }
        return String(decoding: try Inflate.decompress(compressed, wrapper: .gzipOrZlib, source: "tinyshakespeare (embedded)"), as: UTF8.self)
    }
}
