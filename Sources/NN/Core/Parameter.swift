import Tensors

/// A trainable tensor of a module. Its value is a leaf of differentiation (unless frozen),
/// found by path (`layer1.0.conv1.weight`) for gradients, optimizers and checkpoints.
///
/// ```swift
/// final class Scale: Module {
///     @Parameter var gain: Tensor
///     init() { _gain = Parameter(Tensor.ones([4])) }
///     override func forward(_ x: Tensor) -> Tensor { x * gain }
/// }
/// ```
@propertyWrapper
public final class Parameter {
    /// The name in paths and checkpoints when it differs from the property's name.
    public let key: String?
    private var storage: Tensor

    /// Whether an optimizer trains it (false after `Module.freeze()`).
    public private(set) var isTrainable = true

    public init(_ value: Tensor, key: String? = nil) {
        self.key = key
        storage = value.requiringGradient()
    }

    public convenience init(wrappedValue: Tensor, key: String? = nil) {
        self.init(wrappedValue, key: key)
    }

    public var wrappedValue: Tensor {
        get { storage }
        set {
            precondition(newValue.shape == storage.shape, "Parameter: new value of shape \(newValue.shape) replaces one of shape \(storage.shape)")
            storage.assign(newValue)
        }
    }

    /// The parameter object itself (`$weight`), for freezing or replacing.
    public var projectedValue: Parameter { self }

    /// Stops (or resumes) differentiation through this parameter.
    public func setTrainable(_ trainable: Bool) {
        isTrainable = trainable
        storage = trainable ? storage.requiringGradient() : storage.detached()
    }

    /// Replaces the value in place (same shape), keeping its identity for differentiation.
    public func assign(_ value: Tensor) { wrappedValue = value }

    /// Runs `body` with `value` — and its identity for differentiation — standing in for the
    /// parameter, so that gradients can be taken with respect to tensors the caller owns.
    func substituting<Result>(_ value: Tensor, _ body: () throws -> Result) rethrows -> Result {
        precondition(value.shape == storage.shape, "Parameter: substitute of shape \(value.shape) for one of shape \(storage.shape)")
        let saved = storage
        storage = value
        defer { storage = saved }
        return try body()
    }

    /// Mutates the elements in place (optimizer steps), keeping the identity.
    public func updateInPlace(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        storage.withUnsafeMutableBufferPointer(body)
    }
}

/// A parameter a layer may or may not have (a bias), nil when absent.
@propertyWrapper
public final class OptionalParameter {
    /// The parameter, when present.
    public let parameter: Parameter?

    public init(_ value: Tensor?, key: String? = nil) {
        parameter = value.map { Parameter($0, key: key) }
    }

    public var wrappedValue: Tensor? { parameter?.wrappedValue }
}

/// A tensor a module keeps but does not train (batch norm's running statistics), saved in
/// checkpoints under its path.
@propertyWrapper
public final class Buffer {
    public let key: String?
    public var wrappedValue: Tensor

    public init(_ value: Tensor, key: String? = nil) {
        self.key = key
        wrappedValue = value.detached()
    }

    public convenience init(wrappedValue: Tensor, key: String? = nil) {
        self.init(wrappedValue, key: key)
    }

    public var projectedValue: Buffer { self }
}

/// A child module stored under a different name than its property (`@Child(key: "0")`),
/// or an optional child (absent ones are skipped).
@propertyWrapper
public final class Child<Value> {
    public let key: String?
    public var wrappedValue: Value

    public init(wrappedValue: Value, key: String? = nil) {
        self.key = key
        self.wrappedValue = wrappedValue
    }
}

/// Type-erased access to `Child` for reflection.
protocol ChildContainer {
    var key: String? { get }
    var modules: [(String?, Module)] { get }
}

extension Child: ChildContainer {
    var modules: [(String?, Module)] { moduleEntries(wrappedValue) }
}

/// The modules held by a property value: one module, an optional one, or an array (named
/// by index).
func moduleEntries(_ value: Any) -> [(String?, Module)] {
    if let module = value as? Module { return [(nil, module)] }
    if let modules = value as? [Module] { return modules.enumerated().map { ("\($0.offset)", $0.element) } }
    let mirror = Mirror(reflecting: value)
    if mirror.displayStyle == .optional, let wrapped = mirror.children.first?.value { return moduleEntries(wrapped) }
    return []
}
