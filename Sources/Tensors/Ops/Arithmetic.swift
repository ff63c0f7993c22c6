// Arithmetic with NumPy broadcasting. Each pullback sums the gradient back to its
// operand's shape where the operand was broadcast.

extension Tensor {
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        let result = broadcastingMap(lhs, rhs, operation: "add", Add())
        guard shouldRecord(lhs, rhs) else { return result }
        return result.recorded(inputs: [lhs, rhs]) { g, needed in
            [needed[0] ? g.sum(toShape: lhs.shape) : nil, needed[1] ? g.sum(toShape: rhs.shape) : nil]
        }
    }

    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        let result = broadcastingMap(lhs, rhs, operation: "subtract", Subtract())
        guard shouldRecord(lhs, rhs) else { return result }
        return result.recorded(inputs: [lhs, rhs]) { g, needed in
            [needed[0] ? g.sum(toShape: lhs.shape) : nil, needed[1] ? (-g).sum(toShape: rhs.shape) : nil]
        }
    }

    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        let result = broadcastingMap(lhs, rhs, operation: "multiply", Multiply())
        guard shouldRecord(lhs, rhs) else { return result }
        let a = lhs.detached(), b = rhs.detached()
        return result.recorded(inputs: [lhs, rhs]) { g, needed in
            [needed[0] ? (g * b).sum(toShape: a.shape) : nil, needed[1] ? (g * a).sum(toShape: b.shape) : nil]
        }
    }

    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        let result = broadcastingMap(lhs, rhs, operation: "divide", Divide())
        guard shouldRecord(lhs, rhs) else { return result }
        let a = lhs.detached(), b = rhs.detached(), quotient = result.detached()
        return result.recorded(inputs: [lhs, rhs]) { g, needed in
            [
                needed[0] ? (g / b).sum(toShape: a.shape) : nil,
                needed[1] ? broadcastingMap(g * quotient, b, operation: "divide", NegatedDivide()).sum(toShape: b.shape) : nil,
            ]
        }
    }

    public static prefix func - (operand: Tensor) -> Tensor {
        operand.applying(Negation())
    }

    // Scalars broadcast as rank-0 tensors: one code path for the pullbacks.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs + Tensor(rhs) }
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) + rhs }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs - Tensor(rhs) }
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) - rhs }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs * Tensor(rhs) }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) * rhs }
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs / Tensor(rhs) }
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { Tensor(lhs) / rhs }

    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs = lhs + rhs }
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs - rhs }
    public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs * rhs }
    public static func /= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs / rhs }

    /// `self` raised to the power `exponent`, elementwise.
    public func pow(_ exponent: Float) -> Tensor { applying(Power(exponent: exponent)) }

    /// `self` squared, elementwise.
    public func squared() -> Tensor { self * self }
}

/// `base` raised to `exponent` elementwise, with broadcasting. The gradient with respect
/// to the exponent is `base^exponent · log(base)`, defined where `base > 0`.
public func pow(_ base: Tensor, _ exponent: Tensor) -> Tensor {
    let result = broadcastingMap(base, exponent, operation: "pow", RaiseToPower())
    guard Tensor.shouldRecord(base, exponent) else { return result }
    let a = base.detached(), b = exponent.detached(), y = result.detached()
    return result.recorded(inputs: [base, exponent]) { g, needed in
        [
            needed[0] ? (g * b * pow(a, b - 1)).sum(toShape: a.shape) : nil,
            needed[1] ? (g * y * a.log()).sum(toShape: b.shape) : nil,
        ]
    }
}

import Foundation
