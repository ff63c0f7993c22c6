import Foundation

/// Text corpora that ship with Distillery.
public enum TextCorpora {
    /// Tiny Shakespeare (Karpathy's char-rnn corpus, nanoGPT's `shakespeare_char`): 1,115,394
    /// characters of Shakespeare's plays, public domain. Decompressed once per process.
    public static func tinyShakespeare() throws -> String { try tinyShakespeareText.get() }

    private static let tinyShakespeareText = Result<String, Error> {
        guard let compressed = Data(base64Encoded: embeddedTinyShakespeareBase64, options: .ignoreUnknownCharacters) else {
            throw DataError("tinyshakespeare", "the embedded text is not valid base64 (regenerate it with Sources/Datasets/Resources/embed.sh)")
        }
        return String(decoding: try Inflate.decompress(compressed, wrapper: .gzipOrZlib, source: "tinyshakespeare (embedded)"), as: UTF8.self)
    }
}
