import Distillation
import Graphs
import Tensors
import XCTest

/// FF-G2M's two terms against their formulas, on batches that hold part of a graph.
final class FullFrequencyLossTests: XCTestCase {
    /// A path 0 – 1 – 2 – 3.
    private let path = try! SparseMatrix(rowCount: 4, columnCount: 4, entries: [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)])

    private func batch(student: Tensor, teacher: Tensor, nodes: [Int]) -> DistillationBatch {
        DistillationBatch(studentLogits: student, teacherLogits: teacher, graph: path, nodes: nodes)
    }

    private func kl(_ teacher: [Float], _ student: [Float]) -> Float {
        func logSoftmax(_ x: [Float]) -> [Float] { let m = x.max()!; let z = log(x.map { exp($0 - m) }.reduce(0, +)) + m; return x.map { $0 - z } }
        let (t, s) = (logSoftmax(teacher), logSoftmax(student))
        return zip(t, s).map { exp($0) * ($0 - $1) }.reduce(0, +)
    }

    func testLowFrequencyAveragesTheKLFromEachNeighbourAndItself() {
        var generator = RandomGenerator(seed: 1)
        let (student, teacher) = (Tensor.normal([3, 3], using: &generator), Tensor.normal([3, 3], using: &generator))
        // The batch holds nodes 2, 0, 1 in that order: the edges among them are 0–1 and 1–2
        // (node 3 is outside), plus a self-loop at each.
        let row = { (t: Tensor, r: Int) in Array(t.scalars[(r * 3)..<(r * 3 + 3)]) }
        let rowOf = [1, 2, 0]  // node → batch row
        let pairs = [(0, 1), (1, 0), (1, 2), (2, 1), (0, 0), (1, 1), (2, 2)]
        let expected = pairs.map { kl(row(teacher, rowOf[$0.1]), row(student, rowOf[$0.0])) }.reduce(0, +) / Float(pairs.count)
        let value = LowFrequencyDistillation()(batch(student: student, teacher: teacher, nodes: [2, 0, 1])).scalars[0]
        XCTAssertEqual(value, expected, accuracy: 1e-5)
        // Nodes with no edge between them: GLNN's per-node KL.
        let twoRows = (student.slice(axis: 0, end: 2), teacher.slice(axis: 0, end: 2))
        let perNode = distillationKLDivergence(studentLogits: twoRows.0, teacherLogits: twoRows.1, temperature: 1)
        XCTAssertEqual(LowFrequencyDistillation()(batch(student: twoRows.0, teacher: twoRows.1, nodes: [0, 3])).scalars[0], perNode.scalars[0], accuracy: 1e-6)
    }

    func testHighFrequencyComparesTheDistributionsOfNeighbourDifferences() {
        var generator = RandomGenerator(seed: 2)
        let teacher = Tensor.normal([4, 3], using: &generator)
        let high = HighFrequencyDistillation(temperature: 1.5)
        XCTAssertEqual(high(batch(student: teacher, teacher: teacher, nodes: [0, 1, 2, 3])).scalars[0], 0, accuracy: 1e-6,
                       "a student with the teacher's logits matches every difference")
        let student = Tensor.normal([4, 3], using: &generator)
        let row = { (t: Tensor, r: Int) in Array(t.scalars[(r * 3)..<(r * 3 + 3)]) }
        let difference = { (t: Tensor, i: Int, j: Int) in zip(row(t, i), row(t, j)).map { abs($0 - $1) / 1.5 } }
        let edges = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
        let expected = edges.map { kl(difference(teacher, $0.0, $0.1), difference(student, $0.0, $0.1)) }.reduce(0, +) / 6
        XCTAssertEqual(high(batch(student: student, teacher: teacher, nodes: [0, 1, 2, 3])).scalars[0], expected, accuracy: 1e-5)
        // Shifting both of an edge's logits alike changes nothing: only differences count.
        let shifted = student + Tensor([5, 5, 5], shape: [1, 3])
        XCTAssertEqual(high(batch(student: shifted, teacher: teacher, nodes: [0, 1, 2, 3])).scalars[0], expected, accuracy: 1e-5)
    }
}
