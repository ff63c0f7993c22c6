import Configuration
import Generative
import NN
import Tensors

/// The architectures a configuration can name, built for the data's sample shape and class
/// count: the targets' registries joined (`NNRegistry.models`, `GenerativeRegistry.models`). A model section reads
/// `model:` and that architecture's own keys:
///
/// ```yaml
/// model: mlp          # hidden: [256, 256], activation: relu, dropout: 0.1
/// model: resnet20     # the CIFAR family, 3-channel images
/// model: wrn-16-2     # WRN-depth-width
/// model: vit          # patch, dimension, depth, heads, mlp_ratio
/// model: unet         # channels: [32, 64], heads, conditional (a denoiser, for `method: denoising`)
/// ```
public enum ModelCatalog {
    /// Every architecture, in the order errors list them.
    public static var registered: [any ConfigurableModel.Type] { NNRegistry.models + GenerativeRegistry.models }

    /// Every name; a family's as its name pattern (`wrn-<depth>-<width>` for `wrn-16-2`).
    public static var names: [String] { registered.flatMap { $0.modelNames } }

    /// Every name with the keys its section may hold, as the README lists them.
    public static var entries: [(name: String, keys: String)] {
        registered.flatMap { type in type.modelNames.map { ($0, type.configKeys) } }
    }

    /// Builds the model the section names (reading its keys; the caller finishes the section).
    public static func build(_ section: some ConfigEntry, inputShape: [Int], classes: Int, batchSize: Int = 1, isTrained: Bool = true,
                             using generator: inout RandomGenerator) throws -> Module {
        let nameEntry = try section.required("model", "one of: \(names.joined(separator: ", "))")
        let request = ModelRequest(name: try nameEntry.value(), inputShape: inputShape, classes: classes, section: section, nameEntry: nameEntry,
                                   batchSize: batchSize, isTrained: isTrained)
        for type in registered {
            if let model = try type.build(request, using: &generator) { return model }
        }
        throw nameEntry.error("unknown model '\(request.name)' (valid: \(names.joined(separator: ", ")))")
    }
}
