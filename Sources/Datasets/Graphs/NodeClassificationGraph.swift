import Foundation
import Tensors

/// One graph whose nodes are classified: every node's features, the adjacency, a class per
/// node, and the node splits to train, validate and test on. The Planetoid citation graphs
/// (`planetoid(_:)`) are the standard ones.
public struct NodeClassificationGraph {
    /// The data set's name (`cora`).
    public let name: String
    /// The adjacency `[N, N]`: an entry per edge, both directions for an undirected graph.
    public let adjacency: SparseMatrix
    /// Every node's features `[N, F]`.
    public let features: Tensor
    /// Each node's class, −1 where the node has none.
    public let labels: [Int]
    /// The number of classes.
    public let classCount: Int
    /// The nodes whose labels train, those that choose the model, and those that test it.
    public let trainNodes: [Int]
    public let validationNodes: [Int]
    public let testNodes: [Int]

    /// Checks that the parts agree: a square adjacency over the features' rows, a label in
    /// `-1..<classCount` for each node, and splits of labeled nodes, each node at most once.
    public init(name: String, adjacency: SparseMatrix, features: Tensor, labels: [Int], classCount: Int,
                trainNodes: [Int], validationNodes: [Int], testNodes: [Int]) throws {
        let nodeCount = adjacency.rowCount
        guard adjacency.columnCount == nodeCount else { throw DataError(name, "adjacency of shape \(adjacency.shape) is not square") }
        guard features.rank == 2, features.shape[0] == nodeCount else {
            throw DataError(name, "features of shape \(features.shape) for \(nodeCount) nodes (expected [\(nodeCount), F])")
        }
        guard labels.count == nodeCount else { throw DataError(name, "\(labels.count) labels for \(nodeCount) nodes") }
        guard classCount >= 1 else { throw DataError(name, "no classes") }
        if let node = labels.firstIndex(where: { !(-1..<classCount).contains($0) }) {
            throw DataError(name, "node \(node) has label \(labels[node]), outside -1..<\(classCount)")
        }
        try DataChecks.requireFinite(features, source: "\(name) features")
        for (split, nodes) in [("train", trainNodes), ("validation", validationNodes), ("test", testNodes)] {
            guard !nodes.isEmpty else { throw DataError(name, "the \(split) split is empty") }
            if let node = nodes.first(where: { !(0..<nodeCount).contains($0) }) {
                throw DataError(name, "the \(split) split names node \(node), outside 0..<\(nodeCount)")
            }
            if let node = nodes.first(where: { labels[$0] < 0 }) { throw DataError(name, "the \(split) split names node \(node), which has no label") }
            guard Set(nodes).count == nodes.count else { throw DataError(name, "the \(split) split names a node twice") }
        }
        (self.name, self.adjacency, self.features, self.labels, self.classCount) = (name, adjacency, features, labels, classCount)
        (self.trainNodes, self.validationNodes, self.testNodes) = (trainNodes, validationNodes, testNodes)
    }

    /// The number of nodes.
    public var nodeCount: Int { adjacency.rowCount }
    /// The number of features per node.
    public var featureCount: Int { features.shape[1] }
    /// The labels of `nodes` as a tensor of class indices `[nodes.count]`.
    public func labels(of nodes: [Int]) -> Tensor { Tensor(nodes.map { Float(labels[$0]) }, shape: [nodes.count]) }
}

extension NodeClassificationGraph {
    /// The Planetoid citation graphs that ship with Distillery, by name.
    public static let planetoidNames = ["cora", "citeseer"]

    /// A Planetoid citation graph with its standard split (20 labeled nodes per class to
    /// train, 500 to validate, 1,000 to test): `cora` (2,708 papers, 1,433 binary word
    /// features, 7 classes) or `citeseer` (3,327, 3,703, 6). Decoded once per process.
    public static func planetoid(_ name: String) throws -> NodeClassificationGraph {
        switch name {
        case "cora": try embeddedCora.get()
        case "citeseer": try embeddedCiteseer.get()
        default: throw DataError(name, "unknown Planetoid graph (known: \(planetoidNames.joined(separator: ", ")))")
        }
    }

    private static let embeddedCora = Result { try decodePlanetoid(embeddedCoraBase64, name: "cora", classCount: 7) }
    private static let embeddedCiteseer = Result { try decodePlanetoid(embeddedCiteseerBase64, name: "citeseer", classCount: 6) }

    private static func decodePlanetoid(_ base64: String, name: String, classCount: Int) throws -> NodeClassificationGraph {
        guard let archive = Data(base64Encoded: base64, options: .ignoreUnknownCharacters) else {
            throw DataError(name, "the embedded data is not valid base64 (regenerate it with Sources/Datasets/Resources/embed.sh)")
        }
        return try readPlanetoid(archive, name: name, classCount: classCount, source: "\(name) (embedded)")
    }

    /// A graph from the bytes of a Planetoid `.npz` archive: CSR arrays `adj_*` (the
    /// adjacency) and `attr_*` (the features), `labels`, and the splits `idx_train`,
    /// `idx_val`, `idx_test`. `source` names the archive in errors.
    public static func readPlanetoid(_ archive: Data, name: String, classCount: Int, source: String) throws -> NodeClassificationGraph {
        var arrays: [String: Tensor] = [:]
        for entry in try ZipArchive.entries(of: archive, source: source) where entry.name.hasSuffix(".npy") {
            arrays[String(entry.name.dropLast(4))] = try NPYReader.decode(entry.contents, source: "\(source)[\(entry.name)]")
        }
        func integers(_ key: String) throws -> [Int] {
            guard let array = arrays[key] else { throw DataError(source, "has no array '\(key)'") }
            guard array.rank == 1 else { throw DataError(source, "'\(key)' has shape \(array.shape), expected one axis") }
            // Float32 holds every integer below 2²⁴ exactly; larger ones are refused, not rounded.
            return try array.scalars.enumerated().map { position, value in
                guard value == value.rounded(), abs(value) < 16_777_216 else {
                    throw DataError(source, "'\(key)'[\(position)] is \(value), not an integer below 2^24")
                }
                return Int(value)
            }
        }
        func matrix(_ prefix: String) throws -> SparseMatrix {
            let shape = try integers("\(prefix)_shape")
            guard shape.count == 2, shape.allSatisfy({ $0 >= 0 }) else { throw DataError(source, "'\(prefix)_shape' is \(shape), expected two sizes") }
            guard let values = arrays["\(prefix)_data"], values.rank == 1 else { throw DataError(source, "has no one-axis array '\(prefix)_data'") }
            do {
                return try SparseMatrix(unsortedRowCount: shape[0], columnCount: shape[1], rowOffsets: try integers("\(prefix)_indptr"),
                                        columns: try integers("\(prefix)_indices"), values: values.scalars)
            } catch let error as SparseMatrixError {
                throw DataError(source, "'\(prefix)_*': \(error.reason)")
            }
        }
        let adjacency = try matrix("adj")
        let attributes = try matrix("attr")
        guard attributes.rowCount == adjacency.rowCount else {
            throw DataError(source, "\(attributes.rowCount) feature rows for \(adjacency.rowCount) nodes")
        }
        // The features are held dense: rows × columns floats, refused past half the memory.
        let memory = ProcessInfo.processInfo.physicalMemory / 2
        guard let elements = checkedElementCount(ofShapes: [[attributes.rowCount, attributes.columnCount, MemoryLayout<Float>.size]]),
              UInt64(elements) <= memory else {
            throw DataError(source, "features of shape \(attributes.shape) take more than half this machine's memory (\(memory) bytes) held dense")
        }
        do {
            return try NodeClassificationGraph(name: name, adjacency: adjacency, features: attributes.dense(), labels: try integers("labels"),
                                               classCount: classCount, trainNodes: try integers("idx_train"),
                                               validationNodes: try integers("idx_val"), testNodes: try integers("idx_test"))
        } catch let error as DataError {
            throw DataError(source, error.reason)
        }
    }
}

extension NodeClassificationGraph {
    /// `nodes` as samples: each node's features as its input, its label, and its index as the
    /// `node` field, with the adjacency and every node's features shared by each batch (so
    /// that a graph network reaches the neighbours). A node outside `labeled`, when given, or
    /// without a label carries `Batch.unlabeledMarker` (GLNN's transductive setting: soft
    /// targets on every node, labels on the training nodes only).
    public func nodes(_ nodes: [Int], labeled: Set<Int>? = nil) throws -> TensorDataset {
        if let node = nodes.first(where: { !(0..<nodeCount).contains($0) }) {
            throw DataError(name, "node \(node) is outside 0..<\(nodeCount)")
        }
        let labels = nodes.map { node in labeled.map { $0.contains(node) } ?? true ? Float(self.labels[node]) : Batch.unlabeledMarker }
        return try TensorDataset(inputs: features.indexSelect(axis: 0, indices: nodes), labels: Tensor(labels, shape: [nodes.count]),
                                 classNames: (0..<classCount).map { "class \($0)" }, node: Tensor(nodes.map(Float.init), shape: [nodes.count]),
                                 graph: adjacency, nodeFeatures: features)
    }

    /// The training, validation and test nodes as data sets.
    public func splits() throws -> (train: TensorDataset, validation: TensorDataset, test: TensorDataset) {
        (try nodes(trainNodes), try nodes(validationNodes), try nodes(testNodes))
    }
}

extension NodeClassificationGraph {
    /// The same graph with each node's features divided by their sum (rows of zeros kept), as
    /// GCN's code preprocesses the bag-of-words features (PyTorch Geometric's
    /// `NormalizeFeatures`).
    public func normalizingFeatures() -> NodeClassificationGraph {
        let sums = features.sum(axis: 1, keepDims: true).scalars.map { $0 == 0 ? 1 : $0 }
        let normalized = features / Tensor(sums, shape: [nodeCount, 1])
        return try! NodeClassificationGraph(name: name, adjacency: adjacency, features: normalized, labels: labels, classCount: classCount,
                                            trainNodes: trainNodes, validationNodes: validationNodes, testNodes: testNodes)
    }
}
