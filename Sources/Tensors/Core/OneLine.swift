extension String {
    /// The text with line breaks and other control characters escaped (`\n`, `\u{0}`), so
    /// that an error quoting a file's contents stays one line.
    public var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
        return unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }.joined()
    }
}
