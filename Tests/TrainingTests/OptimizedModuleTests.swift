import Datasets
import Foundation
import NN
import Optim
import Tensors
import Training
import XCTest

/// Objectives with several modules, each with its own optimizer: the update ratio, the
/// declared order, one checkpoint for all, and an exact resume.
final class OptimizedModuleTests: XCTestCase {
    /// A toy two-player objective: the student regresses the labels while a critic, updated
    /// five times per step from its own pass, fits a function of the student's output; a head
    /// trained from the student's pass by its own optimizer adds a second regression.
    final class TwoPlayerObjective: TrainingObjective {
        let critic: MLP, head: Linear
        let criticOptimizer: Optimizer, headOptimizer: Optimizer
        var teacher: (any Teacher)? { nil }
        var trainableModules: [Module] { [] }

        init(criticOptimizer: Optimizer, headOptimizer: Optimizer) {
            var generator = RandomGenerator(seed: 7)
            critic = MLP(widths: [2, 6, 1], using: &generator)
            head = Linear(3, 2, using: &generator)
            (self.criticOptimizer, self.headOptimizer) = (criticOptimizer, headOptimizer)
        }

        var optimizedModules: [OptimizedModule] {
            [OptimizedModule(name: "critic", module: critic, optimizer: criticOptimizer, schedule: .constant(0.02), pass: .ownPass, updatesPerStep: 5),
             OptimizedModule(name: "head", module: head, optimizer: headOptimizer, pass: .sharedPass)]
        }

        func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Batch {
            var noisy = batch
            noisy.inputs = batch.inputs + Tensor.normal(batch.inputs.shape, standardDeviation: 0.05, using: &generator)
            return noisy
        }

        func loss(_ batch: Batch, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
            let output = student(batch.inputs)
            let criticScore = critic.withFrozenParameters { critic(output) }.mean()
            let regression = meanSquaredError(output, batch.labels!), headLoss = meanSquaredError(head(batch.inputs), batch.labels!)
            return (regression + 0.1 * criticScore + headLoss, ["regression": regression.item, "head": headLoss.item])
        }

        func loss(_ batch: Batch, student: Module, updating module: String, update: Int) throws -> (total: Tensor, parts: [String: Float]) {
            precondition(module == "critic", "only the critic has a pass of its own")
            let target = withoutGradients { student(batch.inputs) }
            let fit = meanSquaredError(critic(target), target.sum(axes: [1], keepDims: true).tanh())
            return (fit, ["fit": fit.item])
        }
    }

    private static let data: TensorDataset = {
        var generator = RandomGenerator(seed: 3)
        let x = Tensor.normal([40, 3], using: &generator)
        return try! TensorDataset(inputs: x, labels: matmul(x, Tensor.normal([3, 2], using: &generator)).tanh())
    }()

    private struct Run {
        let trainer: Trainer, student: MLP, objective: TwoPlayerObjective, history: [EpochRecord]
        /// Every weight and every optimizer's state, by name.
        var state: [String: [Float]] {
            var state: [String: [Float]] = [:]
            for (path, parameter) in student.namedParameters() { state["student.\(path)"] = parameter.wrappedValue.scalars }
            for (path, parameter) in objective.critic.namedParameters() { state["critic.\(path)"] = parameter.wrappedValue.scalars }
            for (path, parameter) in objective.head.namedParameters() { state["head.\(path)"] = parameter.wrappedValue.scalars }
            for (name, optimizer) in [("student", trainer.optimizer), ("critic", objective.criticOptimizer), ("head", objective.headOptimizer)] {
                for (key, value) in optimizer.stateDict() { state["\(name)-optimizer.\(key)"] = value.scalars }
            }
            return state
        }
    }

    private func run(epochs: Int, checkpoints: URL?) throws -> Run {
        var generator = RandomGenerator(seed: 5)
        let student = MLP(widths: [3, 8, 2], using: &generator)
        let objective = TwoPlayerObjective(criticOptimizer: SGD(learningRate: 0.1, momentum: 0.9), headOptimizer: RMSprop(learningRate: 0.01))
        let trainer = Trainer(student: student, objective: objective, optimizer: Adam(),
                              options: TrainingOptions(epochs: epochs, batchSize: 8, schedule: .constant(0.01), seed: 4, checkpointDirectory: checkpoints))
        let history = try trainer.fit(Self.data, validation: Optional<TensorDataset>.none)
        return Run(trainer: trainer, student: student, objective: objective, history: history)
    }

    func testFiveToOneUpdatesAndAResumedRunEqualBitForBit() throws {
        let straight = try run(epochs: 6, checkpoints: nil)
        let steps = 6 * 5  // 40 samples in batches of 8
        XCTAssertEqual(straight.trainer.optimizer.step, steps)
        XCTAssertEqual(straight.objective.criticOptimizer.step, 5 * steps, "five critic updates per step")
        XCTAssertEqual(straight.objective.headOptimizer.step, steps)
        XCTAssertEqual(straight.objective.criticOptimizer.learningRate, 0.02, "the critic's own schedule")
        XCTAssertNotNil(straight.history.last?.trainLoss["critic.fit"], "own-pass losses are logged under the module's name")
        XCTAssertLessThan(straight.history.last!.trainLoss["regression"]!, straight.history.first!.trainLoss["regression"]!)
        XCTAssertLessThan(straight.history.last!.trainLoss["critic.fit"]!, straight.history.first!.trainLoss["critic.fit"]!)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("players-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try run(epochs: 3, checkpoints: folder)
        let checkpoint = try SafeTensors.read(contentsOf: folder.appendingPathComponent("last.safetensors")).tensors
        XCTAssertNotNil(checkpoint["model.modules.critic.0.weight"], "one checkpoint holds every module")
        XCTAssertNotNil(checkpoint["optimizers.critic.0.weight/momentum_buffer"], "and every optimizer's state")
        XCTAssertNotNil(checkpoint["optimizers.head.weight/square_avg"])
        let resumed = try run(epochs: 6, checkpoints: folder)
        XCTAssertEqual(resumed.state.keys.sorted(), straight.state.keys.sorted())
        for (key, values) in straight.state {
            XCTAssertEqual(resumed.state[key], values, "\(key) after a resume")
        }
        XCTAssertEqual(resumed.history, straight.history.map { record in
            var record = record
            record.seconds = resumed.history[record.epoch - 1].seconds
            return record
        })
    }

    func testOneOptimizerForTwoModulesIsRefused() throws {
        let shared = SGD(learningRate: 0.1)
        var generator = RandomGenerator(seed: 5)
        let student = MLP(widths: [3, 8, 2], using: &generator)
        let trainer = Trainer(student: student, objective: TwoPlayerObjective(criticOptimizer: shared, headOptimizer: shared), optimizer: Adam(),
                              options: TrainingOptions(epochs: 1, batchSize: 8, schedule: .constant(0.01)))
        XCTAssertThrowsError(try trainer.fit(Self.data, validation: Optional<TensorDataset>.none)) { error in
            XCTAssertEqual("\(error)", "module 'critic' and module 'head' are given the same optimizer instance; their states would merge: give each its own")
        }
        let studentsOwn = Adam()
        let second = Trainer(student: student, objective: TwoPlayerObjective(criticOptimizer: studentsOwn, headOptimizer: SGD(learningRate: 0.1)),
                             optimizer: studentsOwn, options: TrainingOptions(epochs: 1, batchSize: 8, schedule: .constant(0.01)))
        XCTAssertThrowsError(try second.fit(Self.data, validation: Optional<TensorDataset>.none)) { error in
            XCTAssertTrue("\(error)".hasPrefix("the student and module 'critic' are given the same optimizer instance"), "\(error)")
        }
    }
}
