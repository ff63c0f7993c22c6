import Foundation

struct Negation: ElementwiseFunction {
    func value(_ x: Float) -> Float { -x }
    func derivative(x: Float, y: Float) -> Float { -1 }
}

struct Exponential: ElementwiseFunction {
    func value(_ x: Float) -> Float { Foundation.exp(x) }
    func derivative(x: Float, y: Float) -> Float { y }
}

struct Logarithm: ElementwiseFunction {
    func value(_ x: Float) -> Float { Foundation.log(x) }
    func derivative(x: Float, y: Float) -> Float { 1 / x }
}

struct LogOnePlus: ElementwiseFunction {
    func value(_ x: Float) -> Float { Foundation.log1p(x) }
    func derivative(x: Float, y: Float) -> Float { 1 / (1 + x) }
}

struct SquareRoot: ElementwiseFunction {
    func value(_ x: Float) -> Float { x.squareRoot() }
    func derivative(x: Float, y: Float) -> Float { 0.5 / y }
}

struct ReciprocalSquareRoot: ElementwiseFunction {
    func value(_ x: Float) -> Float { 1 / x.squareRoot() }
    func derivative(x: Float, y: Float) -> Float { -0.5 * y * y * y }
}

struct Power: ElementwiseFunction {
    let exponent: Float
    func value(_ x: Float) -> Float {
        exponent == 2 ? x * x : Foundation.pow(x, exponent)
    }
    func derivative(x: Float, y: Float) -> Float {
        exponent == 2 ? 2 * x : exponent * Foundation.pow(x, exponent - 1)
    }
}

struct AbsoluteValue: ElementwiseFunction {
    func value(_ x: Float) -> Float { Swift.abs(x) }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}

struct Sign: ElementwiseFunction {
    func value(_ x: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
    func derivative(x: Float, y: Float) -> Float { 0 }
}

struct Sine: ElementwiseFunction {
    func value(_ x: Float) -> Float { Foundation.sin(x) }
    func derivative(x: Float, y: Float) -> Float { Foundation.cos(x) }
}

struct Cosine: ElementwiseFunction {
    func value(_ x: Float) -> Float { Foundation.cos(x) }
    func derivative(x: Float, y: Float) -> Float { -Foundation.sin(x) }
}

/// Clamps to `[lower, upper]`; the gradient passes where `lower ≤ x ≤ upper`, as in PyTorch.
struct Clamp: ElementwiseFunction {
    let lower: Float
    let upper: Float
    func value(_ x: Float) -> Float { Swift.min(Swift.max(x, lower), upper) }
    func derivative(x: Float, y: Float) -> Float { x >= lower && x <= upper ? 1 : 0 }
}

extension Tensor {
    /// eˣ, elementwise.
    public func exp() -> Tensor { applying(Exponential()) }
    /// Natural logarithm, elementwise.
    public func log() -> Tensor { applying(Logarithm()) }
    /// log(1 + x), accurate for small x.
    public func log1p() -> Tensor { applying(LogOnePlus()) }
    /// Square root, elementwise.
    public func sqrt() -> Tensor { applying(SquareRoot()) }
    /// 1/√x, elementwise.
    public func rsqrt() -> Tensor { applying(ReciprocalSquareRoot()) }
    /// |x|, elementwise (gradient 0 at 0).
    public func abs() -> Tensor { applying(AbsoluteValue()) }
    /// −1, 0 or 1 by the sign of each element (gradient 0).
    public func sign() -> Tensor { applying(Sign()) }
    /// Sine, elementwise.
    public func sin() -> Tensor { applying(Sine()) }
    /// Cosine, elementwise.
    public func cos() -> Tensor { applying(Cosine()) }

    /// Each element limited to `[min, max]` (either bound may be omitted).
    public func clamped(min lower: Float = -.infinity, max upper: Float = .infinity) -> Tensor {
        precondition(lower <= upper, "clamp: min \(lower) exceeds max \(upper)")
        return applying(Clamp(lower: lower, upper: upper))
    }
}

public func exp(_ x: Tensor) -> Tensor { x.exp() }
public func log(_ x: Tensor) -> Tensor { x.log() }
public func sqrt(_ x: Tensor) -> Tensor { x.sqrt() }
public func abs(_ x: Tensor) -> Tensor { x.abs() }
