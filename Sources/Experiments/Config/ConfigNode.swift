import Foundation
import Yams

/// One node of a YAML configuration, with the file and key path it came from, so that every
/// problem becomes a `ConfigError` naming both.
///
/// The schema is the set of reads: each key a mapping is asked for (present or not) is a
/// known key, and `finish()` reports any other key as unknown, listing the known ones. A
/// section is read completely, then finished; misspelt keys never pass silently.
public final class ConfigNode {
    public let file: String
    /// The key path of this node (`""` for the root).
    public let path: String
    let node: Node
    private var knownKeys: [String] = []

    init(node: Node, file: String, path: String) {
        (self.node, self.file, self.path) = (node, file, path)
    }

    /// Parses YAML text; `file` is the name errors carry.
    public static func parse(yaml: String, file: String) throws -> ConfigNode {
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

    /// An error at this node.
    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line, key: path, message: message)
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

    /// The value at `key`, or an error saying it is required.
    public func required(_ key: String, _ meaning: String = "") throws -> ConfigNode {
        guard let value = try optional(key) else {
            throw error("missing required key '\(key)'\(meaning.isEmpty ? "" : " (\(meaning))")")
        }
        return value
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

    /// This node as a value of `T`.
    public func value<T: ConfigScalar>(_: T.Type = T.self) throws -> T {
        let text = try scalarText(expected: T.configDescription)
        guard let value = T(configText: text) else { throw error("expected \(T.configDescription), found '\(text)'") }
        return value
    }

    /// The value at `key`, or `defaultValue` when absent.
    public func value<T: ConfigScalar>(_ key: String, default defaultValue: T) throws -> T {
        try optional(key)?.value(T.self) ?? defaultValue
    }

    /// The value at `key`, or nil when absent.
    public func value<T: ConfigScalar>(_ key: String) throws -> T? {
        try optional(key)?.value(T.self)
    }

    /// The value at `key`, which must be present.
    public func requiredValue<T: ConfigScalar>(_ key: String, _ meaning: String = "") throws -> T {
        try required(key, meaning).value(T.self)
    }

    /// A list of scalars at `key`, or `defaultValue` when absent.
    public func values<T: ConfigScalar>(_ key: String, default defaultValue: [T]) throws -> [T] {
        guard let list = try optional(key) else { return defaultValue }
        return try list.elements().map { try $0.value(T.self) }
    }

    /// One of `choices` at `key` (or `defaultValue`); anything else is an error listing them,
    /// calling the value `what` (`unknown loss 'kdd' (valid: …)`).
    public func choice(_ key: String, from choices: [String], default defaultValue: String? = nil, what: String = "value") throws -> String {
        guard let node = try optional(key) else {
            guard let defaultValue else { throw error("missing required key '\(key)' (one of: \(choices.joined(separator: ", ")))") }
            return defaultValue
        }
        let text: String = try node.value()
        guard choices.contains(text) else { throw node.error("unknown \(what) '\(text)' (valid: \(choices.joined(separator: ", ")))") }
        return text
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

/// A scalar type a configuration can hold.
public protocol ConfigScalar {
    /// What the error says was expected (`an integer`).
    static var configDescription: String { get }
    init?(configText: String)
}

extension String: ConfigScalar {
    public static var configDescription: String { "a string" }
    public init?(configText: String) { self = configText }
}

extension Int: ConfigScalar {
    public static var configDescription: String { "an integer" }
    public init?(configText: String) { self.init(configText.replacingOccurrences(of: "_", with: "")) }
}

extension UInt64: ConfigScalar {
    public static var configDescription: String { "a non-negative integer" }
    public init?(configText: String) { self.init(configText.replacingOccurrences(of: "_", with: "")) }
}

extension Double: ConfigScalar {
    public static var configDescription: String { "a number" }
    public init?(configText: String) {
        guard let value = Double(configText.replacingOccurrences(of: "_", with: "")), value.isFinite else { return nil }
        self = value
    }
}

extension Float: ConfigScalar {
    public static var configDescription: String { "a number" }
    public init?(configText: String) {
        guard let value = Double(configText: configText) else { return nil }
        self = Float(value)
    }
}

extension Bool: ConfigScalar {
    public static var configDescription: String { "true or false" }
    public init?(configText: String) {
        switch configText.lowercased() {
        case "true", "yes", "on": self = true
        case "false", "no", "off": self = false
        default: return nil
        }
    }
}
