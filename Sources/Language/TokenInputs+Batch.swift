import Datasets
import NN
import Training

extension TokenInputs: BatchInputs {
    /// A batch of token windows: its inputs `[B, T]` are the token ids.
    public init(batch: Batch) throws {
        guard batch.inputs.rank == 2 else {
            throw DataError("a language model", "needs token ids [B, T] as inputs; the batch's are \(batch.inputs.shape)")
        }
        self.init(tokens: batch.inputs)
    }
}
