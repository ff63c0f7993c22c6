import Datasets
import Distillation
import Experiments
import Foundation
import NN
import Optim
import Tensors
import XCTest

/// Every kind of config mistake is caught before training, in one line naming the file,
/// the line and the key.
final class ConfigValidationTests: XCTestCase {
    func testAValidConfigBuilds() throws {
        let experiment = try Experiment(config: try ConfigNode.parse(yaml: distillConfig(), file: "run.yaml"), kind: .distill)
        XCTAssertEqual(experiment.model.parameterCount, 64 * 8 + 8 + 8 * 10 + 10)
        XCTAssertEqual((experiment.trainer.objective as! DistillationObjective).lossTerms.terms.map(\.term.name), ["kd", "ce"])
        XCTAssertEqual(experiment.trainer.options.epochs, 2)
        XCTAssertEqual(experiment.data.training.count, 64)
        XCTAssertEqual(experiment.outputDirectory.lastPathComponent, "run")
    }

    /// MEAL V2's discriminator trains by a copy of the student's optimizer, or by the one its
    /// entry names, at that entry's learning rate.
    func testTheDiscriminatorsOptimizerComesFromItsEntryOrTheStudent() throws {
        func discriminator(_ entry: String) throws -> OptimizedModule? {
            let yaml = distillConfig(["  - {name: ce": entry])
            let experiment = try Experiment(config: try ConfigNode.parse(yaml: yaml, file: "run.yaml"), kind: .distill)
            return (experiment.trainer.objective as! DistillationObjective).optimizedModules.first
        }
        let copied = try XCTUnwrap(discriminator("  - {name: meal, hidden: 16}"))
        XCTAssertEqual(copied.name, "meal")
        XCTAssertNil(copied.optimizer, "the trainer gives it a fresh copy of the student's")
        XCTAssertNil(copied.schedule)
        let named = try XCTUnwrap(discriminator("  - {name: meal, optimizer: {name: rmsprop, learning_rate: 0.002}}"))
        XCTAssertTrue(named.optimizer is RMSprop)
        XCTAssertEqual(named.schedule?.learningRate(at: 1000), 0.002)
    }

    func testUnknownKeyNamesTheKeyAndTheValidOnes() {
        XCTAssertEqual(validationError(distillConfig(["  epochs": "  epochz: 2"])),
                       "run.yaml:10: training.epochz: unknown key (valid here: batch_size, early_stopping, epochs, optimizer, schedule, seed)")
        XCTAssertTrue(validationError(distillConfig(["  - {name: ce": "  - {name: ce, wieght: 0.1}"]))
            .hasPrefix("run.yaml:8: losses[1].wieght: unknown key (valid here: label_smoothing, name, weight)"))
        XCTAssertTrue(validationError(distillConfig() + "\nschedul: {name: cosine}").hasPrefix("run.yaml:12: schedul: unknown key"))
    }

    func testWrongTypeSaysWhatWasExpected() {
        XCTAssertEqual(validationError(distillConfig(["  epochs": "  epochs: ten"])), "run.yaml:10: training.epochs: expected an integer, found 'ten'")
        XCTAssertEqual(validationError(distillConfig(["  hidden": "  hidden: 8"])), "run.yaml:5: student.hidden: expected a list, found '8'")
        XCTAssertEqual(validationError(distillConfig(["losses:": "losses: {name: kd}", "  - {name: kd": "", "  - {name: ce": ""])),
                       "run.yaml:6: losses: expected a list, found a mapping")
    }

    /// NST and FSP read feature maps, CC any features; each refuses what it cannot use.
    func testFeatureMapTermsRefuseFeaturesTheyCannotUse() {
        func term(_ line: String) -> String { validationError(distillConfig(["  - {name: kd": "  - " + line])) }
        XCTAssertTrue(term(#"{name: nst, pairs: [{student: "1", teacher: "1"}]}"#)
            .hasPrefix("run.yaml:7: losses[0].pairs[0]: nst needs [N, C, H, W] features, one map at least as large as the other both ways; the student's is [2, 8], the teacher's [2, 16]"))
        XCTAssertEqual(term(#"{name: nst, pairs: []}"#), "run.yaml:7: losses[0].pairs: expected at least one {student, teacher} pair")
        XCTAssertEqual(term(#"{name: fsp, student: ["1"], teacher: ["1"]}"#), "run.yaml:7: losses[0]: fsp needs two or more layers of each model, as many of each; found 1 and 1")
        XCTAssertTrue(term(#"{name: fsp, student: ["0", "1"], teacher: ["0", "1"]}"#).hasPrefix("run.yaml:7: losses[0].student[0]: fsp needs [N, C, H, W] features"))
        XCTAssertEqual(term(#"{name: cc, student: "1", teacher: "1", gamma: 0.5}"#), "run.yaml:7: losses[0].gamma: only the rbf kernel takes gamma (add kernel: rbf)")
        XCTAssertEqual(term(#"{name: cc, student: "1", teacher: "1", kernel: gauss}"#), "run.yaml:7: losses[0].kernel: unknown kernel 'gauss' (valid: repdistiller, rbf)")
        XCTAssertNoThrow(try Experiment(config: try ConfigNode.parse(yaml: distillConfig(["  - {name: kd": #"  - {name: cc, student: "1", teacher: "1", kernel: rbf, gamma: 0.5, order: 3}"#]), file: "run.yaml"),
                                        outputDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("unused")))
    }

    func testUnknownLossModelAndOptimizerListTheValidOnes() {
        XCTAssertTrue(validationError(distillConfig(["  - {name: kd": "  - {name: kdd}"])).hasPrefix(
                      "run.yaml:7: losses[0].name: unknown loss 'kdd' (valid: ce, kd, ssld, dkd, fitnets, at, sp, rkd, pkt, vid, crd, meal, mi_alpha, token_relations, nst, cc, fsp, ab, ft, defensive"),
                      "the built-in terms (a program may have registered more: RegistryTests)")
        let model = validationError(distillConfig(["  model: mlp": "  model: resnet21"]))
        XCTAssertTrue(model.hasPrefix("run.yaml:4: student.model: unknown model 'resnet21' (valid: mlp, lenet5, resnet8,"), model)
        XCTAssertTrue(validationError(distillConfig(["  optimizer": "  optimizer: {name: adagrad}"]))
            .hasPrefix("run.yaml:11: training.optimizer.name: unknown optimizer 'adagrad' (valid: sgd, adam, adamw, rmsprop)"))
        XCTAssertEqual(validationError(distillConfig(["  - {name: ce": "  - {name: meal, optimizer: {name: adam, learning_rat: 1}}"])),
                       "run.yaml:8: losses[1].optimizer.learning_rat: unknown key (valid here: beta1, beta2, learning_rate, max_grad_norm, name, weight_decay)")
        XCTAssertEqual(validationError(distillConfig(["  optimizer": "  optimizer: {name: sgd, max_grad_norm: -1}"])),
                       "run.yaml:11: training.optimizer.max_grad_norm: must be positive (the largest global gradient norm), found -1.0")
        XCTAssertEqual(validationError(distillConfig(["  optimizer": "  optimizer: {name: adam, max_grad_norm: big}"])),
                       "run.yaml:11: training.optimizer.max_grad_norm: expected a number, found 'big'")
        XCTAssertEqual(validationError(distillConfig(["  model: mlp": "  model: resnet20"])),
                       "run.yaml:4: student.model: resnet20 takes square 3-channel images; the data's samples are [1, 8, 8] (mlp and lenet5 take any)")
    }

    func testFeaturePathsAreCheckedAgainstTheModels() {
        XCTAssertEqual(validationError(distillConfig(["  - {name: ce": "  - {name: fitnets, student: '5', teacher: '1'}"])),
                       "run.yaml:8: losses[1].student: no module '5' in the student (valid: 0, 1, 2)")
        XCTAssertEqual(validationError(distillConfig(["  - {name: ce": "  - {name: rkd, student: '1', teacher: layer3}"])),
                       "run.yaml:8: losses[1].teacher: no module 'layer3' in the teacher (valid: 0, 1, 2)")
        XCTAssertNoThrow(try Experiment(config: try ConfigNode.parse(
            yaml: distillConfig(["  - {name: ce": "  - {name: fitnets, student: '1', teacher: '1'}"]), file: "run.yaml"), kind: .distill))
    }

    func testTeacherProblemsAreCaught() {
        XCTAssertTrue(validationError(distillConfig(["teacher": "teacher: {model: mlp, hidden: [16], checkpoint: /nonexistent.safetensors}"]))
            .hasPrefix("run.yaml:2: teacher.checkpoint: no such file '/nonexistent.safetensors'"))
        let misfit = validationError(distillConfig(["teacher": "teacher: {model: mlp, hidden: [32], checkpoint: \(ConfigFixtures.teacherWeights.path)}"]))
        XCTAssertTrue(misfit.hasPrefix("run.yaml:2: teacher.checkpoint: \(ConfigFixtures.teacherWeights.path) does not fit the model: 0.weight: shape [16, 64], expected [32, 64]"), misfit)
        XCTAssertEqual(validationError(distillConfig(["teacher": ""])), "run.yaml:1: missing required key 'teacher' (a model with a checkpoint, or an ensemble)")
        // A student's starting weights are checked the same way.
        let start = validationError(distillConfig(["  hidden: [8]": "  hidden: [8]\n  checkpoint: /nonexistent.safetensors"]))
        XCTAssertTrue(start.hasPrefix("run.yaml:6: student.checkpoint: no such file '/nonexistent.safetensors' (run the config that writes it first)"), start)
        let wrongStart = validationError(distillConfig(["  hidden: [8]": "  hidden: [8]\n  checkpoint: \(ConfigFixtures.teacherWeights.path)"]))
        XCTAssertTrue(wrongStart.contains("student.checkpoint: \(ConfigFixtures.teacherWeights.path) does not fit the model"), wrongStart)
        let yaml = distillConfig(["teacher": "", "student:": "model:"])
        XCTAssertEqual(validationError(yaml, kind: .train), "run.yaml:7: losses[0]: loss 'kd' needs a teacher, and this run has none (only 'ce' and 'defensive' train without one)")
    }

    func testMalformedYAMLAndMissingFilesAreReported() {
        XCTAssertTrue(validationError("data: {dataset: digits\nmodel: [").hasPrefix("run.yaml: not valid YAML:"))
        XCTAssertEqual(validationError(""), "run.yaml: the file is empty; expected a mapping of sections")
        XCTAssertThrowsError(try Experiment(configFile: URL(fileURLWithPath: "/nonexistent/run.yaml"), kind: .train)) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/run.yaml: cannot be read"), "\(error)")
        }
        XCTAssertTrue(validationError(distillConfig(["data": "data: {dataset: imagenet}"]))
            .hasPrefix("run.yaml:1: data.dataset: unknown data set 'imagenet' (valid: digits,"))
    }

    func testRobustMethodsAreValidated() {
        let method = "method: {name: rslad, epsilon: 0.1}"
        XCTAssertEqual(validationError(distillConfig() + "\n" + method),
                       "run.yaml:7: losses: a config with a robust `method` takes no `losses` (the method defines its loss)")
        let noLosses = distillConfig(["losses:": method, "  - {name: kd": "", "  - {name: ce": ""])
        XCTAssertNoThrow(try Experiment(config: try ConfigNode.parse(yaml: noLosses, file: "run.yaml")))
        XCTAssertTrue(validationError(distillConfig(["losses:": "method: {name: mtard, epsilon: 0.1}", "  - {name: kd": "", "  - {name: ce": ""]))
            .hasPrefix("run.yaml:6: method: method 'mtard' needs a `clean_teacher:` section"))
        XCTAssertTrue(validationError(distillConfig(["losses:": "method: {name: fgsm-at, epsilon: 0.1}", "  - {name: kd": "", "  - {name: ce": ""]))
            .hasPrefix("run.yaml:6: method.name: unknown method 'fgsm-at' (valid: pgd-at, trades, ard, rslad, mtard, hard, denoising, consistency, scm, boot, progressive, reflow, dmd, dmd2, sid, vsd, disback, sign, add, ladd, vqgraph, lm-kd, minillm)"))
        XCTAssertEqual(validationError(distillConfig(["losses:": "method: {name: trades}", "  - {name: kd": "", "  - {name: ce": ""])),
                       "run.yaml:6: method: missing required key 'epsilon' (the perturbation budget)")
    }

    func testAliasesThatExpandBeyondTheLimitAreRefusedAtOnce() {
        // The "billion laughs" with the aliases as mapping keys: 10⁹ nodes from ~1 KB.
        var yaml = "a0: &a0 {k: v}\n"
        for level in 1..<10 {
            yaml += "a\(level): &a\(level) {" + (0..<10).map { "? [*a\(level - 1), \($0)] : \($0)" }.joined(separator: ", ") + "}\n"
        }
        let start = Date()
        XCTAssertTrue(validationError(yaml).contains("its aliases (*name) expand it to more than 100000 nodes"), validationError(yaml))
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "the check must not expand the aliases")
        // Ordinary anchors and aliases still work.
        let shared = distillConfig(["  - {name: kd": "  - {name: kd, weight: &half 0.5, temperature: 4}", "  - {name: ce": "  - {name: ce, weight: *half}"])
        XCTAssertNoThrow(try Experiment(config: try ConfigNode.parse(yaml: shared, file: "run.yaml"),
                                        outputDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("unused")))
    }

    func testOutOfRangeValuesNameTheKeyAndTheRange() {
        let cases: [(String, String, String)] = [
            ("data", "data: {dataset: digits, train_limit: 64, augmentation: [{name: patch_mask, patch: 0}]}", "data.augmentation[0].patch: must be in [1, 8], found 0"),
            ("data", "data: {dataset: digits, train_limit: 64, augmentation: [{name: patch_mask, patch: -2}]}", "must be in [1, 8], found -2"),
            ("data", "data: {dataset: digits, train_limit: 64, augmentation: [{name: random_crop, padding: -3}]}", "data.augmentation[0].padding: must be in [0, 8], found -3"),
            ("data", "data: {dataset: digits, train_limit: 64, augmentation: [{name: horizontal_flip, probability: 5}]}", "probability: must be in [0.0, 1.0], found 5.0"),
            ("data", "data: {dataset: digits, train_limit: 64, augmentation: [{name: gaussian_noise, std: -1}]}", "std: must be zero or more, found -1.0"),
            ("data", "data: {dataset: digits, train_limit: 64, augmentation: [{name: random_erasing, probability: -0.1}]}", "must be in [0.0, 1.0], found -0.1"),
            ("  hidden: [8]", "  hidden: [8]\n  dropout: 1", "student.dropout: must be in [0.0, 1.0), found 1.0"),
            ("  hidden: [8]", "  hidden: [8]\n  dropout: -0.5", "student.dropout: must be in [0.0, 1.0), found -0.5"),
            ("  - {name: ce", "  - {name: ce, weight: -5}", "losses[1].weight: must be in [0.0, 1000000.0], found -5.0"),
            ("  - {name: ce", "  - {name: ce, weight: 1e30}", "losses[1].weight: must be in [0.0, 1000000.0], found 1e+30"),
            ("  - {name: ce", "  - {name: ce, label_smoothing: 1}", "losses[1].label_smoothing: must be in [0.0, 1.0), found 1.0"),
            ("  - {name: kd", "  - {name: dkd, beta: -8}", "losses[0].beta: must be zero or more, found -8.0"),
        ]
        for (prefix, replacement, expected) in cases {
            let error = validationError(distillConfig([prefix: replacement]))
            XCTAssertTrue(error.contains(expected), "\(replacement): \(error)")
        }
        let robust = distillConfig(["losses:": "method: {name: trades, epsilon: 1e30}", "  - {name: kd": "", "  - {name: ce": ""])
        XCTAssertTrue(validationError(robust).contains("method.epsilon: 1e+30 exceeds 1.0, the width of the input range"), validationError(robust))
        let trades = distillConfig(["losses:": "method: {name: trades, epsilon: 0.1, beta: -6}", "  - {name: kd": "", "  - {name: ce": ""])
        XCTAssertTrue(validationError(trades).contains("method.beta: must be zero or more, found -6.0"), validationError(trades))
    }

    func testModelsThatCannotFitInMemoryAreRefusedBeforeAllocating() {
        let huge = validationError(distillConfig(["  hidden: [8]": "  hidden: [1000000, 1000000]"]))
        XCTAssertTrue(huge.hasPrefix("run.yaml:4: student: mlp as configured needs about 14904.2 GiB for 1000076000010 parameters (16 bytes each: weight, gradient, optimizer state) and activations of batches of 64 (1.9 GiB)"), huge)
        XCTAssertTrue(huge.contains("this machine has"), huge)
        let overflow = validationError(distillConfig(["  hidden: [8]": "  hidden: [4294967296, 4294967296]"]))
        XCTAssertTrue(overflow.contains("needs more memory than can be addressed"), overflow)
        // Few parameters for their activations: batches of all 1,438 digits, 2·10⁸ wide.
        let wide = validationError(distillConfig(["data": "data: {dataset: digits}", "  hidden: [8]": "  hidden: [200000000]", "  epochs: 2": "  epochs: 2\n  batch_size: 4096"]))
        XCTAssertTrue(wide.contains("activations of batches of 1438 (4285.6 GiB)"), wide)
        // A teacher is only run: its weights alone count.
        let teacher = validationError(distillConfig(["teacher": "teacher: {model: mlp, hidden: [100000000000], checkpoint: \(ConfigFixtures.teacherWeights.path)}"]))
        XCTAssertTrue(teacher.contains("teacher: mlp as configured needs about 27939.7 GiB for 7500000000010 parameters (4 bytes each); this machine has"), teacher)
        let vit = validationError(distillConfig(["  model: mlp": "  model: vit", "  hidden: [8]": "  dimension: 1000002"]))
        XCTAssertTrue(vit.contains("vit as configured needs about"), vit)
    }

    func testTrainingCountsAndScheduleEpochsAreBounded() {
        let cases: [(String, String)] = [
            ("  epochs: 2", "training.epochs: must be in [1, 1000000], found 9223372036854775807"),
            ("  optimizer", "training.optimizer.momentum: must be in [0.0, 1.0), found 1.0"),
        ]
        let replacements = ["  epochs: 2": "  epochs: 9223372036854775807", "  optimizer": "  optimizer: {name: sgd, learning_rate: 0.1, momentum: 1}"]
        for (prefix, expected) in cases {
            let error = validationError(distillConfig([prefix: replacements[prefix]!]))
            XCTAssertTrue(error.contains(expected), error)
        }
        let schedule = { (text: String) in self.validationError(self.distillConfig(["  epochs: 2": "  epochs: 2\n  schedule: \(text)"])) }
        XCTAssertTrue(schedule("{name: multistep, milestones: [1, 9223372036854775807]}").contains("milestone 9223372036854775807 is not an epoch in 1…1000000"))
        XCTAssertTrue(schedule("{name: step, step_size: 0}").contains("training.schedule.step_size: must be in [1, 1000000], found 0"))
        XCTAssertTrue(schedule("{name: cosine, warmup_epochs: -1}").contains("warmup_epochs: must be in [0, 1000000], found -1"))
        XCTAssertTrue(schedule("{name: step, step_size: 1, gamma: 0}").contains("gamma: must be in"))
    }

    func testRelativePathsResolveAgainstTheConfigFilesFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paths-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("configs/weights"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ConfigFixtures.teacherWeights, to: folder.appendingPathComponent("configs/weights/teacher.safetensors"))
        let file = folder.appendingPathComponent("configs/run.yaml")
        let yaml = distillConfig(["teacher": "teacher: {model: mlp, hidden: [16], checkpoint: weights/teacher.safetensors}"]) + "\noutput: ../runs/kd"
        try Data(yaml.utf8).write(to: file)
        XCTAssertNotEqual(FileManager.default.currentDirectoryPath, file.deletingLastPathComponent().path)
        let experiment = try Experiment(configFile: file)
        XCTAssertEqual(experiment.outputDirectory.path, folder.appendingPathComponent("runs/kd").path)
        // Written elsewhere (distill auto's recommendation), the paths are made absolute.
        let config = try ConfigNode.load(contentsOf: file)
        XCTAssertEqual(try config.required("teacher").pathValue("checkpoint"), folder.appendingPathComponent("configs/weights/teacher.safetensors").path)
    }

    func testTestImagesOfAnotherSizeAndEmptyDataAreRefused() throws {
        let name = "mismatched-\(UUID().uuidString.prefix(8))"
        try DatasetCatalog.register(KnownDataset(
            name: name, summary: "train 8×8, test 6×6", files: [], systemLocation: nil, installation: "none", classNames: ["a", "b"]) { split, _, _ in
            let side = split == .train ? 8 : 6
            return try TensorDataset(inputs: Tensor(shape: [4, 1, side, side], repeating: 0.5), labels: Tensor([0, 1, 0, 1]), classNames: ["a", "b"])
        })
        let error = validationError("data: {dataset: \(name)}\nmodel: {model: mlp, hidden: [4]}", kind: .train)
        XCTAssertEqual(error, "run.yaml:1: data.dataset: the test split's samples are [1, 6, 6], the training split's [1, 8, 8]; both must have one shape")

        var generator = RandomGenerator(seed: 0)
        let trainer = Trainer(student: MLP(widths: [2, 2], using: &generator), objective: DistillationObjective(teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())])),
                              optimizer: SGD(learningRate: 0.1), options: TrainingOptions(epochs: 1, batchSize: 4, schedule: .constant(0.1)))
        let empty = try TensorDataset(inputs: Tensor(shape: [0, 2], repeating: 0), labels: Tensor(shape: [0], repeating: 0))
        XCTAssertThrowsError(try trainer.fit(empty, validation: Optional<TensorDataset>.none)) { error in
            XCTAssertEqual("\(error)", "the training data holds no samples")
        }
    }
}
