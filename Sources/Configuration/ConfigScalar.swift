import Foundation

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
