import Datasets
import Experiments
import Foundation
import Generative
import Tensors
import XCTest

/// A diffusion model trained from a YAML config (`method: denoising`) and sampled from, as
/// `distill train` and `distill sample` do.
final class GenerativeRunTests: FolderTestCase {
    private func config(model: String = "{model: unet, channels: [8, 16], conditional: true}", epochs: Int = 3) -> String {
        """
        data: {dataset: digits, train_limit: 512}
        model: \(model)
        method: {name: denoising, process: rectified-flow, target: velocity, data_range: [0, 1]}
        training: {epochs: \(epochs), batch_size: 32, optimizer: {name: adam, learning_rate: 0.003}}
        """
    }

    private func experiment(_ yaml: String) throws -> Experiment {
        try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "flow.yaml"), kind: .train, outputDirectory: folder)
    }

    func testAConditionalUNetTrainsFromAConfigAndSamplesImagesForEachClass() throws {
        let run = try experiment(config())
        let summary = try run.run()
        let losses = summary.history.map { $0.validation!["loss"]! }
        XCTAssertEqual(summary.history.last?.validation?.task, "denoising")
        XCTAssertLessThan(losses.last!, losses.first!, "the validation denoising loss falls: \(losses)")

        let result = try run.sample(steps: 4, sampler: .heun, count: 12, guidance: 2)
        XCTAssertEqual(result.samples.shape, [12, 1, 8, 8])
        XCTAssertEqual(result.evaluations, 14, "Heun: 4 steps, the last without a corrector, two evaluations each under guidance")
        XCTAssertEqual(result.files.map(\.lastPathComponent), ["heun-4-guidance2.npy", "heun-4-guidance2.png"])
        XCTAssertEqual(try NPYReader.read(contentsOf: result.files[0]).scalars, result.samples.scalars)
        let png = try Data(contentsOf: result.files[1])
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // A 4×3 grid of 8×8 images, one pixel apart: 35 × 26.
        XCTAssertEqual(Array(png[16..<24]), [0, 0, 0, 35, 0, 0, 0, 26])

        // Scored in a classifier's penultimate features against the validation digits.
        let classifierFolder = folder.appendingPathComponent("classifier")
        let classifier = try Experiment(config: try ConfigNode.parse(yaml: "data: {dataset: digits, train_limit: 512}\nmodel: {model: mlp, hidden: [32]}\ntraining: {epochs: 3}",
                                                                     file: "classifier.yaml"), kind: .train, outputDirectory: classifierFolder)
        try classifier.run()
        let report = try run.score(result, classifier: classifier)
        XCTAssertTrue(report.frechetDistance.isFinite && report.frechetDistance > 0, "FD \(report.frechetDistance)")
        XCTAssertTrue((0...1).contains(report.precision) && (0...1).contains(report.recall))
        XCTAssertNotNil(report.conditionalAccuracy)
    }

    func testAFlowOnTheGeneratedGaussiansSamplesPointsAsAnSVGAndIsScoredAgainstHeldOutPoints() throws {
        let run = try experiment("""
            data: {dataset: gaussians-8}
            model: {model: denoising-mlp, hidden: [64, 64]}
            method: {name: denoising}
            training: {epochs: 30, batch_size: 256}
            """)
        try run.run()
        let few = try run.scorePoints(try run.sample(steps: 1, sampler: .euler, count: 500))
        let result = try run.sample(steps: 16, sampler: .euler, count: 500)
        XCTAssertEqual(result.files.map(\.lastPathComponent), ["euler-16.npy", "euler-16.svg"])
        let svg = try String(contentsOf: result.files[1], encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "<circle ").count - 1, 500)
        let many = try run.scorePoints(result)
        XCTAssertLessThan(many.slicedWasserstein, 0.5 * few.slicedWasserstein, "16 steps beat 1: SWD \(many.slicedWasserstein) against \(few.slicedWasserstein)")
    }

    func testSamplingRefusesRunsAndFlagsItCannotServe() throws {
        let classifier = try experiment("data: {dataset: digits, train_limit: 64}\nmodel: {model: mlp, hidden: [8]}\ntraining: {epochs: 1}")
        try classifier.run()
        XCTAssertThrowsError(try classifier.sample(steps: 2, sampler: .euler, count: 4)) { error in
            XCTAssertTrue("\(error)".contains("sampling takes a generative run (method: denoising, consistency, scm, boot, progressive, reflow, dmd, dmd2, sid, vsd, disback, sign, add, ladd)"), "\(error)")
        }
        let unconditional = try experiment(config(model: "{model: unet, channels: [8]}", epochs: 1))
        try unconditional.run(fresh: true)
        XCTAssertThrowsError(try unconditional.sample(steps: 2, sampler: .euler, count: 4, classLabel: 3)) { error in
            XCTAssertTrue("\(error)".contains("the model is unconditional"), "\(error)")
        }
    }

    func testADenoisingMethodOnAClassifierOrBadKeysIsRefusedInOneLine() throws {
        XCTAssertTrue(validationError(config(model: "{model: unet, channels: [8, 8, 8, 8, 8]}"), kind: .train).contains("8×8 is not divisible by 16"))
        XCTAssertTrue(validationError(config().replacingOccurrences(of: "data_range: [0, 1]", with: "data_range: [1, 0]"), kind: .train)
            .contains("data_range is [low, high] with low < high"))
        XCTAssertTrue(validationError(config(model: "{model: denoising-mlp}"), kind: .train).contains("denoising-mlp takes vectors"))
        let run = try experiment(config(model: "{model: mlp, hidden: [8]}"))
        XCTAssertThrowsError(try run.run()) { error in
            XCTAssertTrue("\(error)".contains("the denoising objective trains a denoising network"), "\(error)")
        }
    }
}
