import ArgumentParser
import Experiments
import Foundation
import Generative
import Graphs
import Language
import Tensors

/// `distill demo [family]`: a family's methods on data that ships with Distillery, compared
/// in one Markdown table, with no set-up.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show a family of methods on data that ships with Distillery (no set-up, no download): classic (default: teacher, student alone and distilled student on the embedded digits), generative (step distillation on a 2-D mixture) graph (GCN → MLP distillation on Cora, and Mirage's graph data distillation) or language (a character GPT on Tiny Shakespeare, alone and by word-level KD).")

    @Argument(help: "The family: classic, generative, graph or language.")
    var family = "classic"

    @Option(help: "Folder for the classic demo's three runs.")
    var output = "runs/demo"

    func run() throws {
        switch family {
        case "classic":
            let results = try Demo.run(in: URL(fileURLWithPath: output))
            print("\n" + Demo.table(results))
            print("\nconfigs, metrics and weights in \(output)/{teacher,student-alone,student-distilled}")
        case "generative":
            // The 2-D students' products (256 × 128 × 128) are too small to split: on two
            // threads BLAS's idle worker spins between them, and the demo took 106 s of wall
            // time (75 s of it in the kernel) against 86 s on one, with the same numbers.
            Parallelism.setThreadCount(1)
            let rows = try GenerativeDemo.run(printsProgress: true)
            print("\n" + GenerativeDemo.table(rows))
            print("\n8 Gaussians (σ 0.1, radius 2); SWD and MMD against 2,000 held-out samples; the teacher is the mixture's exact denoiser, "
                  + "and for the rows from DMD on (distribution matching, adversarial distillation) a flow network trained on the ring (a fake score or a discriminator reads it; TwinFlow learns from the data alone)")
        case "graph":
            let rows = try GraphDemo.run { print("training \($0)…") }
            print("\n" + GraphDemo.table(rows))
            print("\nCora (Planetoid split: 140 labeled nodes to train, 1,000 to test), seed 1; inference scores the test nodes \(GraphDemo.inferenceBatch) at a time,"
                  + " the GCN propagating over the whole graph for each batch, an MLP reading the batch's own features")
            let mirageRows = try MirageDemo.run { print("training \($0)…") }
            print("\n" + MirageDemo.table(mirageRows))
            print("\nGraph classification: Cora's 2-hop ego-networks labelled by their centre's class, nodes of \(MirageDemo.kindCount) feature clusters,"
                  + " split 60/20/20 (seed 0); a 1-layer GIN with mean readout, chosen on the validation graphs")
        case "language":
            let rows = try LanguageDemo.run { print("training \($0)…") }
            print("\n" + LanguageDemo.table(rows))
            print("\nTiny Shakespeare's characters, windows of \(LanguageDemo.context), 16 a step; validation loss in nats per character on 512 windows;"
                  + " the teacher's NLL per character of each model's continuations (temperature 1) of 64 validation prompts;"
                  + " GKD at β = 0.5 with half its batches on-policy; samples at temperature 0.8 after \"ROMEO:\\n\"")
        default:
            throw CommandFailure("unknown demo family '\(family)' (valid: classic, generative, graph, language)")
        }
    }
}
