import Datasets
import Foundation
import Generative
import NN
import Tensors

extension Experiment {
    /// What `sample` drew and wrote.
    public struct SampleResult {
        /// The samples, in the data's range.
        public let samples: Tensor
        /// Network evaluations per sample (NFE).
        public let evaluations: Int
        public let seconds: Double
        /// The files written: the samples as `.npy`, and a PNG grid (images) or an SVG
        /// scatter plot (2-D points).
        public let files: [URL]
        /// The class each sample was drawn for (nil for an unconditional model).
        public let classes: [Int]?
        /// How they were drawn, as their files are named (`euler-4`, `consistency-2`).
        public let name: String
    }

    /// How many samples are drawn at once.
    static let samplingChunk = 256

    /// Draws `count` samples from the run's trained network in `steps` steps (nil: the
    /// method's `defaultSteps`), the way its method samples (`GenerativeMethod`): a
    /// `denoising` run by `sampler` (default Euler; `eta` for DDIM), a distilled student by
    /// its own steps. It writes them to the run's `samples/` folder. A class-conditional model
    /// draws for `classLabel`, or for every class in turn when nil, with classifier-free
    /// guidance of scale `guidance` (1: the conditional model alone). A consistency student
    /// re-noises at `levels` (σ, descending, `steps − 1` of them) when given.
    public func sample(steps: Int? = nil, sampler: Sampler.Method? = nil, eta: Double = 0, levels: [Double]? = nil, count: Int, guidance: Double = 1,
                       classLabel: Int? = nil, seed: UInt64 = 0, weights: URL? = nil) throws -> SampleResult {
        guard let method = trainer.objective as? any GenerativeMethod, let network = model as? any DenoisingNetwork else {
            let names = GenerativeRegistry.methods.filter { $0 is any GenerativeMethod.Type }.map { $0.configName }
            throw DataError(configFile, "sampling takes a generative run (method: \(names.joined(separator: ", "))); this one trains \(modelName) by another method")
        }
        guard count >= 1 else { throw DataError(configFile, "sampling draws at least one sample, asked for \(count)") }
        if let steps, steps < 1 { throw DataError(configFile, "sampling takes at least one step, asked for \(steps)") }
        try loadTrainedWeights(from: weights)
        var label = "unconditional"
        var drawnClasses: [Int]?
        if network.classCount > 0 {
            if let classLabel, !(0..<network.classCount).contains(classLabel) {
                throw DataError(configFile, "class \(classLabel) is not one of the model's classes 0…\(network.classCount - 1)")
            }
            drawnClasses = (0..<count).map { classLabel ?? $0 % network.classCount }
            label = (classLabel.map { "class \($0)" } ?? "classes in turn") + (guidance == 1 ? "" : String(format: ", guidance %g", guidance))
        } else if classLabel != nil || guidance != 1 {
            throw DataError(configFile, "the model is unconditional: --class and --guidance need `conditional: true` in its section")
        }

        // In chunks, so that a large count does not hold every sample's activations at once.
        var generator = RandomGenerator(seed: seed)
        let start = Date()
        var chunks: [Tensor] = []
        var evaluations = 0
        var request = SamplingRequest(steps: steps ?? method.defaultSteps, method: sampler, eta: eta, guidance: guidance, levels: levels)
        for first in stride(from: 0, to: count, by: Self.samplingChunk) {
            let range = first..<min(first + Self.samplingChunk, count)
            request.classes = drawnClasses.map { Tensor($0[range].map(Float.init), shape: [range.count]) }
            let (drawn, used): (Tensor, Int)
            do {
                (drawn, used) = try withoutGradients {
                    try method.draw(network, count: range.count, shape: data.sampleShape, request: request, using: &generator)
                }
            } catch let refused as SamplingRefused {
                throw DataError(configFile, refused.description)
            }
            chunks.append(method.scaling.dataValues(drawn))
            evaluations = used
        }
        let samples = concatenate(chunks, axis: 0)
        let seconds = Date().timeIntervalSince(start)

        let folder = outputDirectory.appendingPathComponent("samples")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let stem = method.samplesName(request) + (classLabel.map { "-class\($0)" } ?? "") + (guidance == 1 ? "" : String(format: "-guidance%g", guidance))
        var files = [folder.appendingPathComponent("\(stem).npy")]
        try NPYWriter.write(samples, to: files[0])
        let shape = data.sampleShape
        if shape.count == 3, [1, 3].contains(shape[0]) {
            let columns = Int(Double(count).squareRoot().rounded(.up))
            let values = samples.scalars
            let low = values.min() ?? 0
            // Without a data range, the samples' own, widened where they are all one value.
            let range = method.scaling.range ?? (low...max(values.max() ?? 1, low + 1e-6))
            files.append(folder.appendingPathComponent("\(stem).png"))
            try PNGWriter.write(PNGWriter.grid(samples, columns: columns, background: range.lowerBound), range: range, to: files[1])
        } else if shape == [2] {
            files.append(folder.appendingPathComponent("\(stem).svg"))
            let title = "\(modelName), \(method.samplesName(request)), \(evaluations) NFE, \(label)"
            try AtomicFile.write(Data(ScatterPlot.svg(samples, title: title).utf8), to: files[1])
        }
        return SampleResult(samples: samples, evaluations: evaluations, seconds: seconds, files: files, classes: drawnClasses, name: method.samplesName(request))
    }

    /// The sliced Wasserstein-1 distance (128 projections) and the RBF-MMD² of vector
    /// samples (`[N, D]`, at least two) against up to 2,000 of this run's validation points.
    public func scorePoints(_ result: SampleResult) throws -> (slicedWasserstein: Double, meanDiscrepancy: Double) {
        guard data.sampleShape.count == 1, result.samples.shape[0] >= 2 else {
            throw DataError(configFile, "point metrics take at least two vector samples; these are \(result.samples.shape)")
        }
        guard let validation = data.validation, validation.count >= 2 else {
            throw DataError(configFile, "point metrics take at least two validation points; data.validation has \(data.validation?.count ?? 0)")
        }
        let real = validation.batch(at: Array(0..<min(validation.count, 2000))).inputs
        let limited = result.samples.slice(axis: 0, end: min(result.samples.shape[0], 2000))
        return (PointCloudMetrics.slicedWasserstein(limited, real, projections: 128),
                PointCloudMetrics.maximumMeanDiscrepancy(limited.slice(axis: 0, end: min(limited.shape[0], 1000)), real.slice(axis: 0, end: min(real.shape[0], 1000))))
    }

    /// FD, precision, recall and conditional accuracy of `result`'s samples against this
    /// run's validation images, in the penultimate features of `classifier`'s trained model
    /// (a classifier run on the same data set; `FeatureSpaceMetrics`).
    public func score(_ result: SampleResult, classifier: Experiment) throws -> FeatureSpaceMetrics.Report {
        guard classifier.data.name == data.name, classifier.data.sampleShape == data.sampleShape else {
            throw DataError(classifier.configFile, "the classifier that scores samples is trained on \(classifier.data.name); the samples are \(data.name)")
        }
        guard let model = classifier.model as? any Classifier, let penultimate = model.stagePaths.last else {
            throw DataError(classifier.configFile, "scoring takes a classifier with named stages (mlp, resnet, …); \(classifier.modelName) has none")
        }
        guard let validation = data.validation else { throw DataError(configFile, "data.validation is none: no real images to score against") }
        let neighbours = 3
        guard result.samples.shape[0] > neighbours, validation.count > neighbours else {
            throw DataError(configFile, "precision and recall take more than \(neighbours) samples and validation images; there are \(result.samples.shape[0]) and \(validation.count)")
        }
        try classifier.loadTrainedWeights()
        let real = validation.batch(at: Array(0..<validation.count)).inputs
        return try FeatureSpaceMetrics(classifier: model, featurePath: penultimate).evaluate(samples: result.samples, classes: result.classes, real: real,
                                                                                            neighbours: neighbours)
    }
}
