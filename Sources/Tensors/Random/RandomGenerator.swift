import Foundation

/// A seedable pseudo-random generator whose streams are identical across runs, machines
/// and Swift versions: xoshiro256** (Blackman & Vigna, 2018) seeded through SplitMix64.
///
/// Every random operation in Distillery takes a generator explicitly (`using: &rng`), so a
/// run is reproduced by its seeds. The `state` can be saved in a checkpoint and restored.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The four 64-bit words of xoshiro256** state.
    public private(set) var state: [UInt64]

    /// A generator whose stream is determined by `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix()]
    }

    /// A generator resuming from a saved `state` (four words, not all zero).
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "RandomGenerator: state must be four words, not all zero")
        self.state = state
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotateLeft(state[3], 45)
        return result
    }

    /// A uniform `Float` in [0, 1), from the top 24 bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform `Double` in (0, 1], from the top 53 bits.
    mutating func nextOpenClosedUnit() -> Double {
        (Double(next() >> 11) + 1) * 0x1p-53
    }

    /// A standard normal sample (Box–Muller, computed in `Double`).
    public mutating func nextNormal() -> Float {
        let radius = (-2 * Foundation.log(nextOpenClosedUnit())).squareRoot()
        let angle = 2 * Double.pi * (Double(next() >> 11) * 0x1p-53)
        return Float(radius * Foundation.cos(angle))
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-shift; the bias is below 2⁻⁴⁰
    /// for any bound a tensor can have).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt: bound \(bound) must be positive")
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// A Gamma(shape, 1) sample (Marsaglia & Tsang, 2000; shapes below 1 boosted by U^(1/shape)).
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0, "nextGamma: shape \(shape) must be positive")
        if shape < 1 {
            let boost = Foundation.pow(nextOpenClosedUnit(), 1 / shape)
            return nextGamma(shape: shape + 1) * boost
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = Double(nextNormal())
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextOpenClosedUnit()
            if Foundation.log(u) < 0.5 * x * x + d - d * v + d * Foundation.log(v) { return d * v }
        }
    }

    /// A Beta(a, b) sample, as the ratio of two Gamma samples (mixup and cutmix draw λ so).
    public mutating func nextBeta(_ a: Double, _ b: Double) -> Double {
        let x = nextGamma(shape: a), y = nextGamma(shape: b)
        return x / (x + y)
    }

    /// An independent generator for a sub-task (a data-loader worker, an augmentation),
    /// derived from this one's stream.
    public mutating func split() -> RandomGenerator {
        RandomGenerator(seed: next())
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
