import NN
import Tensors

/// RepDistiller's `ConvReg` (`models/util.py`): a convolution that maps a student feature map
/// `[N, Cs, Hs, Ws]` to a teacher's `[N, Ct, Ht, Wt]`, then batch norm, with an optional
/// ReLU. The convolution follows the sizes: 3×3 at stride 2 when the student's map is twice
/// the teacher's, a 4×4 transposed convolution at stride 2 when it is half, and otherwise a
/// `(1 + Hs − Ht) × (1 + Ws − Wt)` convolution (1×1 at equal sizes). Parameters are named
/// `conv.*` and `bn.*`, as there.
public final class ConvolutionalRegressor: Module {
    public let conv: Module
    public let bn: BatchNorm2d
    public let appliesReLU: Bool

    /// The regressor from `student` to `teacher` shapes (`[N, C, H, W]`), or nil where no
    /// convolution above fits (a student map smaller than the teacher's, not half its size).
    public init?(student: [Int], teacher: [Int], appliesReLU: Bool, using generator: inout RandomGenerator) {
        guard student.count == 4, teacher.count == 4 else { return nil }
        let (input, output) = (student[1], teacher[1])
        if student[2] == 2 * teacher[2] {
            conv = Conv2d(input, output, kernelSize: 3, stride: 2, padding: 1, using: &generator)
        } else if student[2] * 2 == teacher[2] {
            conv = ConvTranspose2d(input, output, kernelSize: (4, 4), stride: (2, 2), padding: (1, 1), using: &generator)
        } else if student[2] >= teacher[2], student[3] >= teacher[3] {
            conv = Conv2d(input, output, kernelSize: (1 + student[2] - teacher[2], 1 + student[3] - teacher[3]), using: &generator)
        } else {
            return nil
        }
        bn = BatchNorm2d(output)
        self.appliesReLU = appliesReLU
        super.init()
    }

    public override func forward(_ input: Tensor) -> Tensor {
        let normalised = bn(conv(input))
        return appliesReLU ? normalised.relu() : normalised
    }
}
