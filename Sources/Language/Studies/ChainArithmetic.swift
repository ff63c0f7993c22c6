import Foundation
import Tensors

/// A multi-step arithmetic task with worked rationales, for studying rationale distillation:
/// a chain of one-digit operands joined by `+`, `-` and `*`, evaluated left to right with
/// every intermediate result reduced to its last digit (arithmetic modulo 10). The worked
/// rationale writes each step, and the answer follows:
///
///     3+7*2-5+9: 3+7=0 0*2=0 0-5=5 5+9=4 so 4
///
/// Each step is a lookup a small model learns from a few hundred examples; the answer alone
/// is a function of every operand at once, which a small model reading only the question
/// learns far more slowly. Every text of one chain length has the same length, so batches
/// need no padding.
public enum ChainArithmetic {
    /// One of the three operations, modulo 10.
    public enum Operation: Character, CaseIterable, Sendable {
        case add = "+", subtract = "-", multiply = "*"

        public func apply(_ a: Int, _ b: Int) -> Int {
            switch self {
            case .add: return (a + b) % 10
            case .subtract: return (a - b + 10) % 10
            case .multiply: return (a * b) % 10
            }
        }
    }

    /// One question: `operands.count` digits and the operations between them.
    public struct Problem: Equatable, Sendable {
        public let operands: [Int]
        public let operations: [Operation]

        public init(operands: [Int], operations: [Operation]) {
            precondition(operands.count >= 2 && operations.count == operands.count - 1 && operands.allSatisfy { (0...9).contains($0) },
                         "ChainArithmetic.Problem: operands \(operands), \(operations.count) operations")
            (self.operands, self.operations) = (operands, operations)
        }

        /// The result after each operation; the last is the answer.
        public var partialResults: [Int] {
            var value = operands[0]
            return zip(operations, operands.dropFirst()).map { operation, operand in
                value = operation.apply(value, operand)
                return value
            }
        }

        public var answer: Int { partialResults.last! }

        /// The question, which a model continues: `3+7*2-5+9:`.
        public var question: String {
            String(operands[0]) + zip(operations, operands.dropFirst()).map { "\($0.rawValue)\($1)" }.joined() + ":"
        }

        /// The worked steps, each `a+b=c` with `a` the result so far: ` 3+7=0 0*2=0 …`.
        public var rationale: String {
            var previous = operands[0]
            return zip(zip(operations, operands.dropFirst()), partialResults).map { step, result in
                defer { previous = result }
                return " \(previous)\(step.0.rawValue)\(step.1)=\(result)"
            }.joined()
        }

        /// What follows the question: the rationale (or nothing) and then ` so 4` and a line
        /// break.
        public func continuation(withRationale: Bool) -> String {
            (withRationale ? rationale : "") + ChainArithmetic.answerMarker + "\(answer)\n"
        }

        /// The question and its continuation.
        public func text(withRationale: Bool) -> String { question + continuation(withRationale: withRationale) }
    }

    /// What precedes the answer's digit.
    public static let answerMarker = " so "

    /// Every character the texts use: a tokenizer built on it reads any of them.
    public static let alphabet = "0123456789+-*=: so\n"

    /// `count` problems of `operands` operands, digits and operations drawn uniformly by
    /// `seed`.
    public static func problems(count: Int, operands: Int, seed: UInt64) -> [Problem] {
        precondition(count >= 0 && operands >= 2, "ChainArithmetic.problems: \(count) problems of \(operands) operands")
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { _ in
            let digits = (0..<operands).map { _ in generator.nextInt(below: 10) }
            let operations = (1..<operands).map { _ in Operation.allCases[generator.nextInt(below: Operation.allCases.count)] }
            return Problem(operands: digits, operations: operations)
        }
    }

    /// The characters of a problem's continuation with or without its rationale, for a chain
    /// of `operands` operands.
    public static func continuationLength(operands: Int, withRationale: Bool) -> Int {
        (withRationale ? 6 * (operands - 1) : 0) + answerMarker.count + 2
    }

    /// The answer a continuation states: the digit after the last ` so `, or nil when it
    /// states none.
    public static func statedAnswer(in continuation: String) -> Int? {
        let line = continuation.prefix { $0 != "\n" }
        guard let marker = line.range(of: answerMarker, options: .backwards),
              let digit = line[marker.upperBound...].first, let value = digit.wholeNumberValue else { return nil }
        return value
    }
}
