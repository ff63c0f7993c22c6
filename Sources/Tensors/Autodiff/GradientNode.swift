/// One recorded operation in the dynamic tape: the nodes of its differentiable inputs and
/// the pullback that maps the gradient of its output to gradients of those inputs.
///
/// The tape is the graph of these nodes, reachable only from the tensors that hold them:
/// when the last tensor of a step goes away, so does its tape.
@usableFromInline
final class GradientNode {
    /// Maps the gradient of the output to one gradient per input; `needed[i]` is false
    /// for inputs whose gradient nobody asked for, and the pullback may return `nil` there.
    typealias Pullback = (_ gradient: Tensor, _ needed: [Bool]) -> [Tensor?]

    let inputs: [GradientNode?]
    let pullback: Pullback?

    /// A leaf: a tensor the user asked gradients for.
    init() {
        inputs = []
        pullback = nil
    }

    init(inputs: [GradientNode?], pullback: @escaping Pullback) {
        self.inputs = inputs
        self.pullback = pullback
    }
}

/// Whether operations record pullbacks. On by default; off inside `withoutGradients`.
public enum GradientRecording {
    @TaskLocal static var isEnabled = true

    /// True when operations on tensors that require gradients are being recorded.
    public static var isActive: Bool { isEnabled }
}

/// Runs `body` without recording: results of operations inside do not require gradients.
/// Use for evaluation, for teachers, and for updates to parameters.
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GradientRecording.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// Whether gradients flow back through this tensor.
    public var requiresGradient: Bool { gradientNode != nil }

    /// The same values as a new leaf of differentiation: `gradients(of:wrt:)` can ask for
    /// the gradient with respect to the result. Parameters and attacked inputs start here.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, storage: storage, gradientNode: GradientNode())
    }

    /// The same values, cut off from differentiation (PyTorch's `detach()`).
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// True when an operation on `inputs` must record a pullback.
    @inline(__always)
    static func shouldRecord(_ a: Tensor) -> Bool {
        a.gradientNode != nil && GradientRecording.isEnabled
    }

    @inline(__always)
    static func shouldRecord(_ a: Tensor, _ b: Tensor) -> Bool {
        (a.gradientNode != nil || b.gradientNode != nil) && GradientRecording.isEnabled
    }

    @inline(__always)
    static func shouldRecord(_ inputs: [Tensor]) -> Bool {
        inputs.contains { $0.gradientNode != nil } && GradientRecording.isEnabled
    }

    /// This tensor as the output of an operation on `inputs`, differentiated by `pullback`.
    /// Call only when `shouldRecord` is true, so that no closure is built otherwise.
    func recorded(inputs: [Tensor], pullback: @escaping GradientNode.Pullback) -> Tensor {
        var nodes: [GradientNode?] = []
        nodes.reserveCapacity(inputs.count)
        for input in inputs { nodes.append(input.gradientNode) }
        return Tensor(shape: shape, storage: storage, gradientNode: GradientNode(inputs: nodes, pullback: pullback))
    }
}
