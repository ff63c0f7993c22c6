import Tensors
import XCTest

/// Losses over token logits `[N, T, V]` with a padding mask: each equals the rank-2 loss on
/// the kept positions, flattened, and a masked position's label or logits never matter.
final class TokenLossTests: XCTestCase {
    private let student = awayFromZero([3, 4, 5], seed: 41)
    private let teacher = awayFromZero([3, 4, 5], seed: 42)
    /// Sequences of lengths 4, 2 and 1: the padding is at the end of each row.
    private let mask = Tensor([1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0], shape: [3, 4])
    private let labels = Tensor([0, 4, 2, 1, 3, 3, 99, -7, 2, 1000, 5, -1], shape: [3, 4])

    private var keptRows: [Int] { mask.scalars.indices.filter { mask.scalars[$0] != 0 } }

    /// The kept positions of a `[N, T, …]` tensor as rows.
    private func kept(_ tensor: Tensor) -> Tensor {
        tensor.reshaped([12, -1]).indexSelect(axis: 0, indices: keptRows)
    }

    func testMaskedDistillationKLEqualsTheRankTwoLossOnTheKeptRows() {
        for reduction in [LossReduction.batchMean, .mean, .sum] {
            let masked = distillationKLDivergence(studentLogits: student, teacherLogits: teacher, temperature: 2, mask: mask, reduction: reduction)
            let flat = distillationKLDivergence(studentLogits: kept(student), teacherLogits: kept(teacher), temperature: 2, reduction: reduction)
            XCTAssertEqual(masked.item, flat.item, accuracy: 1e-6, "\(reduction)")
        }
        let perToken = distillationKLDivergence(studentLogits: student, teacherLogits: teacher, temperature: 2, mask: mask, reduction: .none)
        XCTAssertEqual(perToken.shape, [3, 4])
        XCTAssertEqual(perToken.scalars.enumerated().filter { mask.scalars[$0.offset] == 0 }.map(\.element), [0, 0, 0, 0, 0])
    }

    func testMaskedGeneralizedJSDEqualsTheRankTwoLossOnTheKeptRows() {
        for beta: Float in [0, 0.5, 1] {
            let masked = generalizedJensenShannonDivergence(studentLogits: student, teacherLogits: teacher, beta: beta, mask: mask)
            let flat = generalizedJensenShannonDivergence(studentLogits: kept(student), teacherLogits: kept(teacher), beta: beta)
            XCTAssertEqual(masked.item, flat.item, accuracy: 1e-6, "β = \(beta)")
        }
        // β = 0 is word-level KD's forward KL at T = 1.
        XCTAssertEqual(generalizedJensenShannonDivergence(studentLogits: student, teacherLogits: teacher, beta: 0).item,
                       distillationKLDivergence(studentLogits: student, teacherLogits: teacher, temperature: 1).item, accuracy: 1e-6)
    }

    func testMaskedCrossEntropyEqualsTheRankTwoLossOnTheKeptRowsAndSkipsPaddingLabels() {
        let keptLabels = Tensor(keptRows.map { labels.scalars[$0] })
        for reduction in [LossReduction.mean, .batchMean, .sum] {
            let masked = crossEntropy(logits: student, labels: labels, classAxis: -1, labelSmoothing: 0.1, mask: mask, reduction: reduction)
            let flat = crossEntropy(logits: kept(student), labels: keptLabels, labelSmoothing: 0.1, reduction: reduction)
            XCTAssertEqual(masked.item, flat.item, accuracy: 1e-6, "\(reduction)")
        }
    }

    func testMaskedGradientsEqualTheRankTwoGradientsAndVanishOnPadding() {
        let masked = valueAndGradients(at: [student]) {
            distillationKLDivergence(studentLogits: $0[0], teacherLogits: teacher, temperature: 2, mask: mask)
        }.gradients[0]
        let flat = valueAndGradients(at: [kept(student)]) {
            distillationKLDivergence(studentLogits: $0[0], teacherLogits: kept(teacher), temperature: 2)
        }.gradients[0]
        assertClose(kept(masked), flat, tolerance: 1e-6, "kept rows")
        let paddingRows = masked.reshaped([12, 5]).scalars.enumerated().filter { mask.scalars[$0.offset / 5] == 0 }
        XCTAssert(paddingRows.allSatisfy { $0.element == 0 }, "padding rows get no gradient")
    }

    func testPaddingLogitsNeverReachTheLoss() {
        var junk = student.scalars
        for i in junk.indices where mask.scalars[i / 5] == 0 { junk[i] = .nan }
        let poisoned = Tensor(junk, shape: student.shape)
        let value = distillationKLDivergence(studentLogits: poisoned, teacherLogits: teacher, temperature: 1, mask: mask)
        let clean = distillationKLDivergence(studentLogits: student, teacherLogits: teacher, temperature: 1, mask: mask)
        XCTAssertEqual(value.item, clean.item)
        XCTAssertEqual(crossEntropy(logits: poisoned, labels: labels, classAxis: -1, mask: mask).item,
                       crossEntropy(logits: student, labels: labels, classAxis: -1, mask: mask).item)
    }

    func testAFullyMaskedBatchHasZeroLoss() {
        let none = Tensor.zeros([3, 4])
        XCTAssertEqual(distillationKLDivergence(studentLogits: student, teacherLogits: teacher, temperature: 1, mask: none).item, 0)
        XCTAssertEqual(crossEntropy(logits: student, labels: labels, classAxis: -1, mask: none).item, 0)
    }

    func testClassAxisOneAndClassAxisLastAgreeAfterAPermutation() {
        let tokenLabels = Tensor([0, 4, 2, 1, 3, 3, 1, 0, 2, 1, 4, 2], shape: [3, 4])
        let last = crossEntropy(logits: student, labels: tokenLabels, classAxis: -1)
        let second = crossEntropy(logits: student.permuted([0, 2, 1]), labels: tokenLabels)
        XCTAssertEqual(last.item, second.item, accuracy: 1e-6)
    }
}
