import Configuration
import Foundation
import Yams

/// One node of a YAML configuration, with the file and key path it came from, so that every
/// problem becomes a `ConfigError` naming both.
///
/// The schema is the set of reads: each key a mapping is asked for (present or not) is a
/// known key, and `finish()` reports any other key as unknown, listing the known ones. A
/// section is read completely, then finished; misspelt keys never pass silently.
public final class ConfigNode: ConfigEntry {
    public let file: String
    /// The key path of this node (`""` for the root).
    public let path: String
    let node: Node
    private var knownKeys: [String] = []

    /// The line of this node in the file, where the parser knows it.
    public var line: Int? { node.mark?.line }

    init(node: Node, file: String, path: String) {
        (self.node, self.file, self.path) = (node, file, path)
    }

    /// Parses YAML text; `file` is the name errors carry.
    public static func parse(yaml: String, file: String) throws -> ConfigNode {
        try AliasExpansionLimit.check(yaml, file: file)
        do {
            guard let root = try Yams.compose(yaml: yaml) else {
                throw ConfigError(file: file, line: nil, key: "", message: "the file is empty; expected a mapping of sections")
            }
            return ConfigNode(node: root, file: file, path: "")
        } catch let error as YamlError {
            // Yams adds the offending line and a caret below the first line: keep one line.
            let summary = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw ConfigError(file: file, line: nil, key: "", message: "not valid YAML: \(summary)")
        }
    }

    /// Reads and parses a YAML file.
    public static func load(contentsOf url: URL) throws -> ConfigNode {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(file: url.path, line: nil, key: "", message: "cannot be read (\(error.localizedDescription))")
        }
        return try parse(yaml: text, file: url.path)
    }

    // MARK: Mappings

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private var pairs: [(key: String, value: Node)] {
        get throws {
            guard case .mapping(let mapping) = node else { throw error("expected a mapping of keys, found \(kind)") }
            return mapping.map { ($0.key.scalar?.string ?? "\($0.key)", $0.value) }
        }
    }

    /// The keys present, in file order.
    public var keys: [String] {
        get throws { try pairs.map(\.key) }
    }

    /// The value at `key`, or nil when absent (the key becomes known either way).
    public func optional(_ key: String) throws -> ConfigNode? {
        if !knownKeys.contains(key) { knownKeys.append(key) }
        guard let value = try pairs.first(where: { $0.key == key })?.value else { return nil }
        if case .scalar(let scalar) = value, scalar.tag == Tag(.null) || scalar.string.isEmpty && scalar.style == .plain { return nil }
        return ConfigNode(node: value, file: file, path: child(key))
    }

    /// Marks keys as known without reading them (keys handled by another reader).
    public func allow(_ keys: [String]) {
        for key in keys where !knownKeys.contains(key) { knownKeys.append(key) }
    }

    /// Fails on the first key that no read asked for, listing the known ones.
    public func finish() throws {
        for (key, value) in try pairs where !knownKeys.contains(key) {
            let unknown = ConfigNode(node: value, file: file, path: child(key))
            throw unknown.error("unknown key (valid here: \(knownKeys.sorted().joined(separator: ", ")))")
        }
    }

    /// Every scalar under this node by key path (`training.optimizer.learning_rate` → `0.1`,
    /// `losses[0].name` → `kd`), aliases expanded: two configs compare key by key.
    public var scalarsByPath: [String: String] {
        var scalars: [String: String] = [:]
        func visit(_ node: Node, _ path: String) {
            switch node {
            case .scalar(let scalar): scalars[path] = scalar.string
            case .mapping(let mapping):
                for (key, value) in mapping { visit(value, path.isEmpty ? key.string ?? "\(key)" : "\(path).\(key.string ?? "\(key)")") }
            case .sequence(let sequence):
                for (index, value) in sequence.enumerated() { visit(value, "\(path)[\(index)]") }
            case .alias: break
            }
        }
        visit(node, path)
        return scalars
    }

    // MARK: Paths

    /// The keys whose values are file or folder paths, wherever they appear.
    public static let pathKeys: Set<String> = ["checkpoint", "cache", "data_dir", "output", "text_file"]

    /// The folder a relative path in this config is resolved against: the config file's.
    public var baseFolder: URL { URL(fileURLWithPath: file).deletingLastPathComponent() }

    /// This scalar as a path: `~` expanded, and a relative path resolved against the config
    /// file's folder, so a config names its neighbours wherever it is run from.
    public func pathValue() throws -> String {
        Self.resolve(try value(String.self), against: baseFolder)
    }

    /// The path at `key`, resolved as `pathValue()` does, or nil when absent.
    public func pathValue(_ key: String) throws -> String? {
        try optional(key)?.pathValue()
    }

    static func resolve(_ path: String, against folder: URL) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? expanded : folder.appendingPathComponent(expanded).standardizedFileURL.path
    }

    /// This node with every relative path (`pathKeys`) resolved, for a config written
    /// elsewhere than this one's folder.
    func resolvingPaths() -> Node {
        func visit(_ node: Node, key: String?) -> Node {
            switch node {
            case .scalar(let scalar) where key.map(Self.pathKeys.contains) == true:
                return Node(Self.resolve(scalar.string, against: baseFolder))
            case .mapping(let mapping):
                return .mapping(Node.Mapping(mapping.map { ($0.key, visit($0.value, key: $0.key.string)) }))
            case .sequence(let sequence):
                return .sequence(Node.Sequence(sequence.map { visit($0, key: key) }))
            default:
                return node
            }
        }
        return visit(node, key: nil)
    }

    // MARK: Sequences

    /// The elements of a sequence, with paths `key[0]`, `key[1]` …
    public func elements() throws -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw error("expected a list, found \(kind)") }
        return sequence.enumerated().map { ConfigNode(node: $1, file: file, path: "\(path)[\($0)]") }
    }

    // MARK: Scalars

    /// The scalar text of this node.
    public func scalarText(expected: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw error("expected \(expected), found \(kind)") }
        return scalar.string
    }

    private var kind: String {
        switch node {
        case .scalar(let scalar): return "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

