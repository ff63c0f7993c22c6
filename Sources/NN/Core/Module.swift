import Foundation
import Tensors

/// The base of every layer and model: a tree of child modules holding parameters and
/// buffers, each found by a dotted path equal to PyTorch's `state_dict` key for the same
/// architecture (`features.0.weight`, `layer1.0.bn1.running_mean`).
///
/// Subclasses declare parameters with `@Parameter`, buffers with `@Buffer`, children as
/// properties of a `Module` type (or arrays of them, named `0`, `1`, …), and override
/// `forward(_:)`. Calling a module (`model(x)`) runs `forward` and records the output for
/// any feature tap on it.
open class Module {
    /// Whether the module is training (dropout active, batch statistics in batch norm).
    public private(set) var isTraining = true

    /// Set while `capturingFeatures` asks for this module's output.
    fileprivate var tap: FeatureTap?
    /// Set while `capturingFeatures` asks for one of this module's `tapPoints`, by name.
    fileprivate var pointTaps: [String: FeatureTap] = [:]

    /// The tree and its parameters, read by reflection once: every step asks for them, and
    /// reflection costs more than a small model's step. See `invalidateCachedStructure()`.
    private var cachedModules: [(path: String, module: Module)]?
    private var cachedParameters: [(path: String, parameter: Parameter)]?

    public init() {}

    /// The computation; call the module (`module(x)`) rather than this.
    open func forward(_ input: Tensor) -> Tensor {
        fatalError("\(type(of: self)) must override forward(_:)")
    }

    /// Runs `forward`, recording the output when a feature tap is set on this module.
    public final func callAsFunction(_ input: Tensor) -> Tensor {
        let output = forward(input)
        tap?.record(output)
        return output
    }

    /// Runs `compute` as a call of this module, recording its output for a feature tap on
    /// it. A module whose call takes more than one input (`attention(x, mask: m)`) calls
    /// through this, or a tap on it would silently record nothing.
    public final func recordingCall(_ compute: () -> Tensor) -> Tensor {
        let output = compute()
        tap?.record(output)
        return output
    }

    /// Points inside `forward`, by name, whose values a feature tap may ask for besides the
    /// module's output (path `<module path>.<point>`): a residual block's `preact`, its sum
    /// before the last ReLU, where AB reads activation boundaries. A subclass lists the names
    /// it marks with `tapPoint(_:_:)`.
    open var tapPoints: [String] { [] }

    /// Marks `value` as the point `name` of this module's forward (one of `tapPoints`), for a
    /// feature tap that asks for it; returns `value` unchanged.
    public final func tapPoint(_ name: String, _ value: Tensor) -> Tensor {
        if !pointTaps.isEmpty { pointTaps[name]?.record(value) }
        return value
    }

    /// Records the point `name` where computing it costs work the forward does not otherwise
    /// do: `value` runs only while a tap asks for the point.
    public final func recordPoint(_ name: String, _ value: @autoclosure () -> Tensor) {
        if let tap = pointTaps[name] { tap.record(value()) }
    }

    // MARK: Tree

    /// The direct children, by name. The default reflects over stored properties; a
    /// container (`Sequential`) overrides it.
    open func namedChildren() -> [(name: String, module: Module)] {
        var result: [(String, Module)] = []
        forEachProperty { label, value in
            if let container = value as? ChildContainer {
                for (index, module) in container.modules {
                    result.append((index.map { "\(container.key ?? label).\($0)" } ?? container.key ?? label, module))
                }
            } else if !(value is Parameter || value is Buffer || value is OptionalParameter) {
                for (index, module) in moduleEntries(value) { result.append((index.map { "\(label).\($0)" } ?? label, module)) }
            }
        }
        return result
    }

    /// Replaces the direct child `name` by `replacement(child)` (an adapter around it: `LoRA`),
    /// and says whether it could; `replacement` runs only if it can. Children held in stored
    /// properties cannot be replaced, so the default refuses; a container that holds its
    /// children in a collection (`Sequential`) overrides it. The caller invalidates the cached
    /// structure of the tree it changed.
    open func replaceChild(named name: String, by replacement: (Module) -> Module) -> Bool { false }

    /// This module's own parameters (not its children's), by name.
    public func ownParameters() -> [(name: String, parameter: Parameter)] {
        var result: [(String, Parameter)] = []
        forEachProperty { label, value in
            if let parameter = (value as? Parameter) ?? (value as? OptionalParameter)?.parameter {
                result.append((parameter.key ?? label, parameter))
            }
        }
        return result
    }

    /// This module's own buffers, by name.
    public func ownBuffers() -> [(name: String, buffer: Buffer)] {
        var result: [(String, Buffer)] = []
        forEachProperty { label, value in
            if let buffer = value as? Buffer { result.append((buffer.key ?? label, buffer)) }
        }
        return result
    }

    /// Every module in the tree with its path (`""` for this one), parents first.
    public func namedModules(prefix: String = "") -> [(path: String, module: Module)] {
        if prefix.isEmpty, let cachedModules { return cachedModules }
        var result = [(prefix, self)]
        for (name, child) in namedChildren() {
            result += child.namedModules(prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
        }
        if prefix.isEmpty { cachedModules = result }
        return result
    }

    /// Forgets the cached tree. The tree is read once, on first use; a module that replaces
    /// a child (or a parameter object) after that must call this.
    public func invalidateCachedStructure() {
        cachedModules = nil
        cachedParameters = nil
    }

    /// Every parameter in the tree by path, in definition order.
    public func namedParameters() -> [(path: String, parameter: Parameter)] {
        if let cachedParameters { return cachedParameters }
        let parameters = namedModules().flatMap { path, module in
            module.ownParameters().map { (path.isEmpty ? $0.name : "\(path).\($0.name)", $0.parameter) }
        }
        cachedParameters = parameters
        return parameters
    }

    /// Every buffer in the tree by path.
    public func namedBuffers() -> [(path: String, buffer: Buffer)] {
        namedModules().flatMap { path, module in
            module.ownBuffers().map { (path.isEmpty ? $0.name : "\(path).\($0.name)", $0.buffer) }
        }
    }

    /// The trainable parameters' current values by path: the tensors to differentiate with
    /// respect to.
    public var trainableParameters: [(path: String, value: Tensor)] {
        namedParameters().filter { $0.parameter.isTrainable }.map { ($0.path, $0.parameter.wrappedValue) }
    }

    /// The number of parameter elements (trainable or not).
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.parameter.wrappedValue.count } }

    /// The module at `path`, or nil.
    public func module(at path: String) -> Module? {
        namedModules().first { $0.path == path }?.module
    }

    // MARK: Modes

    /// Switches the tree to training (true) or inference (false) mode.
    public func train(_ training: Bool = true) {
        for (_, module) in namedModules() { module.isTraining = training }
    }

    /// Inference mode for the whole tree (PyTorch's `eval()`).
    public func eval() { train(false) }

    /// Stops training every parameter in the tree (a frozen teacher).
    public func freeze() {
        for (_, parameter) in namedParameters() { parameter.setTrainable(false) }
    }

    /// Trains every parameter in the tree again.
    public func unfreeze() {
        for (_, parameter) in namedParameters() { parameter.setTrainable(true) }
    }

    // MARK: State

    /// Parameters that PyTorch's state dict lists under a second name because two modules
    /// share them (a language model's output head tied to its token embedding): alias path →
    /// the parameter's own path. `stateDict()` writes both; loading takes either.
    open var tiedParameters: [String: String] { [:] }

    /// Parameters and buffers by path, as PyTorch's `state_dict()` (tied parameters under
    /// each of their names).
    public func stateDict() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (path, parameter) in namedParameters() { state[path] = parameter.wrappedValue.detached() }
        for (path, buffer) in namedBuffers() { state[path] = buffer.wrappedValue }
        for (alias, path) in tiedParameters { state[alias] = state[path] }
        return state
    }

    /// A state dict about to be loaded, as this module reads it: PyTorch's load-state-dict
    /// pre-hook, for a module that also accepts another layout's names (one network's
    /// weights for each of several copies of it). The default reads it unchanged.
    open func stateDictForLoading(_ state: [String: Tensor]) -> [String: Tensor] { state }

    /// Loads parameters and buffers by path. With `strict`, missing and unexpected keys are
    /// errors; a wrong shape always is. The error lists every problem at once.
    public func loadStateDict(_ state: [String: Tensor], strict: Bool = true, source: String = "state dict") throws {
        var state = stateDictForLoading(state)
        var problems: [String] = []
        // A tied parameter's second name: the same values, or the only copy given.
        for (alias, path) in tiedParameters.sorted(by: { $0.key < $1.key }) {
            guard let aliased = state.removeValue(forKey: alias) else { continue }
            if let own = state[path] {
                if own.shape != aliased.shape || own.scalars != aliased.scalars { problems.append("\(alias) differs from \(path), which it is tied to") }
            } else {
                state[path] = aliased
            }
        }
        // Parameters and buffers alike: a path, the current shape, and how to store a value.
        let slots: [(path: String, shape: [Int], store: (Tensor) -> Void)] =
            namedParameters().map { entry in (entry.path, entry.parameter.wrappedValue.shape, { entry.parameter.assign($0) }) }
            + namedBuffers().map { entry in (entry.path, entry.buffer.wrappedValue.shape, { entry.buffer.wrappedValue = $0.detached() }) }
        var accepted: [(store: (Tensor) -> Void, value: Tensor)] = []
        for slot in slots {
            guard let value = state[slot.path] else {
                if strict { problems.append("missing \(slot.path)") }
                continue
            }
            guard value.shape == slot.shape else {
                problems.append("\(slot.path): shape \(value.shape), expected \(slot.shape)")
                continue
            }
            // NaN weights (a teacher saved after diverging) would make every output NaN and
            // the run's failure look like the learning rate's fault.
            guard value.withUnsafeBufferPointer({ $0.allSatisfy(\.isFinite) }) else {
                problems.append("\(slot.path) holds NaN or infinite values")
                continue
            }
            accepted.append((slot.store, value))
        }
        let expected = Set(slots.map(\.path))
        if strict {
            problems += state.keys.filter { !expected.contains($0) }.sorted().map { "unexpected \($0)" }
        }
        // All or nothing: a refused state leaves the module as it was.
        if !problems.isEmpty { throw StateDictError(source: source, problems: problems) }
        for (store, value) in accepted { store(value) }
    }

    /// Replaces parameter values by path (an optimizer step's result, or an average).
    public func update(parameters: [String: Tensor]) {
        for (path, parameter) in namedParameters() {
            if let value = parameters[path] { parameter.assign(value) }
        }
    }

    // MARK: Randomness

    /// The state of the module's own random generator (dropout has one), so that a
    /// training checkpoint can resume it exactly; nil for modules without randomness.
    open var randomState: [UInt64]? {
        get { nil }
        set {}
    }

    /// The random states of every module in the tree that has one, by path.
    public func randomStates() -> [String: [UInt64]] {
        var states: [String: [UInt64]] = [:]
        for (path, module) in namedModules() { if let state = module.randomState { states[path] = state } }
        return states
    }

    /// Restores random states saved by `randomStates()`.
    public func restoreRandomStates(_ states: [String: [UInt64]]) {
        for (path, module) in namedModules() { if let state = states[path] { module.randomState = state } }
    }

    // MARK: Feature taps

    /// Runs `body` while recording the outputs of the modules at `paths` (PyTorch's forward
    /// hooks): feature distillation names `"layer2"` or `"blocks.3"`, or a point inside a
    /// module's forward, `"layer1.0.preact"` (`tapPoints`). An unknown path is an error
    /// listing the valid ones.
    public func capturingFeatures<Result>(
        _ paths: [String], _ body: () throws -> Result
    ) throws -> (result: Result, features: [String: Tensor]) {
        let modules = Dictionary(namedModules().map { ($0.path, $0.module) }, uniquingKeysWith: { first, _ in first })
        let taps = try paths.map { path -> (path: String, module: Module, point: String?, tap: FeatureTap) in
            if let module = modules[path], !path.isEmpty { return (path, module, nil, FeatureTap()) }
            let (owner, point) = path.lastIndex(of: ".").map { (String(path[..<$0]), String(path[path.index(after: $0)...])) } ?? ("", path)
            if let module = modules[owner], module.tapPoints.contains(point) { return (path, module, point, FeatureTap()) }
            throw FeatureTapError(path: path, model: String(describing: type(of: self)), validPaths: Self.featurePaths(of: modules))
        }
        for (_, module, point, tap) in taps {
            if let point { module.pointTaps[point] = tap } else { module.tap = tap }
        }
        defer {
            for (_, module, point, _) in taps {
                if let point { module.pointTaps[point] = nil } else { module.tap = nil }
            }
        }
        let result = try body()
        var features: [String: Tensor] = [:]
        for (path, _, _, tap) in taps { if let output = tap.output { features[path] = output } }
        return (result, features)
    }

    /// Every path a feature tap may name: the modules' and their points', sorted.
    private static func featurePaths(of modules: [String: Module]) -> [String] {
        modules.flatMap { path, module in
            (path.isEmpty ? [] : [path]) + module.tapPoints.map { path.isEmpty ? $0 : "\(path).\($0)" }
        }.sorted()
    }

    /// Calls `body` with each stored property's label (without a property wrapper's `_`)
    /// and value, superclasses included.
    private func forEachProperty(_ body: (String, Any) -> Void) {
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror {
            for child in current.children {
                // The module's own bookkeeping is not part of the tree.
                guard let label = child.label, !["tap", "pointTaps", "cachedModules", "cachedParameters"].contains(label) else { continue }
                body(label.hasPrefix("_") ? String(label.dropFirst()) : label, child.value)
            }
            mirror = current.superclassMirror
        }
    }
}

/// Holds the output a tapped module produced.
final class FeatureTap {
    private(set) var output: Tensor?
    func record(_ tensor: Tensor) { output = tensor }
}

/// A feature path that names no module.
public struct FeatureTapError: Error, CustomStringConvertible {
    public let path: String
    public let model: String
    public let validPaths: [String]

    public init(path: String, model: String, validPaths: [String]) {
        (self.path, self.model, self.validPaths) = (path, model, validPaths)
    }
    public var description: String {
        "feature path '\(path)' does not exist in \(model) (valid paths: \(validPaths.prefix(40).joined(separator: ", "))\(validPaths.count > 40 ? ", …" : ""))"
    }
}

/// Keys of a state dict or checkpoint that do not fit the model, all listed.
public struct StateDictError: Error, CustomStringConvertible {
    public let source: String
    public let problems: [String]
    public init(source: String, problems: [String]) {
        self.source = source
        self.problems = problems
    }
    public var description: String { "\(source) does not fit the model: \(problems.joined(separator: "; "))" }
}
