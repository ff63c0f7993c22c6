// Comparisons produce masks: tensors of 1 where the relation holds and 0 elsewhere. Masks
// do not require gradients.

extension Tensor {
    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingMap(lhs, rhs, operation: ".>", Compare(relation: .greater)) }
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingMap(lhs, rhs, operation: ".>=", Compare(relation: .greaterOrEqual)) }
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingMap(lhs, rhs, operation: ".<", Compare(relation: .less)) }
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingMap(lhs, rhs, operation: ".<=", Compare(relation: .lessOrEqual)) }
    public static func .== (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingMap(lhs, rhs, operation: ".==", Compare(relation: .equal)) }
    public static func .!= (lhs: Tensor, rhs: Tensor) -> Tensor { broadcastingMap(lhs, rhs, operation: ".!=", Compare(relation: .notEqual)) }

    public static func .> (lhs: Tensor, rhs: Float) -> Tensor { lhs .> Tensor(rhs) }
    public static func .>= (lhs: Tensor, rhs: Float) -> Tensor { lhs .>= Tensor(rhs) }
    public static func .< (lhs: Tensor, rhs: Float) -> Tensor { lhs .< Tensor(rhs) }
    public static func .<= (lhs: Tensor, rhs: Float) -> Tensor { lhs .<= Tensor(rhs) }
    public static func .== (lhs: Tensor, rhs: Float) -> Tensor { lhs .== Tensor(rhs) }
    public static func .!= (lhs: Tensor, rhs: Float) -> Tensor { lhs .!= Tensor(rhs) }
}

/// Elements of `a` where `mask` is nonzero and of `b` elsewhere, all three broadcast
/// together. Unlike `mask * a + (1 - mask) * b`, an infinity or NaN in the unselected
/// operand does not leak into the result or its gradient.
public func `where`(_ mask: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let shape = broadcastShapesOrFail(
        broadcastShapesOrFail(mask.shape, a.shape, operation: "where"), b.shape, operation: "where")
    let m = mask.broadcast(to: shape).detached()
    let result = mapElements(m, a.detached().broadcast(to: shape), b.detached().broadcast(to: shape), Select())
    guard Tensor.shouldRecord(a, b) else { return result }
    return result.recorded(inputs: [a, b]) { g, needed in
        [
            needed[0] ? mapElements(m, g, MaskGradient(inverted: false)).sum(toShape: a.shape) : nil,
            needed[1] ? mapElements(m, g, MaskGradient(inverted: true)).sum(toShape: b.shape) : nil,
        ]
    }
}

/// The larger of `a` and `b` elementwise, broadcast; on ties the gradient goes to `a`.
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    `where`(a .>= b, a, b)
}

/// The smaller of `a` and `b` elementwise, broadcast; on ties the gradient goes to `a`.
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
    `where`(a .<= b, a, b)
}
