import Datasets
import Tensors

/// Mirage (Gupta et al., 2024): model-agnostic graph data distillation for graph
/// classification. A message-passing GNN of `L` layers sees a graph as the multiset of its
/// nodes' depth-`L` computation trees, and in real data a few trees recur across many
/// graphs. Mirage names every training graph's trees, mines per class the sets of trees that
/// occur together in at least a given share of the class's graphs (FP-growth), and keeps each
/// such set as one distilled graph of that class: the disjoint union of its trees, pooling
/// their roots. Nothing is trained to distill, and any GNN of at most `L` layers trains on
/// the result.
public struct Mirage: Sendable {
    /// The trees' depth, `L`: the GNN trained on the distillate has this many layers.
    public var hops: Int
    /// The share of a class's training graphs a set of trees must occur in (each class's
    /// threshold, as the paper sets one per class, is this share of its graphs, at least 1).
    public var minimumSupport: Double
    /// The most trees one mined set holds.
    public var maximumTrees: Int

    /// The defaults are the settings that hold the paper's claim on the citation graphs'
    /// ego-networks (README): single 1-hop trees in 2% of a class's graphs. The paper mines
    /// deeper trees and larger sets on molecules, where trees repeat more.
    public init(hops: Int = 1, minimumSupport: Double = 0.02, maximumTrees: Int = 1) {
        (self.hops, self.minimumSupport, self.maximumTrees) = (hops, minimumSupport, maximumTrees)
    }

    /// The distillate of `set`'s graphs; fails when the settings are out of range or no set
    /// of trees is frequent enough in some class.
    public func distill(_ set: GraphClassificationSet) throws -> MirageDistillate {
        guard hops >= 1 else { throw DataError("mirage", "hops \(hops) (expected at least 1)") }
        guard minimumSupport > 0 && minimumSupport <= 1 else { throw DataError("mirage", "minimum support \(minimumSupport) (expected a share in (0, 1])") }
        guard maximumTrees >= 1 else { throw DataError("mirage", "at most \(maximumTrees) trees per set (expected at least 1)") }
        let index = ComputationTreeIndex(depth: hops)
        let treesPerGraph = set.graphs.map { index.trees(of: $0) }
        var patterns: [MirageDistillate.Pattern] = []
        for label in set.classNames.indices {
            let members = set.graphs.indices.filter { set.graphs[$0].label == label }
            guard !members.isEmpty else { continue }
            let threshold = max(1, Int((minimumSupport * Double(members.count)).rounded(.up)))
            let mined = FrequentItemsets.mine(members.map { treesPerGraph[$0] }, minimumSupport: threshold, maximumSize: maximumTrees)
            guard !mined.isEmpty else {
                throw DataError("mirage", "no computation tree occurs in \(threshold) of the \(members.count) graphs of \(set.classNames[label]); lower the minimum support")
            }
            // A fixed order, so that a seeded training run sees the same data set every time.
            patterns += mined.sorted { $0.support != $1.support ? $0.support > $1.support : $0.items.lexicographicallyPrecedes($1.items) }
                .map { MirageDistillate.Pattern(label: label, trees: $0.items, support: $0.support) }
        }
        let graphs = patterns.map { pattern in Self.union(pattern.trees.map { index.tree($0, label: pattern.label) }, label: pattern.label) }
        let distilled = try GraphClassificationSet(name: "\(set.name) (Mirage)", graphs: graphs, nodeFeatures: set.nodeFeatures, classNames: set.classNames)
        let trees = Set(patterns.flatMap(\.trees)).sorted()
        let treeStorage = trees.map { index.tree($0, label: 0) }.reduce(0) { $0 + $1.nodeCount + $1.adjacency.entryCount }
        let fullSize = set.size
        return MirageDistillate(graphs: distilled, patterns: patterns, treeCount: trees.count, distinctTreesInData: index.treeCount,
                                storage: treeStorage + patterns.reduce(0) { $0 + $1.trees.count }, fullStorage: fullSize.nodes + fullSize.entries)
    }

    /// The disjoint union of `trees`, pooling each one's root.
    private static func union(_ trees: [LabeledGraph], label: Int) -> LabeledGraph {
        var (kinds, roots, start) = ([Int](), [Int](), 0)
        for tree in trees {
            kinds += tree.nodeKinds
            roots += tree.readoutNodes.map { $0 + start }
            start += tree.nodeCount
        }
        return try! LabeledGraph(nodeKinds: kinds, adjacency: SparseMatrix(blockDiagonal: trees.map(\.adjacency)), readoutNodes: roots, label: label)
    }
}

/// What Mirage keeps of a training set.
public struct MirageDistillate {
    /// A mined set of trees: its class, the trees' names, and how many of the class's
    /// graphs hold them all.
    public struct Pattern: Equatable, Sendable {
        public let label: Int
        public let trees: [Int]
        public let support: Int
    }

    /// One graph per pattern, the disjoint union of its trees.
    public let graphs: GraphClassificationSet
    public let patterns: [Pattern]
    /// The distinct trees the patterns hold.
    public let treeCount: Int
    /// The distinct trees the training graphs hold.
    public let distinctTreesInData: Int
    /// The distillate's size as stored: each distinct tree's nodes and edges once, and each
    /// pattern's list of trees.
    public let storage: Int
    /// The training set's size: its graphs' nodes and adjacency entries.
    public let fullStorage: Int

    /// How many times smaller the distillate is than the training set.
    public var compressionRatio: Double { Double(fullStorage) / Double(max(storage, 1)) }
}
