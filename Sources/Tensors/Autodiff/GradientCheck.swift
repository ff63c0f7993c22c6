/// The outcome of `checkGradients`: the worst disagreement between the pullbacks and
/// central finite differences.
public struct GradientCheckResult: CustomStringConvertible {
    /// The largest `|analytic − numerical| − relativeTolerance·|numerical|` seen.
    public let worstExcess: Float
    /// Which input and element it was at, and both values there.
    public let worstInput: Int
    public let worstElement: Int
    public let analytic: Float
    public let numerical: Float
    /// Whether every element agreed within the tolerances.
    public let passed: Bool

    public var description: String {
        "gradient check \(passed ? "passed" : "FAILED"): input \(worstInput) element \(worstElement): analytic \(analytic), numerical \(numerical)"
    }
}

/// Compares the gradients that the pullbacks give for `function` at `inputs` with central
/// finite differences, as `torch.autograd.gradcheck` does.
///
/// A non-scalar output is projected onto fixed random weights first, so every output
/// element is checked. In Float32 a step of 1e-3 and tolerances of 5e-3 separate rounding
/// noise from real errors (a wrong sign or factor shows up as O(1)). Inputs must be away
/// from kinks (|x| > step for relu, abs, max …). The perturbed objective is accumulated in
/// Double, so the remaining noise is the op's own Float32 rounding.
public func checkGradients(
    of function: ([Tensor]) -> Tensor, at inputs: [Tensor],
    step: Float = 1e-3, absoluteTolerance: Float = 5e-3, relativeTolerance: Float = 5e-3, seed: UInt64 = 1234
) -> GradientCheckResult {
    let probe = withoutGradients { function(inputs) }
    var generator = RandomGenerator(seed: seed)
    let projection = probe.count == 1 ? Tensor.ones(probe.shape) : Tensor.normal(probe.shape, using: &generator)
    func objective(_ values: [Tensor]) -> Tensor { (function(values) * projection).sum() }

    let weights = projection.scalars
    let leaves = inputs.map { $0.requiringGradient() }
    let analytic = gradients(of: objective(leaves), wrt: leaves).map(\.scalars)

    var worst = (excess: -Float.infinity, input: 0, element: 0, analytic: Float(0), numerical: Float(0))
    var passed = true
    for (i, input) in inputs.enumerated() {
        for j in 0..<input.count {
            // The projection is summed in Double here: a Float sum over many outputs
            // would add rounding noise of the same order as the differences measured.
            func evaluate(_ delta: Float) -> Double {
                var perturbed = input
                perturbed.withUnsafeMutableBufferPointer { $0[j] += delta }
                var values = inputs
                values[i] = perturbed
                let output = withoutGradients { function(values) }.scalars
                return zip(output, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            }
            let numerical = Float((evaluate(step) - evaluate(-step)) / (2 * Double(step)))
            let error = Swift.abs(analytic[i][j] - numerical)
            let excess = error - relativeTolerance * Swift.abs(numerical)
            if excess > absoluteTolerance || !error.isFinite { passed = false }
            if excess > worst.excess || !error.isFinite {
                worst = (error.isFinite ? excess : .infinity, i, j, analytic[i][j], numerical)
            }
        }
    }
    return GradientCheckResult(
        worstExcess: worst.excess, worstInput: worst.input, worstElement: worst.element,
        analytic: worst.analytic, numerical: worst.numerical, passed: passed)
}
