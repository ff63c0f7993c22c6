import Configuration
// libyaml, as Yams bundles it: its event parser measures a document without building it.
import CYaml

/// The bound on what a YAML text's aliases may expand to, checked before the text is
/// composed into nodes.
///
/// Composing resolves every alias, and checks every mapping's keys for duplicates by hashing
/// them whole, so a few hundred bytes of nested anchors (`&a1 [*a0, *a0, …]`, the "billion
/// laughs") used as keys take hours and gigabytes. The check walks libyaml's event stream
/// once, keeping for each anchor the number of nodes it stands for, and refuses a document
/// whose expanded size passes the limit. A real config has a few hundred nodes.
enum AliasExpansionLimit {
    /// The most nodes a document may hold once its aliases are expanded.
    static let maximumNodes = 100_000

    /// Throws when `yaml`, with its aliases expanded, holds more than `maximumNodes` nodes.
    /// Text libyaml cannot parse passes: composing it reports the syntax error.
    static func check(_ yaml: String, file: String) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(yaml.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var anchorSizes: [String: Int] = [:]
            // The open collections: each one's anchor and the nodes counted in it so far.
            var open: [(anchor: String?, nodes: Int)] = []
            var documentNodes = 0

            func close(_ nodes: Int, anchor: String?) throws {
                if let anchor { anchorSizes[anchor] = nodes }
                if open.isEmpty {
                    documentNodes = documentNodes.addingSaturating(nodes)
                } else {
                    open[open.count - 1].nodes = open[open.count - 1].nodes.addingSaturating(nodes)
                }
                let total = open.reduce(documentNodes) { $0.addingSaturating($1.nodes) }
                guard total <= maximumNodes else {
                    throw ConfigError(file: file, line: Int(parser.mark.line) + 1, key: "",
                                      message: "its aliases (*name) expand it to more than \(maximumNodes) nodes; a config has a few hundred, so it is refused unread")
                }
            }

            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_SCALAR_EVENT:
                    try close(1, anchor: anchorName(event.data.scalar.anchor))
                case YAML_ALIAS_EVENT:
                    try close(anchorName(event.data.alias.anchor).flatMap { anchorSizes[$0] } ?? 1, anchor: nil)
                case YAML_SEQUENCE_START_EVENT:
                    open.append((anchorName(event.data.sequence_start.anchor), 1))
                case YAML_MAPPING_START_EVENT:
                    open.append((anchorName(event.data.mapping_start.anchor), 1))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let finished = open.popLast() else { return }
                    try close(finished.nodes, anchor: finished.anchor)
                case YAML_STREAM_END_EVENT:
                    return
                default:
                    break
                }
            }
        }
    }

    private static func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}

extension Int {
    fileprivate func addingSaturating(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
