/// One entry of a configuration (a mapping, a list or a scalar) with the file and key path it
/// came from, so that every problem becomes a `ConfigError` naming both.
///
/// This protocol is what the targets that build things from a config (loss terms, methods,
/// models) read; the YAML-backed implementation, `ConfigNode`, sits above them in
/// `Experiments`, so the YAML library stays out of the engine's targets.
///
/// The schema is the set of reads: each key a mapping is asked for (present or not) is a
/// known key, and `finish()` reports any other key as unknown, listing the known ones. A
/// section is read completely, then finished; misspelt keys never pass silently.
public protocol ConfigEntry: AnyObject {
    /// The configuration file (as given by the user).
    var file: String { get }
    /// The key path of this entry (`""` for the root).
    var path: String { get }
    /// The line of this entry in the file, where the parser knows it.
    var line: Int? { get }
    /// The keys present, in file order (an error unless this is a mapping).
    var keys: [String] { get throws }
    /// The value at `key`, or nil when absent or null (the key becomes known either way).
    func optional(_ key: String) throws -> Self?
    /// The elements of a list, with paths `key[0]`, `key[1]` …
    func elements() throws -> [Self]
    /// The scalar text of this entry; an error saying `expected` otherwise.
    func scalarText(expected: String) throws -> String
    /// Marks keys as known without reading them (keys handled by another reader).
    func allow(_ keys: [String])
    /// Fails on the first key that no read asked for, listing the known ones.
    func finish() throws
}

extension ConfigEntry {
    /// An error at this entry.
    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, key: path, message: message)
    }

    /// The value at `key`, or an error saying it is required.
    public func required(_ key: String, _ meaning: String = "") throws -> Self {
        guard let value = try optional(key) else {
            throw error("missing required key '\(key)'\(meaning.isEmpty ? "" : " (\(meaning))")")
        }
        return value
    }

    /// This entry as a value of `T`.
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

    /// The number at `key` (or `defaultValue`), which must be positive.
    public func positiveValue<T: ConfigScalar & Comparable & Numeric>(_ key: String, default defaultValue: T) throws -> T {
        let value: T = try self.value(key, default: defaultValue)
        guard value > 0 else { throw (try optional(key) ?? self).error("must be positive, found \(value)") }
        return value
    }

    /// The number at `key` (or `defaultValue`), which must lie in `range`
    /// ("must be in [0, 1], found 1.5").
    public func value<T: ConfigScalar & Comparable>(_ key: String, default defaultValue: T, in range: ClosedRange<T>) throws -> T {
        let value: T = try self.value(key, default: defaultValue)
        guard range.contains(value) else {
            throw (try optional(key) ?? self).error("must be in [\(range.lowerBound), \(range.upperBound)], found \(value)")
        }
        return value
    }

    /// The number at `key` (or `defaultValue`), which must lie in the half-open `range`
    /// ("must be in [0, 1), found 1").
    public func value<T: ConfigScalar & Comparable>(_ key: String, default defaultValue: T, in range: Range<T>) throws -> T {
        let value: T = try self.value(key, default: defaultValue)
        guard range.contains(value) else {
            throw (try optional(key) ?? self).error("must be in [\(range.lowerBound), \(range.upperBound)), found \(value)")
        }
        return value
    }

    /// The number at `key` (or `defaultValue`), which must be zero or more.
    public func nonNegativeValue<T: ConfigScalar & Comparable & Numeric>(_ key: String, default defaultValue: T) throws -> T {
        let value: T = try self.value(key, default: defaultValue)
        guard value >= 0 else { throw (try optional(key) ?? self).error("must be zero or more, found \(value)") }
        return value
    }

    /// One of `choices` at `key` (or `defaultValue`); anything else is an error listing them,
    /// calling the value `what` (`unknown loss 'kdd' (valid: …)`).
    public func choice(_ key: String, from choices: [String], default defaultValue: String? = nil, what: String = "value") throws -> String {
        guard let entry = try optional(key) else {
            guard let defaultValue else { throw error("missing required key '\(key)' (one of: \(choices.joined(separator: ", ")))") }
            return defaultValue
        }
        let text: String = try entry.value()
        guard choices.contains(text) else { throw entry.error("unknown \(what) '\(text)' (valid: \(choices.joined(separator: ", ")))") }
        return text
    }
}
