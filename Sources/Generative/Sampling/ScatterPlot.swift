import Foundation
import Tensors

/// An SVG scatter plot of 2-D samples: what `distill sample` draws for vector data.
public enum ScatterPlot {
    /// The SVG text of `points` (`[N, 2]`), `size` pixels square, the axes' bounds those of
    /// the points with a 5% margin (y up).
    public static func svg(_ points: Tensor, size: Int = 480, title: String = "") -> String {
        precondition(points.rank == 2 && points.shape[1] == 2, "ScatterPlot: [N, 2] points, found \(points.shape)")
        let values = points.scalars.map(Double.init)
        let xs = stride(from: 0, to: values.count, by: 2).map { values[$0] }, ys = stride(from: 1, to: values.count, by: 2).map { values[$0] }
        let finite = { (list: [Double]) in list.filter(\.isFinite) }
        let (low, high) = (min(finite(xs).min() ?? -1, finite(ys).min() ?? -1), max(finite(xs).max() ?? 1, finite(ys).max() ?? 1))
        let span = max(high - low, 1e-9) * 1.1, origin = (low + high) / 2 - span / 2
        let scale = Double(size) / span
        var lines = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(size)\" height=\"\(size + 24)\" viewBox=\"0 0 \(size) \(size + 24)\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"8\" y=\"16\" font-family=\"sans-serif\" font-size=\"13\">\(title.escapingXMLMarkup)</text>",
            "<g fill=\"#1f5fa8\" fill-opacity=\"0.5\">",
        ]
        for (x, y) in zip(xs, ys) where x.isFinite && y.isFinite {
            lines.append(String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\"/>", (x - origin) * scale, 24 + Double(size) - (y - origin) * scale))
        }
        lines += ["</g>", "</svg>"]
        return lines.joined(separator: "\n") + "\n"
    }
}
