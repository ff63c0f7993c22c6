import Foundation
import Tensors

/// Numeric CSV tables: one sample per row, comma-separated, with an optional header row
/// and an optional label column. gzip-compressed files are read directly.
public enum CSVReader {
    /// Where the label is.
    public enum LabelColumn: Sendable, Equatable {
        /// No label column: every column is a feature.
        case none
        /// The last column.
        case last
        /// The column at this index (negative counts from the end).
        case index(Int)
        /// The column with this header name (the file must have a header).
        case named(String)
    }

    /// Features `[N, F]`, labels `[N]` (nil with `.none`), and the feature column names
    /// (from the header, or `column0`, `column1`, … without one).
    public struct Table {
        public let features: Tensor
        public let labels: Tensor?
        public let featureNames: [String]
    }

    /// Reads a table. `hasHeader` nil detects a header: a first row with any non-numeric
    /// field.
    public static func read(contentsOf url: URL, hasHeader: Bool? = nil, labelColumn: LabelColumn = .last) throws -> Table {
        guard let text = String(data: try readBytes(url), encoding: .utf8) else {
            throw DataError(url.path, "is not UTF-8 text")
        }
        return try parse(text, hasHeader: hasHeader, labelColumn: labelColumn, source: url.path)
    }

    /// Parses CSV text; `source` names it in errors.
    public static func parse(_ text: String, hasHeader: Bool? = nil, labelColumn: LabelColumn = .last, source: String) throws -> Table {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .map { (number: $0.offset + 1, fields: $0.element.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }) }
            .filter { !($0.fields.count == 1 && $0.fields[0].isEmpty) }
        guard let first = lines.first else { throw DataError(source, "has no rows") }
        let header = hasHeader ?? first.fields.contains { Float($0) == nil }
        let names = header ? first.fields : (0..<first.fields.count).map { "column\($0)" }
        if header { lines.removeFirst() }
        let width = names.count
        let labelIndex: Int?
        switch labelColumn {
        case .none: labelIndex = nil
        case .last: labelIndex = width - 1
        case .index(let i):
            guard i >= -width && i < width else { throw DataError(source, "label column \(i) does not exist in \(width) columns") }
            labelIndex = i < 0 ? i + width : i
        case .named(let name):
            guard header, let i = names.firstIndex(of: name) else {
                throw DataError(source, "has no column named '\(name)' (columns: \(header ? names.joined(separator: ", ") : "no header"))")
            }
            labelIndex = i
        }
        var features: [Float] = []
        var labels: [Float] = []
        features.reserveCapacity(lines.count * width)
        for line in lines {
            guard line.fields.count == width else {
                throw DataError(source, "line \(line.number) has \(line.fields.count) fields, expected \(width)")
            }
            for (column, field) in line.fields.enumerated() {
                guard let value = Float(field) else {
                    throw DataError(source, "line \(line.number), column \(column + 1) ('\(names[column])'): '\(field)' is not a number")
                }
                if column == labelIndex { labels.append(value) } else { features.append(value) }
            }
        }
        let featureCount = width - (labelIndex == nil ? 0 : 1)
        return Table(
            features: Tensor(features, shape: [lines.count, featureCount]),
            labels: labelIndex == nil ? nil : Tensor(labels),
            featureNames: names.enumerated().filter { $0.offset != labelIndex }.map(\.element))
    }
}
