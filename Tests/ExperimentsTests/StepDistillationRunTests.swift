import Experiments
import Foundation
import Generative
import XCTest

/// Step distillation from YAML configs, as `distill distill` and `distill sample` run it: a
/// flow-matching teacher trained on the eight Gaussians, then students of several methods
/// distilled from its checkpoint — the teacher's rectified flow reparameterized onto each
/// student's process — and sampled in one and two steps.
final class StepDistillationRunTests: FolderTestCase {
    private let network = "{model: denoising-mlp, hidden: [128, 128, 128]}"

    private func trainedTeacher() throws -> (run: Experiment, checkpoint: String) {
        let run = try Experiment(config: try ConfigNode.parse(yaml: """
            data: {dataset: gaussians-8}
            model: \(network)
            method: {name: denoising, process: rectified-flow, target: velocity}
            training: {epochs: 60, batch_size: 256, schedule: {name: cosine}}
            """, file: "teacher.yaml"), kind: .train, outputDirectory: folder.appendingPathComponent("teacher"))
        try run.run()
        return (run, folder.appendingPathComponent("teacher/model.safetensors").path)
    }

    private func student(_ method: String, teacher checkpoint: String?, epochs: Int = 30) throws -> Experiment {
        let teacher = checkpoint.map { "teacher: {model: denoising-mlp, hidden: [128, 128, 128], checkpoint: \($0)}\nstudent: " } ?? "model: "
        let run = try Experiment(config: try ConfigNode.parse(yaml: """
            data: {dataset: gaussians-8}
            \(teacher)\(network)
            method: {\(method)}
            training: {epochs: \(epochs), batch_size: 256, schedule: {name: cosine}}
            """, file: "student.yaml"), outputDirectory: folder.appendingPathComponent("student-\(UUID())"))
        try run.run()
        return run
    }

    private func slicedWasserstein(_ run: Experiment, steps: Int, sampler: Sampler.Method? = nil) throws -> Double {
        try run.scorePoints(try run.sample(steps: steps, sampler: sampler, count: 2000)).slicedWasserstein
    }

    /// Each student at one step beats the teacher's own one-step sampling by a wide margin
    /// (SWD at most half), and two Hyper-SD segments beat plain consistency at two steps.
    func testStudentsOfAFlowTeacherBeatItsOneStepSamplingFromConfigs() throws {
        let (teacher, checkpoint) = try trainedTeacher()
        let teacherOneStep = try slicedWasserstein(teacher, steps: 1, sampler: .euler)
        let consistency = try student("name: consistency", teacher: checkpoint)
        var oneStep = ["consistency": try slicedWasserstein(consistency, steps: 1)]
        for method in ["scm", "boot"] {
            oneStep[method] = try slicedWasserstein(try student("name: \(method)", teacher: checkpoint), steps: 1)
        }
        oneStep["consistency training (no teacher)"] = try slicedWasserstein(try student("name: consistency", teacher: nil), steps: 1)
        for (method, distance) in oneStep {
            XCTAssertLessThan(distance, 0.5 * teacherOneStep, "\(method) at 1 step: SWD \(distance), the teacher's Euler step \(teacherOneStep)")
        }
        let segmented = try student("name: consistency, segments: 2", teacher: checkpoint)
        let (plainTwo, segmentedTwo) = (try slicedWasserstein(consistency, steps: 2), try slicedWasserstein(segmented, steps: 2))
        XCTAssertLessThan(segmentedTwo, plainTwo, "TSCD at 2 steps: SWD \(segmentedTwo), CD \(plainTwo)")
        print("teacher 1-step SWD \(teacherOneStep); students \(oneStep.sorted { $0.key < $1.key }); 2 steps CD \(plainTwo), TSCD \(segmentedTwo)")

        let result = try consistency.sample(steps: 2, count: 16)
        XCTAssertEqual(result.files.map(\.lastPathComponent), ["consistency-2.npy", "consistency-2.svg"])
        XCTAssertEqual(result.evaluations, 2)
        XCTAssertThrowsError(try consistency.sample(steps: 2, sampler: .heun, count: 4)) { error in
            XCTAssertTrue("\(error)".contains("samples by its own steps; --sampler heun is for a `denoising` run"), "\(error)")
        }
    }

    func testAStudentsConfigIsCheckedBeforeTraining() throws {
        let checkpoint = folder.appendingPathComponent("missing.safetensors").path
        let classifierTeacher = """
            data: {dataset: digits, train_limit: 64}
            teacher: {model: mlp, hidden: [8], checkpoint: \(checkpoint)}
            student: {model: unet, channels: [8]}
            method: {name: consistency}
            """
        XCTAssertTrue(validationError(classifierTeacher).contains("no such file"))
        let conditional = """
            data: {dataset: digits, train_limit: 64}
            model: {model: unet, channels: [8], conditional: true}
            method: {name: consistency, data_range: [0, 1]}
            """
        XCTAssertTrue(validationError(conditional, kind: .train).contains("trains an unconditional student: remove `conditional: true`"))
        let stray = """
            data: {dataset: gaussians-8}
            model: {model: denoising-mlp}
            method: {name: consistency, eta: 0.3}
            """
        XCTAssertTrue(validationError(stray, kind: .train).contains("eta sets the teacher's step or loss; consistency training (no teacher) uses iCT's"))
        XCTAssertTrue(validationError(stray.replacingOccurrences(of: "consistency, eta: 0.3", with: "boot"), kind: .train)
            .contains("method 'boot' distills from a teacher: add a `teacher:` section"))
    }
}
