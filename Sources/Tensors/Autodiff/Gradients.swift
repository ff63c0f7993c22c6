/// The gradients of `output` with respect to each tensor in `targets`.
///
/// `output` must have one element unless `seed` (the gradient of some scalar with respect
/// to `output`, same shape) is given, which computes a vector-Jacobian product. A target
/// that `output` does not depend on gets zeros. Only the part of the tape that leads to a
/// target is traversed, so asking for the gradient of an input alone (as attacks do) skips
/// the parameter gradients. The pullbacks run without recording: derivatives are first
/// order.
public func gradients(of output: Tensor, wrt targets: [Tensor], seed: Tensor? = nil) -> [Tensor] {
    zip(targets, reachedGradients(of: output, wrt: targets, seed: seed)).map { target, gradient in gradient ?? Tensor.zeros(target.shape) }
}

/// The gradients of `output` with respect to each tensor in `targets`, nil for a target
/// `output` does not depend on: PyTorch's `grad` left `None`, which its optimizers skip (no
/// weight decay, no momentum step) where a zero gradient would still move the weights.
public func reachedGradients(of output: Tensor, wrt targets: [Tensor], seed: Tensor? = nil) -> [Tensor?] {
    let initial: Tensor
    if let seed {
        precondition(seed.shape == output.shape, "gradients: seed shape \(seed.shape) does not match output shape \(output.shape)")
        initial = seed.detached()
    } else {
        precondition(output.count == 1, "gradients: output of shape \(output.shape) is not a scalar; pass a seed")
        initial = Tensor(shape: output.shape, repeating: 1)
    }
    guard let root = output.gradientNode else {
        return targets.map { _ in nil }
    }

    // Post-order: every node comes after the nodes of its inputs.
    let (order, index) = topologicalOrder(from: root)

    var isTarget = [Bool](repeating: false, count: order.count)
    for target in targets {
        if let node = target.gradientNode, let i = index[ObjectIdentifier(node)] { isTarget[i] = true }
    }
    // A node is worth differentiating only if some target lies at or below it.
    var leadsToTarget = isTarget
    for (i, node) in order.enumerated() where !leadsToTarget[i] {
        leadsToTarget[i] = node.inputs.contains { input in input.map { leadsToTarget[index[ObjectIdentifier($0)]!] } ?? false }
    }

    var accumulated = [Tensor?](repeating: nil, count: order.count)
    accumulated[order.count - 1] = initial
    withoutGradients {
        for i in stride(from: order.count - 1, through: 0, by: -1) {
            guard let gradient = accumulated[i], leadsToTarget[i] else { continue }
            let node = order[i]
            if !isTarget[i] { accumulated[i] = nil }  // free intermediate gradients as we go
            guard let pullback = node.pullback else { continue }
            let inputIndices = node.inputs.map { $0.map { index[ObjectIdentifier($0)]! } }
            let needed = inputIndices.map { $0.map { leadsToTarget[$0] } ?? false }
            guard needed.contains(true) else { continue }
            let inputGradients = pullback(gradient, needed)
            for (slot, inputGradient) in zip(inputIndices, inputGradients) {
                guard let slot, let inputGradient, leadsToTarget[slot] else { continue }
                if let existing = accumulated[slot] {
                    accumulated[slot] = existing + inputGradient
                } else {
                    accumulated[slot] = inputGradient
                }
            }
        }
    }
    return targets.map { target in
        guard let node = target.gradientNode, let i = index[ObjectIdentifier(node)], let g = accumulated[i] else {
            return nil
        }
        precondition(g.shape == target.shape, "gradients: internal error, gradient shape \(g.shape) for tensor of shape \(target.shape)")
        return g
    }
}

/// The value of `function` at `inputs` and its gradients with respect to each input.
public func valueAndGradients(
    at inputs: [Tensor], of function: ([Tensor]) -> Tensor
) -> (value: Tensor, gradients: [Tensor]) {
    let leaves = inputs.map { $0.requiringGradient() }
    let value = function(leaves)
    return (value.detached(), gradients(of: value, wrt: leaves))
}

/// Iterative depth-first post-order (deep graphs must not overflow the stack), and each
/// node's position in it.
private func topologicalOrder(from root: GradientNode) -> ([GradientNode], [ObjectIdentifier: Int]) {
    var order: [GradientNode] = []
    // A node's position once finished; -1 while it is still on the stack.
    var position: [ObjectIdentifier: Int] = [ObjectIdentifier(root): -1]
    // Two parallel stacks rather than a stack of tuples (cheaper to allocate and walk).
    var stack: [GradientNode] = [root]
    var nextInputs: [Int] = [0]
    while let node = stack.last {
        let nextInput = nextInputs[nextInputs.count - 1]
        if nextInput < node.inputs.count {
            nextInputs[nextInputs.count - 1] = nextInput + 1
            if let input = node.inputs[nextInput], position[ObjectIdentifier(input)] == nil {
                position[ObjectIdentifier(input)] = -1
                stack.append(input)
                nextInputs.append(0)
            }
        } else {
            stack.removeLast()
            nextInputs.removeLast()
            position[ObjectIdentifier(node)] = order.count
            order.append(node)
        }
    }
    return (order, position)
}
