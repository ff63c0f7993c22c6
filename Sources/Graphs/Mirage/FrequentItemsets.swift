/// Frequent itemset mining by FP-growth (Han, Pei & Yin, 2000), as Mirage mines the sets of
/// computation trees that occur together in many graphs of a class.
public enum FrequentItemsets {
    /// One itemset: its items, ascending, and the number of transactions holding all of them.
    public struct Itemset: Equatable, Sendable {
        public let items: [Int]
        public let support: Int
    }

    /// Every itemset of at most `maximumSize` items held by at least `minimumSupport` of
    /// `transactions` (each a set of items; repeats within one count once), in no particular
    /// order.
    public static func mine(_ transactions: [[Int]], minimumSupport: Int, maximumSize: Int) -> [Itemset] {
        precondition(minimumSupport >= 1 && maximumSize >= 1, "FrequentItemsets: support \(minimumSupport), size \(maximumSize)")
        var found: [Itemset] = []
        grow(transactions.map { (Array(Set($0)), 1) }, suffix: [], minimumSupport: minimumSupport, maximumSize: maximumSize, into: &found)
        return found
    }

    /// FP-growth's step: the frequent items of `base` (transactions with counts), each
    /// extending `suffix` into a frequent itemset, then the items that co-occur with it mined
    /// from its conditional base (the prefixes of its paths in the FP-tree).
    private static func grow(_ base: [(items: [Int], count: Int)], suffix: [Int], minimumSupport: Int, maximumSize: Int,
                             into found: inout [Itemset]) {
        var support: [Int: Int] = [:]
        for (items, count) in base { for item in items { support[item, default: 0] += count } }
        let frequent = support.filter { $0.value >= minimumSupport }
        guard !frequent.isEmpty else { return }
        // Paths list items from the most to the least frequent, so common prefixes share nodes.
        let rank = Dictionary(uniqueKeysWithValues: frequent.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.enumerated().map { ($1.key, $0) })
        var tree = PrefixTree()
        for (items, count) in base {
            tree.insert(items.filter { rank[$0] != nil }.sorted { rank[$0]! < rank[$1]! }, count: count)
        }
        for (item, itemSupport) in frequent {
            let itemset = suffix + [item]
            found.append(Itemset(items: itemset.sorted(), support: itemSupport))
            guard itemset.count < maximumSize else { continue }
            let conditional = tree.nodes(holding: item).map { (items: tree.prefix(of: $0), count: tree.counts[$0]) }
            grow(conditional, suffix: itemset, minimumSupport: minimumSupport, maximumSize: maximumSize, into: &found)
        }
    }

    /// The FP-tree: transactions as paths from a root, each node counting the transactions
    /// through it.
    private struct PrefixTree {
        var items = [-1], counts = [0], parents = [-1]
        var children: [[Int: Int]] = [[:]]
        var itemNodes: [Int: [Int]] = [:]

        mutating func insert(_ path: [Int], count: Int) {
            var node = 0
            for item in path {
                if let child = children[node][item] {
                    counts[child] += count
                    node = child
                } else {
                    let child = items.count
                    items.append(item); counts.append(count); parents.append(node); children.append([:])
                    children[node][item] = child
                    itemNodes[item, default: []].append(child)
                    node = child
                }
            }
        }

        func nodes(holding item: Int) -> [Int] { itemNodes[item] ?? [] }

        /// The items on the path from the root down to `node`'s parent.
        func prefix(of node: Int) -> [Int] {
            var (path, current) = ([Int](), parents[node])
            while current > 0 { path.append(items[current]); current = parents[current] }
            return path
        }
    }
}
