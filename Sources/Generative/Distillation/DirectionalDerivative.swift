import Tensors

/// The Jacobian-vector product of `function` — a map of samples `x` (`[N, …]`) and
/// per-sample times `t` (`[N]`) to `[N, …]`, each sample's output depending on its own
/// inputs alone — in the direction (`tangent`, `timeTangent`), by the central difference
/// `(F(x + h·v, t + h·u) − F(x − h·v, t − h·u)) / 2h`.
///
/// Central differences rather than forward-mode autodiff: two forward passes serve every
/// op a denoiser uses (convolution, normalisation, attention) with no second derivative
/// rule to write and check per op, at the cost of a truncation error `O(h²)` and a rounding
/// error `O(ε_float / h)` — about 10⁻⁴ relative at the default `h = 10⁻³` in `Float`,
/// against a consistency tangent that is normalised to unit length anyway. The test checks
/// it against the exact product from reverse-mode Jacobians.
public func centralDifferenceJVP(of function: (_ x: Tensor, _ t: Tensor) -> Tensor, at x: Tensor, times t: Tensor,
                                 tangent: Tensor, timeTangent: Tensor, step h: Float = 1e-3) -> Tensor {
    precondition(tangent.shape == x.shape && timeTangent.shape == t.shape, "centralDifferenceJVP: tangents shaped as the point")
    return withoutGradients {
        let forward = function(x + h * tangent, t + h * timeTangent)
        let backward = function(x - h * tangent, t - h * timeTangent)
        return (forward - backward) / (2 * h)
    }
}
