import Foundation
import Tensors

extension Module {
    /// Writes the state dict to a safetensors file (atomically), loadable by PyTorch's
    /// `load_state_dict(safetensors.torch.load_file(path))` for the same architecture.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(stateDict(), metadata: metadata, to: url)
    }

    /// Loads weights from a safetensors file (written by Distillery or by PyTorch). Missing,
    /// unexpected or mis-shaped keys are an error naming the file and listing them.
    public func load(from url: URL, strict: Bool = true) throws {
        let (tensors, _) = try SafeTensors.read(contentsOf: url)
        try loadStateDict(tensors, strict: strict, source: url.path)
    }
}
