extension String {
    /// The text with `&`, `<` and `>` escaped, for the text of an SVG or HTML element (plot
    /// titles and legends quote config and model names).
    public var escapingXMLMarkup: String {
        replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
