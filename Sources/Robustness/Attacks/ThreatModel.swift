import Foundation
import Tensors

/// The perturbations an attack may make: a ball of radius `epsilon` in the L∞ or L2 norm
/// around each input, intersected with the valid input range.
public struct ThreatModel: Sendable, Equatable {
    public enum Norm: String, Sendable, CaseIterable {
        case linf, l2
    }

    public var norm: Norm
    public var epsilon: Float
    /// The valid range of every input value (images scaled to [0, 1] by default).
    public var inputRange: ClosedRange<Float>

    public init(norm: Norm = .linf, epsilon: Float, inputRange: ClosedRange<Float> = 0...1) {
        precondition(epsilon >= 0, "ThreatModel: epsilon \(epsilon) must be non-negative")
        (self.norm, self.epsilon, self.inputRange) = (norm, epsilon, inputRange)
    }

    /// Why `epsilon` cannot be a budget in `norm` for inputs of `inputDimension` values (when
    /// known) in `inputRange`, or nil when it can. A budget wider than the whole input space
    /// lets an attack replace any input, so it measures nothing.
    public static func budgetProblem(_ epsilon: Float, norm: Norm, inputDimension: Int? = nil, inputRange: ClosedRange<Float> = 0...1) -> String? {
        guard epsilon.isFinite, epsilon >= 0 else { return "must be a finite number ≥ 0, found \(epsilon)" }
        let width = inputRange.upperBound - inputRange.lowerBound
        switch norm {
        case .linf:
            if epsilon > width { return "\(epsilon) exceeds \(width), the width of the input range \(inputRange): every input could be replaced" }
        case .l2:
            if let inputDimension, epsilon > width * Float(inputDimension).squareRoot() {
                return "\(epsilon) exceeds \(width * Float(inputDimension).squareRoot()), the L2 diameter of \(inputDimension) inputs in \(inputRange): every input could be replaced"
            }
        }
        return nil
    }

    /// The nearest point to `adversarial` in the ball around `clean`, then clipped to the
    /// input range. Clipping moves each coordinate toward `clean` (which is in range), so
    /// it never leaves the ball: the result is within budget in both norms.
    public func project(_ adversarial: Tensor, around clean: Tensor) -> Tensor {
        let delta = adversarial - clean
        let bounded: Tensor
        switch norm {
        case .linf:
            bounded = delta.clamped(min: -epsilon, max: epsilon)
        case .l2:
            let norms = perSampleNorms(delta)
            bounded = delta * minimum(Tensor(1), epsilon / maximum(norms, Tensor(1e-12))).reshaped(perSampleShape(of: delta))
        }
        return (clean + bounded).clamped(min: inputRange.lowerBound, max: inputRange.upperBound)
    }

    /// A uniformly random point of the ball (L∞: each coordinate uniform; L2: a uniform
    /// direction with radius ε·u^(1/d)), projected into range.
    public func randomStart(around clean: Tensor, using generator: inout RandomGenerator) -> Tensor {
        switch norm {
        case .linf:
            return project(clean + Tensor.uniform(clean.shape, low: -epsilon, high: epsilon, using: &generator), around: clean)
        case .l2:
            let direction = Tensor.normal(clean.shape, using: &generator)
            let dimension = Float(clean.count / Swift.max(clean.shape[0], 1))
            let radii = Tensor((0..<clean.shape[0]).map { _ in epsilon * Foundation.pow(generator.nextUniform(), 1 / dimension) })
            let unit = direction / maximum(perSampleNorms(direction), Tensor(1e-12)).reshaped(perSampleShape(of: clean))
            return project(clean + unit * radii.reshaped(perSampleShape(of: clean)), around: clean)
        }
    }

    /// The steepest-ascent step of length `stepSize` (per sample: `[N]`, or one for all) for
    /// a gradient: `α·sign(g)` in L∞, `α·g/‖g‖₂` in L2.
    public func ascentStep(_ gradient: Tensor, stepSize: Tensor) -> Tensor {
        let perSample = stepSize.count == 1 ? stepSize : stepSize.reshaped(perSampleShape(of: gradient))
        switch norm {
        case .linf:
            return gradient.sign() * perSample
        case .l2:
            return gradient / maximum(perSampleNorms(gradient), Tensor(1e-12)).reshaped(perSampleShape(of: gradient)) * perSample
        }
    }

    /// The size of each sample's perturbation in this norm, `[N]`.
    public func perturbationSizes(_ adversarial: Tensor, from clean: Tensor) -> [Float] {
        let delta = (adversarial - clean).reshaped([clean.shape[0], -1])
        return delta.norm(norm == .linf ? .infinity : .l2, axes: [1]).scalars
    }
}

/// The L2 norm of each sample `[N]`.
func perSampleNorms(_ x: Tensor) -> Tensor {
    x.reshaped([x.shape[0], -1]).norm(.l2, axes: [1])
}

/// `[N, 1, 1, …]`: broadcasts a per-sample value over a batch shaped like `x`.
func perSampleShape(of x: Tensor) -> [Int] {
    [x.shape[0]] + [Int](repeating: 1, count: x.rank - 1)
}
