import Datasets
import Tensors

/// Names for rooted computation trees: the tree of depth `L` at a node is what an `L`-layer
/// message-passing network sees from it (the node's kind, and the depth-`L − 1` trees of the
/// nodes it hears from). Two nodes, in any graphs, get the same name exactly when their
/// trees are isomorphism-equal, so a GNN gives them the same embedding. The names are
/// Weisfeiler-Lehman colours refined `depth` times with one dictionary shared across
/// graphs; each colour's definition is kept, so a named tree can be built back as a graph.
public final class ComputationTreeIndex {
    /// A tree of some depth: its root's kind and its children's names one level down
    /// (ascending, a name repeated per child).
    private struct Definition: Hashable {
        let kind: Int
        let children: [Int]
    }

    public let depth: Int
    private var definitions: [[Definition]]
    private var names: [[Definition: Int]]
    private var builtTrees: [Int: (kinds: [Int], adjacency: SparseMatrix)] = [:]

    public init(depth: Int) {
        precondition(depth >= 1, "ComputationTreeIndex: depth \(depth) (expected at least 1)")
        self.depth = depth
        (definitions, names) = (Array(repeating: [], count: depth + 1), Array(repeating: [:], count: depth + 1))
    }

    /// How many distinct trees of full depth have been named so far.
    public var treeCount: Int { definitions[depth].count }

    /// The name of each node's depth-`depth` tree in `graph`, in node order.
    public func trees(of graph: LabeledGraph) -> [Int] {
        var current = graph.nodeKinds.map { name(Definition(kind: $0, children: []), level: 0) }
        for level in 1...depth {
            current = graph.nodeKinds.indices.map { node in
                let children = graph.adjacency.columns(inRow: node).map { current[$0] }.sorted()
                return name(Definition(kind: graph.nodeKinds[node], children: children), level: level)
            }
        }
        return current
    }

    private func name(_ definition: Definition, level: Int) -> Int {
        if let known = names[level][definition] { return known }
        names[level][definition] = definitions[level].count
        definitions[level].append(definition)
        return definitions[level].count - 1
    }

    /// The full-depth tree `name` as a graph: the root is node 0, nodes in breadth-first
    /// order, each parent hearing from its children only (a GNN of `depth` layers gives the
    /// root the embedding the named tree's nodes get in their own graphs). Its class is
    /// `label`; its readout is its root.
    public func tree(_ name: Int, label: Int) -> LabeledGraph {
        precondition((0..<treeCount).contains(name), "ComputationTreeIndex: no tree is named \(name)")
        if let built = builtTrees[name] {
            return try! LabeledGraph(nodeKinds: built.kinds, adjacency: built.adjacency, readoutNodes: [0], label: label)
        }
        var kinds = [definitions[depth][name].kind]
        var entries: [(row: Int, column: Int)] = []
        var frontier = [(node: 0, name: name)]
        for level in stride(from: depth, to: 0, by: -1) {
            var next: [(node: Int, name: Int)] = []
            for (node, name) in frontier {
                for child in definitions[level][name].children {
                    let childNode = kinds.count
                    kinds.append(definitions[level - 1][child].kind)
                    entries.append((node, childNode))
                    next.append((childNode, child))
                }
            }
            frontier = next
        }
        // The entries name nodes just made, each once.
        let adjacency = try! SparseMatrix(rowCount: kinds.count, columnCount: kinds.count, entries: entries)
        builtTrees[name] = (kinds, adjacency)
        return try! LabeledGraph(nodeKinds: kinds, adjacency: adjacency, readoutNodes: [0], label: label)
    }
}
