import Foundation

// Elementwise kernels are generic over these function types rather than taking closures:
// a closure called from inside a `concurrentPerform` chunk stays an indirect call per
// element, while a generic parameter is specialised and inlined into the loop.

/// A scalar function of one `Float`.
protocol UnaryScalarFunction {
    func callAsFunction(_ x: Float) -> Float
}

/// A scalar function of two `Float`s.
protocol BinaryScalarFunction {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

/// A scalar function of three `Float`s.
protocol TernaryScalarFunction {
    func callAsFunction(_ a: Float, _ b: Float, _ c: Float) -> Float
}

struct Add: BinaryScalarFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
struct Subtract: BinaryScalarFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
struct Multiply: BinaryScalarFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
struct Divide: BinaryScalarFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
/// `−a / b`: the quotient's gradient with respect to the divisor, given `g·q` and `b`.
struct NegatedDivide: BinaryScalarFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { -a / b } }
struct RaiseToPower: BinaryScalarFunction { func callAsFunction(_ a: Float, _ b: Float) -> Float { Foundation.pow(a, b) } }

/// 1 where `a` and `b` are in the relation, else 0.
struct Compare: BinaryScalarFunction {
    enum Relation { case greater, greaterOrEqual, less, lessOrEqual, equal, notEqual }
    let relation: Relation
    @inline(__always)
    func callAsFunction(_ a: Float, _ b: Float) -> Float {
        let holds: Bool
        switch relation {
        case .greater: holds = a > b
        case .greaterOrEqual: holds = a >= b
        case .less: holds = a < b
        case .lessOrEqual: holds = a <= b
        case .equal: holds = a == b
        case .notEqual: holds = a != b
        }
        return holds ? 1 : 0
    }
}

/// `a` where the mask is nonzero, else `b`.
struct Select: TernaryScalarFunction {
    func callAsFunction(_ mask: Float, _ a: Float, _ b: Float) -> Float { mask != 0 ? a : b }
}

/// `g` where the mask is nonzero (or zero, when `inverted`), else 0.
struct MaskGradient: BinaryScalarFunction {
    let inverted: Bool
    func callAsFunction(_ mask: Float, _ g: Float) -> Float { (mask != 0) != inverted ? g : 0 }
}

/// `p·(log p − q)`, 0 where `p = 0`: the pointwise KL term of a target `p` and a
/// log-probability `q`.
struct KLPointwise: BinaryScalarFunction {
    func callAsFunction(_ p: Float, _ q: Float) -> Float { p > 0 ? p * (Foundation.log(p) - q) : 0 }
}

/// `log p + 1 − q`, 0 where `p = 0`: the KL term's derivative with respect to `p`.
struct KLTargetDerivative: BinaryScalarFunction {
    func callAsFunction(_ p: Float, _ q: Float) -> Float { p > 0 ? Foundation.log(p) + 1 - q : 0 }
}

/// `max(x, 0) − x·y + log(1 + e^(−|x|))`: binary cross-entropy of a logit `x` and target `y`.
struct BinaryCrossEntropyPointwise: BinaryScalarFunction {
    func callAsFunction(_ x: Float, _ y: Float) -> Float { Swift.max(x, 0) - x * y + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }
}

/// `g·(σ(x) − y)`: binary cross-entropy's gradient with respect to the logit.
struct BinaryCrossEntropyLogitGradient: TernaryScalarFunction {
    func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { g * (1 / (1 + Foundation.exp(-x)) - y) }
}

/// The value of an `ElementwiseFunction`.
struct ValueOf<F: ElementwiseFunction>: UnaryScalarFunction {
    let function: F
    @inline(__always) func callAsFunction(_ x: Float) -> Float { function.value(x) }
}

/// `g · f′(x)` for an `ElementwiseFunction` f, given `g`, `x` and `y = f(x)`.
struct ChainRule<F: ElementwiseFunction>: TernaryScalarFunction {
    let function: F
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { g * function.derivative(x: x, y: y) }
}

/// A scalar closure for cold paths over reduced tensors (one value per row), where an
/// indirect call per element does not matter.
struct ScalarClosure2: BinaryScalarFunction {
    let body: (Float, Float) -> Float
    func callAsFunction(_ a: Float, _ b: Float) -> Float { body(a, b) }
}

struct ScalarClosure1: UnaryScalarFunction {
    let body: (Float) -> Float
    func callAsFunction(_ x: Float) -> Float { body(x) }
}

