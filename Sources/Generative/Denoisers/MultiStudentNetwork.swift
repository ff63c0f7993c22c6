import NN
import Tensors

/// Multi-student distillation's students as one class-conditional network (MSD, Song et al.
/// 2024, §3): `K` networks, each owning a contiguous block of the classes, and each sample
/// routed to the network that owns its class. Each member can be smaller than one network
/// serving every class, because it learns fewer of them.
///
/// Routing inside the network lets every method that trains or samples a conditional
/// network train and sample the students unchanged: a batch's samples reach their owners,
/// and a member's gradient comes only from its own classes, so one optimizer over the whole
/// trains each member as if alone (Adam's updates are per parameter). A member is a complete
/// conditional network of all the classes (it embeds the others' too, unused), so its weights,
/// `students.k.…` in a checkpoint, load into a network of its own, and one network's weights
/// (the teacher's) load into every student of its shape.
///
/// There is no null class: each class has an owner and "no class" has none, so the students
/// sample only for a class, without classifier-free guidance.
public final class MultiStudentNetwork: Module, DenoisingNetwork {
    public typealias Inputs = DenoisingInputs
    public typealias Outputs = DenoisingOutputs

    /// The members, in the order of the class blocks they own.
    public let students: [any DenoisingNetwork]
    public let classCount: Int
    public var embedsNullClass: Bool { false }

    /// `students`, each conditional on the same `classCount ≥ students.count` classes.
    public init(students: [any DenoisingNetwork]) {
        precondition(!students.isEmpty, "MultiStudentNetwork: at least one student")
        let classCount = students[0].classCount
        precondition(students.allSatisfy { $0.classCount == classCount } && classCount >= students.count,
                     "MultiStudentNetwork: students conditional on the same classes, at least one class each")
        (self.students, self.classCount) = (students, classCount)
        super.init()
    }

    /// The student that owns class `label`: classes split into `K` contiguous blocks whose
    /// sizes differ by at most one (10 classes, 4 students: 0–2, 3–4, 5–7, 8–9).
    public func owner(ofClass label: Int) -> Int {
        precondition((0..<classCount).contains(label), "MultiStudentNetwork: class \(label) is not one of 0…\(classCount - 1)")
        return label * students.count / classCount
    }

    /// The classes student `index` owns.
    public func classes(ownedBy index: Int) -> [Int] {
        (0..<classCount).filter { owner(ofClass: $0) == index }
    }

    public override func namedChildren() -> [(name: String, module: Module)] {
        students.enumerated().map { ("students.\($0.offset)", $0.element) }
    }

    /// One network's weights (no `students.` names) start every student: MSD's same-sized
    /// students each start from the teacher.
    public override func stateDictForLoading(_ state: [String: Tensor]) -> [String: Tensor] {
        guard !state.isEmpty, !state.keys.contains(where: { $0.hasPrefix("students.") }) else { return state }
        var replicated: [String: Tensor] = [:]
        for index in students.indices {
            for (name, tensor) in state { replicated["students.\(index).\(name)"] = tensor }
        }
        return replicated
    }

    public func forward(_ inputs: DenoisingInputs) -> DenoisingOutputs {
        guard let classes = inputs.classes else { preconditionFailure("MultiStudentNetwork: every sample needs a class; the students have no null class") }
        let owners = classes.integerScalars.map(owner(ofClass:))
        var order: [Int] = []
        var predictions: [Tensor] = []
        for (index, student) in students.enumerated() {
            let members = owners.indices.filter { owners[$0] == index }
            guard !members.isEmpty else { continue }
            let routed = DenoisingInputs(x: inputs.x.indexSelect(axis: 0, indices: members), noiseLevel: inputs.noiseLevel.indexSelect(axis: 0, indices: members),
                                         classes: classes.indexSelect(axis: 0, indices: members))
            predictions.append(student(routed).prediction)
            order += members
        }
        // Back to the batch's order: sample `order[j]` is row `j` of the concatenation.
        var position = [Int](repeating: 0, count: order.count)
        for (row, sample) in order.enumerated() { position[sample] = row }
        return DenoisingOutputs(prediction: concatenate(predictions, axis: 0).indexSelect(axis: 0, indices: position))
    }
}
