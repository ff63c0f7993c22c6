import Foundation
import Tensors

/// Small generated data sets for tests, toy experiments and 2-D generative work. Each is
/// determined by its seed.
public enum SyntheticData {
    /// Two interleaved spirals (classes 0 and 1) in 2-D, `count` points in all.
    public static func twoSpirals(count: Int, turns: Float = 1.5, noise: Float = 0, seed: UInt64) -> TensorDataset {
        labeledPoints(count: count, classes: 2, seed: seed) { label, generator in
            let t = generator.nextUniform().squareRoot() * turns * 2 * .pi
            let angle = t + Float(label) * .pi
            let radius = t / (turns * 2 * .pi)
            return [radius * Foundation.cos(angle) + noise * generator.nextNormal(), radius * Foundation.sin(angle) + noise * generator.nextNormal()]
        }
    }

    /// Two interleaving half circles (scikit-learn's `make_moons`).
    public static func moons(count: Int, noise: Float = 0.1, seed: UInt64) -> TensorDataset {
        labeledPoints(count: count, classes: 2, seed: seed) { label, generator in
            let angle = generator.nextUniform() * .pi
            let point: [Float] = label == 0 ? [Foundation.cos(angle), Foundation.sin(angle)] : [1 - Foundation.cos(angle), 0.5 - Foundation.sin(angle)]
            return [point[0] + noise * generator.nextNormal(), point[1] + noise * generator.nextNormal()]
        }
    }

    /// A mixture of `components` isotropic Gaussians with centres evenly spaced on a circle
    /// of `radius`; the label is the component.
    public static func gaussianMixture(count: Int, components: Int = 8, radius: Float = 2, standardDeviation: Float = 0.2, seed: UInt64) -> TensorDataset {
        labeledPoints(count: count, classes: components, seed: seed) { label, generator in
            let angle = 2 * Float.pi * Float(label) / Float(components)
            return [radius * Foundation.cos(angle) + standardDeviation * generator.nextNormal(),
                    radius * Foundation.sin(angle) + standardDeviation * generator.nextNormal()]
        }
    }

    /// Concentric rings of radius 1, 2, …, `rings` (a 2-D density for generative models);
    /// the label is the ring.
    public static func rings(count: Int, rings: Int = 3, noise: Float = 0.05, seed: UInt64) -> TensorDataset {
        labeledPoints(count: count, classes: rings, seed: seed) { label, generator in
            let angle = 2 * Float.pi * generator.nextUniform()
            let radius = Float(label + 1) + noise * generator.nextNormal()
            return [radius * Foundation.cos(angle), radius * Foundation.sin(angle)]
        }
    }

    /// Points uniform on the dark squares of a 4×4 checkerboard over [−2, 2]² (unlabeled).
    public static func checkerboard(count: Int, seed: UInt64) -> TensorDataset {
        var generator = RandomGenerator(seed: seed)
        let points = Tensor(shape: [count, 2]) { buffer in
            for i in 0..<count {
                let x = 4 * generator.nextUniform() - 2
                let column = Int(Foundation.floor(x + 2))
                // Rows alternate with the column so that (row + column) is even.
                let row = 2 * generator.nextInt(below: 2) + (column % 2)
                buffer[2 * i] = x
                buffer[2 * i + 1] = Float(row) - 2 + generator.nextUniform()
            }
        }
        return try! TensorDataset(inputs: points, labels: nil)
    }

    /// `count` points, classes in turn, each from `sample(label, generator)`, shuffled.
    private static func labeledPoints(count: Int, classes: Int, seed: UInt64, sample: (Int, inout RandomGenerator) -> [Float]) -> TensorDataset {
        var generator = RandomGenerator(seed: seed)
        let order = randomPermutation(count, using: &generator)
        var points = [Float](repeating: 0, count: 2 * count), labels = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let label = i % classes
            let point = sample(label, &generator)
            points[2 * order[i]] = point[0]
            points[2 * order[i] + 1] = point[1]
            labels[order[i]] = Float(label)
        }
        return try! TensorDataset(inputs: Tensor(points, shape: [count, 2]), labels: Tensor(labels), classNames: (0..<classes).map { "class \($0)" })
    }

    /// A stochastic block model graph (Holland et al., 1983): `blocks` communities of
    /// `nodesPerBlock` nodes; an edge joins two nodes of one block with probability
    /// `inProbability` and of different blocks with `outProbability`. Node features are a
    /// noisy one-hot of the block scaled by `featureSignal`, padded with noise to
    /// `featureDimension`; labels are the blocks.
    public static func stochasticBlockModel(
        blocks: Int, nodesPerBlock: Int, inProbability: Float, outProbability: Float,
        featureDimension: Int, featureSignal: Float = 1, seed: UInt64
    ) -> Graph {
        precondition(featureDimension >= blocks, "stochasticBlockModel: featureDimension \(featureDimension) must be at least the \(blocks) blocks")
        var generator = RandomGenerator(seed: seed)
        let n = blocks * nodesPerBlock
        var edges: [(Int, Int)] = []
        for i in 0..<n {
            for j in (i + 1)..<Swift.max(n, i + 1) {
                let p = i / nodesPerBlock == j / nodesPerBlock ? inProbability : outProbability
                if generator.nextUniform() < p { edges.append((i, j)) }
            }
        }
        let features = Tensor(shape: [n, featureDimension]) { buffer in
            for i in 0..<n {
                for f in 0..<featureDimension {
                    buffer[i * featureDimension + f] = generator.nextNormal() + (f == i / nodesPerBlock ? featureSignal : 0)
                }
            }
        }
        let labels = Tensor((0..<n).map { Float($0 / nodesPerBlock) })
        return Graph(features: features, labels: labels, edges: edges)
    }
}

/// An undirected graph with node features and labels.
public struct Graph {
    /// Node features `[N, F]`.
    public let features: Tensor
    /// Node labels `[N]`.
    public let labels: Tensor
    /// Each undirected edge once, as `(i, j)` with `i < j`.
    public let edges: [(Int, Int)]

    public var nodeCount: Int { features.shape[0] }

    /// The neighbours of every node.
    public func neighbors() -> [[Int]] {
        var lists = [[Int]](repeating: [], count: nodeCount)
        for (i, j) in edges {
            lists[i].append(j)
            lists[j].append(i)
        }
        return lists
    }
}
