import Datasets
import NN
import Tensors
import Training

/// Several named teachers as one, each contributing features under `"<name>/<path>"`: the
/// shape of Hybrid Distill (one teacher's features, another's token relations) and of any
/// objective that reads different teachers at different layers. The outputs (logits) are
/// those of the teacher named `logitsFrom` (the first by default).
public struct TeacherPanel: Teacher {
    public let members: [(name: String, teacher: any Teacher)]
    public let logitsFrom: String

    public init(_ members: [(name: String, teacher: any Teacher)], logitsFrom: String? = nil) {
        precondition(!members.isEmpty, "TeacherPanel: no teachers")
        precondition(Set(members.map(\.name)).count == members.count, "TeacherPanel: teacher names \(members.map(\.name)) must be distinct")
        self.members = members
        self.logitsFrom = logitsFrom ?? members[0].name
        precondition(members.contains { $0.name == self.logitsFrom }, "TeacherPanel: no teacher named '\(self.logitsFrom)'")
    }

    /// The feature path under which teacher `name`'s module `path` is offered.
    public static func featurePath(_ name: String, _ path: String) -> String { "\(name)/\(path)" }

    public func outputs(for batch: Batch, featurePaths: [String]) throws -> TeacherOutputs {
        if let stray = featurePaths.first(where: { path in !members.contains { path.hasPrefix($0.name + "/") } }) {
            throw FeatureTapError(path: stray, model: "teacher panel", validPaths: members.map { "\($0.name)/…" })
        }
        var features: [String: Tensor] = [:], outputs: ModelOutputs?
        for (name, teacher) in members {
            let prefix = name + "/"
            let paths = featurePaths.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
            guard !paths.isEmpty || name == logitsFrom else { continue }
            let output = try teacher.outputs(for: batch, featurePaths: paths)
            if name == logitsFrom { outputs = output.outputs }
            for (path, feature) in output.features { features[prefix + path] = feature }
        }
        return TeacherOutputs(outputs: outputs!, features: features)
    }
}
