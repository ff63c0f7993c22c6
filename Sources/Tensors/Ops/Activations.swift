import Foundation

struct ReLU: ElementwiseFunction {
    func value(_ x: Float) -> Float { x > 0 ? x : 0 }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : 0 }
}

struct LeakyReLU: ElementwiseFunction {
    let negativeSlope: Float
    func value(_ x: Float) -> Float { x > 0 ? x : negativeSlope * x }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : negativeSlope }
}

struct ELU: ElementwiseFunction {
    let alpha: Float
    func value(_ x: Float) -> Float { x > 0 ? x : alpha * Foundation.expm1(x) }
    func derivative(x: Float, y: Float) -> Float { x > 0 ? 1 : y + alpha }
}

struct Sigmoid: ElementwiseFunction {
    func value(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
    func derivative(x: Float, y: Float) -> Float { y * (1 - y) }
}

struct HyperbolicTangent: ElementwiseFunction {
    func value(_ x: Float) -> Float { Foundation.tanh(x) }
    func derivative(x: Float, y: Float) -> Float { 1 - y * y }
}

struct SiLU: ElementwiseFunction {
    func value(_ x: Float) -> Float { x / (1 + Foundation.exp(-x)) }
    func derivative(x: Float, y: Float) -> Float {
        let s = 1 / (1 + Foundation.exp(-x))
        return s * (1 + x * (1 - s))
    }
}

/// log(1 + e^(βx))/β, linear above `threshold` as in PyTorch.
struct Softplus: ElementwiseFunction {
    let beta: Float
    let threshold: Float
    func value(_ x: Float) -> Float {
        let z = beta * x
        return z > threshold ? x : (Swift.max(z, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(z)))) / beta
    }
    func derivative(x: Float, y: Float) -> Float {
        let z = beta * x
        return z > threshold ? 1 : 1 / (1 + Foundation.exp(-z))
    }
}

/// x·Φ(x) with the exact normal CDF.
struct GELU: ElementwiseFunction {
    func value(_ x: Float) -> Float { 0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752)) }
    func derivative(x: Float, y: Float) -> Float {
        let cdf = 0.5 * (1 + Foundation.erf(x * 0.70710678118654752))
        let pdf = Foundation.exp(-0.5 * x * x) * 0.3989422804014327
        return cdf + x * pdf
    }
}

/// 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), the approximation of GPT-2 and BERT.
struct GELUTanh: ElementwiseFunction {
    private static let c: Float = 0.7978845608028654
    func value(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.tanh(Self.c * (x + 0.044715 * x * x * x)))
    }
    func derivative(x: Float, y: Float) -> Float {
        let t = Foundation.tanh(Self.c * (x + 0.044715 * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Self.c * (1 + 3 * 0.044715 * x * x)
    }
}

/// Which formula `gelu` uses.
public enum GELUApproximation: Sendable {
    /// x·Φ(x) with the exact normal CDF (PyTorch's default).
    case none
    /// The tanh approximation (PyTorch's `approximate="tanh"`).
    case tanh
}

extension Tensor {
    /// max(x, 0).
    public func relu() -> Tensor { applying(ReLU()) }
    /// x for x > 0, `negativeSlope`·x otherwise.
    public func leakyRelu(negativeSlope: Float = 0.01) -> Tensor { applying(LeakyReLU(negativeSlope: negativeSlope)) }
    /// x for x > 0, α(eˣ − 1) otherwise (Clevert et al., 2016).
    public func elu(alpha: Float = 1) -> Tensor { applying(ELU(alpha: alpha)) }
    /// Gaussian error linear unit (Hendrycks & Gimpel, 2016).
    public func gelu(approximation: GELUApproximation = .none) -> Tensor {
        switch approximation {
        case .none: return applying(GELU())
        case .tanh: return applying(GELUTanh())
        }
    }
    /// x·σ(x) (also called swish).
    public func silu() -> Tensor { applying(SiLU()) }
    /// 1/(1 + e⁻ˣ).
    public func sigmoid() -> Tensor { applying(Sigmoid()) }
    /// Hyperbolic tangent.
    public func tanh() -> Tensor { applying(HyperbolicTangent()) }
    /// log(1 + e^(βx))/β, linear where βx exceeds `threshold`.
    public func softplus(beta: Float = 1, threshold: Float = 20) -> Tensor {
        applying(Softplus(beta: beta, threshold: threshold))
    }
}
