import Datasets
import NN
import Tensors
import Training

extension GraphInputs: BatchInputs {
    /// A node batch's inputs: every node's features and the adjacency (shared by the batch),
    /// and the batch's nodes.
    public init(batch: Batch) throws {
        let features = try batch.requiredField("nodeFeatures", for: "a graph network")
        guard let adjacency = batch.graph else {
            throw DataError("a graph network", "needs the batch's graph; the batch has \((["inputs"] + batch.fieldNames).joined(separator: ", "))")
        }
        let nodes = try batch.requiredField("node", for: "a graph network").integerScalars
        guard features.rank == 2, features.shape[0] == adjacency.rowCount, adjacency.columnCount == adjacency.rowCount else {
            throw DataError("a graph network", "node features of shape \(features.shape) do not match an adjacency of shape \(adjacency.shape)")
        }
        if let node = nodes.first(where: { !(0..<adjacency.rowCount).contains($0) }) {
            throw DataError("a graph network", "the batch names node \(node), outside the graph's 0..<\(adjacency.rowCount)")
        }
        self.init(features: features, adjacency: adjacency, nodes: nodes)
    }
}

extension GraphClassificationInputs: BatchInputs {
    /// A batch of whole graphs: the union's node features and adjacency, and its readout.
    public init(batch: Batch) throws {
        let features = try batch.requiredField("nodeFeatures", for: "a graph classifier")
        guard let adjacency = batch.graph, let readout = batch.readout else {
            throw DataError("a graph classifier", "needs a batch of whole graphs (its 'graph' and 'readout'); the batch has \((["inputs"] + batch.fieldNames).joined(separator: ", "))")
        }
        guard features.rank == 2, features.shape[0] == adjacency.rowCount, adjacency.columnCount == adjacency.rowCount,
              readout.columnCount == adjacency.rowCount else {
            throw DataError("a graph classifier", "node features of shape \(features.shape), an adjacency of shape \(adjacency.shape) and a readout of shape \(readout.shape) do not match")
        }
        self.init(features: features, adjacency: adjacency, readout: readout)
    }
}
