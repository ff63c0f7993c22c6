import Experiments
import Foundation
import Generative
import Tensors
import XCTest

/// Step distillation from YAML configs, as `distill distill` and `distill sample` run it: a
/// flow-matching teacher trained on the eight Gaussians, then students of several methods
/// distilled from its checkpoint — the teacher's rectified flow reparameterized onto each
/// student's process — and sampled in one and two steps; progressive distillation in
/// chained rounds.
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

    /// A student run of `method` from the teacher's `checkpoint` (none: trained alone),
    /// starting from the weights `startingFrom` when given, with `optimizer` (a flow mapping)
    /// in place of the default.
    private func student(_ method: String, teacher checkpoint: String?, startingFrom weights: String? = nil, epochs: Int = 30,
                         optimizer: String? = nil) throws -> Experiment {
        let teacher = checkpoint.map { "teacher: {model: denoising-mlp, hidden: [128, 128, 128], checkpoint: \($0)}\nstudent: " } ?? "model: "
        let model = weights.map { network.dropLast() + ", checkpoint: \($0)}" } ?? network
        let run = try Experiment(config: try ConfigNode.parse(yaml: """
            data: {dataset: gaussians-8}
            \(teacher)\(model)
            method: {\(method)}
            training: {epochs: \(epochs), batch_size: 256, schedule: {name: cosine}\(optimizer.map { ", optimizer: \($0)" } ?? "")}
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

        XCTAssertEqual(try consistency.sample(count: 4).name, "consistency-1", "a student samples in its own steps by default")
        XCTAssertEqual(try segmented.sample(count: 4).name, "consistency-2", "a segmented student in one step per segment")
        let result = try consistency.sample(steps: 2, count: 16)
        XCTAssertEqual(result.files.map(\.lastPathComponent), ["consistency-2.npy", "consistency-2.svg"])
        XCTAssertEqual(result.evaluations, 2)
        XCTAssertThrowsError(try consistency.sample(steps: 2, sampler: .heun, count: 4)) { error in
            XCTAssertTrue("\(error)".contains("samples by its own steps; --sampler heun is for a `denoising` run"), "\(error)")
        }

        // Re-noising levels: the request's own replace the default ones (σ 2.5 at 2 steps),
        // and a list that is not steps − 1 descending levels inside the student's range, or
        // one for a student that does not re-noise, is refused in one line.
        let atLevel = try consistency.sample(steps: 2, levels: [0.8], count: 16)
        XCTAssertNotEqual(atLevel.samples.scalars, result.samples.scalars, "σ 0.8 re-noises less than the default 2.5")
        XCTAssertEqual(try consistency.sample(steps: 2, levels: [2.5152189761471590], count: 16).samples.scalars, result.samples.scalars,
                       "the default level given explicitly draws the same samples")
        for (run, steps, levels, message) in [(consistency, 2, [0.8, 0.4], "2 steps re-noise at 1 level between them, given 2 (--levels 0.8,0.4)"),
                                              (consistency, 3, [0.4, 0.8], "--levels 0.4,0.8 must descend strictly inside the student's σ range (0.002, 80)"),
                                              (consistency, 2, [100], "--levels 100 must descend strictly inside"),
                                              (segmented, 2, [0.8], "a segmented consistency (TSCD) run takes none"),
                                              (teacher, 2, [0.8], "a denoising run takes none")] {
            XCTAssertThrowsError(try run.sample(steps: steps, levels: levels, count: 4)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
            }
        }
    }

    /// Progressive distillation in chained runs, each round's student starting from its
    /// teacher's weights and teaching the next: 8 → 4 → 2 → 1 steps. The 1-step student
    /// beats the teacher's one step by far. (Consistency distillation's lead over it at one
    /// step, the consistency paper's ordering, holds with the exact teacher —
    /// `TrajectoryDistillationTests` — but not from this trained flow, where the progressive
    /// student starts from the teacher's weights: SWD 0.139 against CD's 0.219.)
    func testProgressiveRoundsChainedFromConfigsReachOneStep() throws {
        let (teacher, checkpoint) = try trainedTeacher()
        let teacherOneStep = try slicedWasserstein(teacher, steps: 1, sampler: .euler)
        var previous = checkpoint
        var round: Experiment?
        for steps in [8, 4, 2] {
            let run = try student("name: progressive, teacher_steps: \(steps)", teacher: previous, startingFrom: previous, epochs: 20)
            previous = run.outputDirectory.appendingPathComponent("model.safetensors").path
            round = run
        }
        let result = try round!.sample(steps: 1, count: 2000)
        XCTAssertEqual(result.files.first?.lastPathComponent, "ddim-1.npy")
        let progressive = try round!.scorePoints(result).slicedWasserstein
        print("1 step: teacher \(teacherOneStep), progressive \(progressive)")
        XCTAssertLessThan(progressive, 0.5 * teacherOneStep, "progressive at 1 step: SWD \(progressive), the teacher's Euler step \(teacherOneStep)")
    }

    /// Reflow from the teacher's couplings straightens the flow (Liu et al.'s straightness
    /// falls) and samples better in one step; one-step distillation of the reflowed flow
    /// (InstaFlow) is better again at one step.
    func testReflowStraightensTheTeachersFlowAndOneStepDistillationSharpensIt() throws {
        let (teacher, checkpoint) = try trainedTeacher()
        let reflow = try student("name: reflow, teacher_steps: 16", teacher: checkpoint, startingFrom: checkpoint, epochs: 20)
        let reflowed = reflow.outputDirectory.appendingPathComponent("model.safetensors").path
        let oneStep = try student("name: reflow, stage: one-step, teacher_steps: 16", teacher: reflowed, startingFrom: reflowed, epochs: 10)
        var generator = RandomGenerator(seed: 5)
        let noise = Tensor.normal([1000, 2], using: &generator)
        func straightness(_ run: Experiment) throws -> Double {
            try run.loadTrainedWeights()
            return try RectifiedFlow.straightness(of: NetworkDenoiser(run.model as! any DenoisingNetwork, process: NoiseProcess(.rectifiedFlow), target: .velocity),
                                                  noise: noise)
        }
        let (before, after) = (try straightness(teacher), try straightness(reflow))
        let oneStepDistances = try [teacher, reflow, oneStep].map { try slicedWasserstein($0, steps: 1, sampler: .euler) }
        print("straightness \(before) → \(after); 1-step SWD teacher, reflow, one-step: \(oneStepDistances)")
        XCTAssertLessThan(after, 0.5 * before, "reflow straightens the flow: \(before) → \(after)")
        XCTAssertLessThan(oneStepDistances[1], 0.5 * oneStepDistances[0], "reflow at 1 step against the teacher's: \(oneStepDistances)")
        XCTAssertLessThan(oneStepDistances[2], oneStepDistances[1], "one-step distillation sharpens the reflowed flow's step: \(oneStepDistances)")
    }

    /// DMD2 and DMD from configs: the generator starts from the teacher's checkpoint, the fake
    /// score from another copy of it, trained beside it and saved in the run's checkpoint.
    func testDistributionMatchingStudentsRunFromConfigs() throws {
        let (teacher, checkpoint) = try trainedTeacher()
        let teacherOneStep = try slicedWasserstein(teacher, steps: 1, sampler: .euler)
        let dmd2 = try student("name: dmd2", teacher: checkpoint, startingFrom: checkpoint, epochs: 10)
        let dmd = try student("name: dmd, regression_pairs: 512, teacher_steps: 16", teacher: checkpoint, startingFrom: checkpoint, epochs: 10)
        let sid = try student("name: sid, fake_score_updates: 5, alpha: 1.2", teacher: checkpoint, startingFrom: checkpoint, epochs: 10)
        let vsd = try student("name: vsd, lora_rank: 16, fake_score_learning_rate: 0.001", teacher: checkpoint, startingFrom: checkpoint, epochs: 10)
        let gan = try student("name: dmd2, gan_weight: 0.003", teacher: checkpoint, startingFrom: checkpoint, epochs: 4)
        let sign = try student("name: sign, regression_pairs: 512, teacher_steps: 16", teacher: checkpoint, startingFrom: checkpoint, epochs: 10)
        // DisBack from an untrained generator: the path recorded before training, walked in
        // the first 2 epochs; the generator moves from noise toward the ring.
        let disback = try student("name: disback, path_checkpoints: 2, path_steps: 50, path_epochs: 1", teacher: checkpoint, epochs: 6)
        let disbackDistance = try slicedWasserstein(disback, steps: 1)
        print("DisBack from an untrained generator, 6 epochs: SWD \(disbackDistance)")
        XCTAssertLessThan(disbackDistance, 0.5 * teacherOneStep, "DisBack's generator from an untrained start")
        let distances = try [dmd2, dmd, sid, vsd, gan, sign].map { try slicedWasserstein($0, steps: 1) }
        print("teacher 1-step SWD \(teacherOneStep); DMD2, DMD, SiD, VSD, DMD2 with its GAN term (4 epochs), SIGN: \(distances)")
        // SIGN's generator samples in two steps by being applied twice.
        let reapplied = try slicedWasserstein(sign, steps: 2)
        print("SIGN applied twice: SWD \(reapplied)")
        XCTAssertLessThan(reapplied, 0.5 * teacherOneStep)
        XCTAssertTrue(try String(contentsOf: sign.outputDirectory.appendingPathComponent("metrics.jsonl"), encoding: .utf8).contains("\"idempotence\""))
        XCTAssertThrowsError(try student("name: sign, steps: 2", teacher: checkpoint, startingFrom: checkpoint, epochs: 1)) { error in
            XCTAssertTrue("\(error)".contains("SIGN trains a one-step generator, found steps 2"), "\(error)")
        }
        // DMD2's GAN head trains with the fake score, saved beside it.
        let discriminated = try SafeTensors.read(contentsOf: gan.outputDirectory.appendingPathComponent("checkpoints/last.safetensors")).tensors
        XCTAssertNotNil(discriminated["model.modules.fake_score.classifier.0.weight"])
        XCTAssertNotNil(discriminated["model.modules.fake_score.score.network.0.weight"])
        XCTAssertTrue(try String(contentsOf: gan.outputDirectory.appendingPathComponent("metrics.jsonl"), encoding: .utf8).contains("fake_score.classification"))
        for distance in distances { XCTAssertLessThan(distance, 0.5 * teacherOneStep) }
        // VSD's fake score: PEFT-named adapters beside the teacher's frozen weights, unchanged.
        let adapted = try SafeTensors.read(contentsOf: vsd.outputDirectory.appendingPathComponent("checkpoints/last.safetensors")).tensors
        let teacherWeights = try SafeTensors.read(contentsOf: URL(fileURLWithPath: checkpoint)).tensors
        XCTAssertNotNil(adapted["model.modules.fake_score.network.0.lora_A.weight"])
        XCTAssertEqual(adapted["model.modules.fake_score.network.0.base_layer.weight"]?.scalars, teacherWeights["network.0.weight"]?.scalars)
        XCTAssertEqual(try sid.sample(count: 4).name, "sid-1")
        XCTAssertEqual(try dmd2.sample(count: 4).name, "dmd2-1")
        let saved = try SafeTensors.read(contentsOf: dmd2.outputDirectory.appendingPathComponent("checkpoints/last.safetensors")).tensors
        XCTAssertTrue(saved.keys.contains { $0.hasPrefix("model.modules.fake_score.") }, "the fake score is in the checkpoint")
        let metrics = try String(contentsOf: dmd2.outputDirectory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertTrue(metrics.contains("fake_score.denoising"), "the fake score's loss is in the metrics")
        XCTAssertThrowsError(try dmd2.sample(steps: 2, count: 4)) { error in
            XCTAssertTrue("\(error)".contains("this dmd2 generator was trained for 1 step; asked for 2"), "\(error)")
        }
        let config = """
            data: {dataset: gaussians-8}
            teacher: {model: denoising-mlp, hidden: [128, 128, 128], checkpoint: \(checkpoint)}
            student: \(network)
            method: {name: dmd, steps: 2}
            """
        for (method, key) in [("dmd, steps: 2", "DMD's regression trains a one-step generator"), ("dmd2, regression_pairs: 16", "regression_pairs"), ("dmd2, fake_score_updates: 0", "fake_score_updates"),
                               ("dmd2, alpha: 1.2", "alpha"), ("sid, alpha: -1", "alpha"), ("dmd2, lora_rank: 4", "lora_rank"),
                               ("vsd, lora_rank: 0", "lora_rank"), ("vsd, fake_score_learning_rate: -1", "fake_score_learning_rate"),
                               ("sid, gan_weight: 0.003", "gan_weight"), ("dmd2, gan_weight: -1", "gan_weight"), ("dmd2, path_steps: 10", "path_steps"),
                               ("disback, path_checkpoints: 0", "path_checkpoints")] {
            let message = validationError(config.replacingOccurrences(of: "dmd, steps: 2", with: method))
            XCTAssertTrue(message.contains(key), message)
            print(message)
        }
    }

    /// ADD and LADD from configs: ADD's discriminator reads a classifier of the ring's
    /// components trained by its own config (`feature_network`), LADD's the teacher's hidden
    /// activations; both beat the teacher's one-step sampling by far, and the discriminator's
    /// heads are saved in the run's checkpoint.
    func testAdversarialStudentsRunFromConfigs() throws {
        let (teacher, checkpoint) = try trainedTeacher()
        let teacherOneStep = try slicedWasserstein(teacher, steps: 1, sampler: .euler)
        let classifier = try Experiment(config: try ConfigNode.parse(yaml: """
            data: {dataset: gaussians-8}
            model: {model: mlp, hidden: [64, 64]}
            training: {epochs: 10, batch_size: 256, schedule: {name: constant}}
            """, file: "classifier.yaml"), kind: .train, outputDirectory: folder.appendingPathComponent("classifier"))
        try classifier.run()
        let features = "feature_network: {model: mlp, hidden: [64, 64], checkpoint: \(folder.appendingPathComponent("classifier/model.safetensors").path)}"
        let gan = "{name: adam, learning_rate: 0.0001, beta1: 0, beta2: 0.99}"
        let add = try student("name: add, \(features), discriminator_learning_rate: 0.001", teacher: checkpoint, startingFrom: checkpoint, optimizer: gan)
        let ladd = try student("name: ladd, time_location: -1, discriminator_learning_rate: 0.001", teacher: checkpoint, startingFrom: checkpoint, optimizer: gan)
        let distances = try [add, ladd].map { try slicedWasserstein($0, steps: 1) }
        print("teacher 1-step SWD \(teacherOneStep); ADD, LADD: \(distances)")
        for distance in distances { XCTAssertLessThan(distance, 0.3 * teacherOneStep) }
        let saved = try SafeTensors.read(contentsOf: add.outputDirectory.appendingPathComponent("checkpoints/last.safetensors")).tensors
        XCTAssertNotNil(saved["model.modules.discriminator.heads.1.0.weight"], "ADD's two heads, one per hidden layer of the classifier")
        let metrics = try String(contentsOf: ladd.outputDirectory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertTrue(metrics.contains("discriminator.hinge"))
        XCTAssertEqual(try ladd.sample(count: 4).name, "ladd-1")
        XCTAssertThrowsError(try student("name: add, \(features), feature_layers: [\"9\"]", teacher: checkpoint, startingFrom: checkpoint, epochs: 1)) { error in
            XCTAssertTrue("\(error)".contains("method.feature_layers"), "\(error)")
        }
        XCTAssertThrowsError(try student("name: add", teacher: checkpoint, startingFrom: checkpoint, epochs: 1)) { error in
            XCTAssertTrue("\(error)".contains("feature_network"), "\(error)")
        }
    }

    /// Class-conditional generators from configs: DMD2 of a conditional teacher, and MSD's
    /// four students of a quarter of the width (`students: 4`), pretrained by flow matching on
    /// their classes, then distilled the same way. `distill sample` routes each class to its
    /// student; both sample the requested component.
    func testConditionalAndMultiStudentGeneratorsRunFromConfigs() throws {
        func run(_ name: String, _ sections: String, epochs: Int, kind: Experiment.Kind = .distill) throws -> Experiment {
            let run = try Experiment(config: try ConfigNode.parse(yaml: """
                data: {dataset: gaussians-8}
                \(sections)
                training: {epochs: \(epochs), batch_size: 256, schedule: {name: cosine}}
                """, file: "\(name).yaml"), kind: kind, outputDirectory: folder.appendingPathComponent(name))
            try run.run()
            return run
        }
        let conditional = "{model: denoising-mlp, hidden: [128, 128, 128], conditional: true"
        let students = "{model: denoising-mlp, hidden: [32, 32, 32], conditional: true, students: 4"
        let teacherSection = "teacher: \(conditional), checkpoint: \(folder.appendingPathComponent("teacher/model.safetensors").path)}"
        let teacher = try run("teacher", "model: \(conditional)}\nmethod: {name: denoising}", epochs: 60, kind: .train)
        let dmd2 = try run("dmd2", "\(teacherSection)\nstudent: \(conditional), checkpoint: \(folder.appendingPathComponent("teacher/model.safetensors").path)}\n"
                           + "method: {name: dmd2}", epochs: 10)
        _ = try run("students", "model: \(students)}\nmethod: {name: denoising}", epochs: 60, kind: .train)
        let msd = try run("msd", "\(teacherSection)\nstudent: \(students), checkpoint: \(folder.appendingPathComponent("students/model.safetensors").path)}\n"
                          + "method: {name: dmd2}", epochs: 10)

        let teacherOneStep = try teacher.scorePoints(try teacher.sample(steps: 1, sampler: .euler, count: 2000)).slicedWasserstein
        for generator in [dmd2, msd] {
            let drawn = try generator.sample(count: 2000)
            let distance = try generator.scorePoints(drawn).slicedWasserstein
            let accuracy = PointCloudMetrics.conditionalAccuracy(drawn.samples, classes: try XCTUnwrap(drawn.classes), mixture: GenerativeDemo.mixture)
            print("\(generator.outputDirectory.lastPathComponent): 1-step SWD \(distance), conditional accuracy \(accuracy); the teacher's Euler step \(teacherOneStep)")
            XCTAssertLessThan(distance, 0.5 * teacherOneStep)
            XCTAssertGreaterThan(accuracy, 0.95)
            let oneClass = try generator.sample(count: 200, classLabel: 5)
            XCTAssertGreaterThan(PointCloudMetrics.conditionalAccuracy(oneClass.samples, classes: [Int](repeating: 5, count: 200), mixture: GenerativeDemo.mixture), 0.9)
            XCTAssertThrowsError(try generator.sample(count: 4, guidance: 2)) { error in
                XCTAssertTrue("\(error)".contains("without guidance; --guidance is for a `denoising` run"), "\(error)")
            }
        }
        let saved = try SafeTensors.read(contentsOf: msd.outputDirectory.appendingPathComponent("model.safetensors")).tensors
        XCTAssertNotNil(saved["students.3.network.0.weight"])

        _ = try run("unconditional", "model: {model: denoising-mlp, hidden: [128, 128, 128]}\nmethod: {name: denoising}", epochs: 1, kind: .train)
        let unconditionalTeacher = "teacher: {model: denoising-mlp, hidden: [128, 128, 128], checkpoint: \(folder.appendingPathComponent("unconditional/model.safetensors").path)}"
        for (yaml, expected) in [
            ("\(teacherSection)\nstudent: \(conditional)}\nmethod: {name: dmd}", "set regression_pairs: 0"),
            ("\(teacherSection)\nstudent: \(conditional)}\nmethod: {name: dmd2, gan_weight: 0.003}", "gan_weight: 0"),
            ("\(teacherSection)\nstudent: \(conditional)}\nmethod: {name: sign}", "dmd, dmd2, sid and vsd train class-conditional ones"),
            ("\(teacherSection)\nstudent: \(conditional)}\nmethod: {name: consistency}", "trains an unconditional student"),
            ("\(unconditionalTeacher)\nstudent: \(conditional)}\nmethod: {name: dmd2}", "no `conditional: true`"),
            ("teacher: \(students), checkpoint: \(folder.appendingPathComponent("students/model.safetensors").path)}\nstudent: \(students)}\nmethod: {name: dmd2}",
             "distills one teacher network"),
            ("model: \(students)}\nmethod: {name: denoising, condition_dropout: 0.1}", "condition_dropout must be 0"),
            ("model: {model: denoising-mlp, students: 4}\nmethod: {name: denoising}", "this network is unconditional"),
            ("model: {model: denoising-mlp, conditional: true, students: 9}\nmethod: {name: denoising}", "there are 8"),
        ] {
            let message = validationError("data: {dataset: gaussians-8}\n" + yaml, kind: yaml.hasPrefix("model") ? .train : .distill)
            XCTAssertTrue(message.contains(expected), message)
            print(message)
        }
        let studentsTeacher = try Experiment(config: try ConfigNode.parse(yaml: "data: {dataset: gaussians-8}\nmodel: \(students)}\nmethod: {name: denoising}",
                                                                          file: "students.yaml"), kind: .train, outputDirectory: folder.appendingPathComponent("students"))
        XCTAssertThrowsError(try studentsTeacher.sample(count: 4, guidance: 2)) { error in
            XCTAssertTrue("\(error)".contains("no null class to guide against"), "\(error)")
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
        XCTAssertTrue(validationError(stray.replacingOccurrences(of: "consistency, eta: 0.3", with: "scm, teacher_target: x0"), kind: .train)
            .contains("teacher_target describes the teacher, and this run has none"))
        for method in ["boot", "progressive", "reflow"] {
            XCTAssertTrue(validationError(stray.replacingOccurrences(of: "consistency, eta: 0.3", with: method), kind: .train)
                .contains("method '\(method)' distills from a teacher: add a `teacher:` section"), method)
        }
    }
}
