import NN
import Tensors

/// Updates a model's trainable parameters from their gradients (keyed by path, as
/// `Module.valueAndGradients` returns them). Optimizers keep per-parameter state by path,
/// which `stateDict()`/`loadStateDict(_:)` save and restore for exact resumption.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step (schedules set it).
    var learningRate: Float { get set }
    /// The number of steps taken.
    var step: Int { get }
    /// Applies one step.
    func update(_ model: Module, gradients: [String: Tensor])
    /// The optimizer's state (per-parameter buffers and the step count).
    func stateDict() -> [String: Tensor]
    /// Restores a state saved by `stateDict()`.
    func loadStateDict(_ state: [String: Tensor]) throws
}

/// The per-parameter buffers every optimizer keeps, by parameter path and buffer name,
/// with the step count; saved as `"<path>/<buffer>"` plus `"step"`.
struct OptimizerState {
    var buffers: [String: Tensor] = [:]
    var step = 0

    func buffer(_ path: String, _ name: String) -> Tensor? { buffers["\(path)/\(name)"] }
    mutating func setBuffer(_ path: String, _ name: String, _ value: Tensor) { buffers["\(path)/\(name)"] = value }

    func saved() -> [String: Tensor] { buffers.merging(["step": Tensor(Float(step))]) { $1 } }

    mutating func load(_ state: [String: Tensor]) throws {
        guard let step = state["step"] else { throw StateDictError(source: "optimizer state", problems: ["missing step"]) }
        self.step = Int(step.item)
        buffers = state.filter { $0.key != "step" }
    }
}

extension Optimizer {
    /// Calls `body(path, parameter, gradient)` for each trainable parameter that has a
    /// gradient; the body updates the parameter in place.
    func forEachTrainable(_ model: Module, _ gradients: [String: Tensor], _ body: (String, Parameter, Tensor) -> Void) {
        for (path, parameter) in model.namedParameters() where parameter.isTrainable {
            guard let gradient = gradients[path] else { continue }
            precondition(gradient.shape == parameter.wrappedValue.shape, "\(type(of: self)): gradient of \(path) has shape \(gradient.shape), expected \(parameter.wrappedValue.shape)")
            body(path, parameter, gradient)
        }
    }
}

extension OptimizerState {
    /// Runs `body` with mutable pointers to the named buffers of `path` (created as zeros
    /// of `count` elements on first use) and whether they were just created.
    mutating func withBuffers(
        _ path: String, _ names: [String], count: Int,
        _ body: (_ buffers: [UnsafeMutablePointer<Float>], _ fresh: Bool) -> Void
    ) {
        let fresh = buffer(path, names[0]) == nil
        var tensors = names.map { buffer(path, $0) ?? Tensor.zeros([count]) }
        // Take the buffers out of the dictionary so that each is uniquely referenced and
        // mutates in place.
        for name in names { buffers["\(path)/\(name)"] = nil }
        var pointers: [UnsafeMutablePointer<Float>] = []
        for i in tensors.indices { pointers.append(tensors[i].withUnsafeMutableBufferPointer { $0.baseAddress! }) }
        body(pointers, fresh)
        for (name, tensor) in zip(names, tensors) { buffers["\(path)/\(name)"] = tensor }
    }
}

/// `x`, or 0 where it is subnormal. An optimizer's running averages for a weight whose
/// gradient stays zero (a dead unit) decay geometrically into subnormal numbers, where each
/// multiply costs about a hundred cycles; flushed, the step they would have made — far below
/// the weight's own precision — is simply not made.
@inline(__always)
func flushingSubnormal(_ x: Float) -> Float {
    Swift.abs(x) < .leastNormalMagnitude ? 0 : x
}
