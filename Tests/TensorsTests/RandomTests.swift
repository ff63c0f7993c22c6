import Foundation
import Tensors
import XCTest

final class RandomTests: XCTestCase {
    /// The streams equal a reimplementation in Python (Fixtures/make_fixtures.py): the
    /// same seed gives the same numbers in another process, language and machine.
    func testStreamsMatchTheReference() {
        var generator = RandomGenerator(seed: 42)
        let expected = Fixtures.array("rng_seed42_u64").map { UInt64($0 as! String)! }
        XCTAssertEqual((0..<4).map { _ in generator.next() }, expected)
        generator = RandomGenerator(seed: 42)
        let uniform = Fixtures.array("rng_seed42_uniform").map { Float($0 as! Double) }
        XCTAssertEqual((0..<6).map { _ in generator.nextUniform() }, uniform)
        generator = RandomGenerator(seed: 7)
        let normal = Fixtures.array("rng_seed7_normal").map { Float($0 as! Double) }
        XCTAssertEqual(Tensor.normal([6], using: &generator).scalars, normal)
        generator = RandomGenerator(seed: 3)
        XCTAssertEqual(randomPermutation(10, using: &generator), Fixtures.array("rng_seed3_permutation10").map { $0 as! Int })
    }

    /// The same seed in a second process (this test binary, run again) gives the same tensor.
    func testSameSeedInTwoProcesses() throws {
        if ProcessInfo.processInfo.environment["DISTILLERY_RNG_CHILD"] != nil {
            print("RNG-STREAM", Self.sample().map { String($0.bitPattern) }.joined(separator: ","))
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["TensorsTests.RandomTests/testSameSeedInTwoProcesses"]
        process.environment = ProcessInfo.processInfo.environment.merging(["DISTILLERY_RNG_CHILD": "1"]) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RNG-STREAM ") }) else {
            return XCTFail("the child process printed no stream:\n\(output)")
        }
        let child = line.dropFirst("RNG-STREAM ".count).split(separator: ",").map { Float(bitPattern: UInt32($0)!) }
        XCTAssertEqual(child, Self.sample())
    }

    private static func sample() -> [Float] {
        var generator = RandomGenerator(seed: 2026)
        return Tensor.normal([4], using: &generator).scalars + Tensor.uniform([4], low: -1, high: 1, using: &generator).scalars
            + Tensor.bernoulli([4], probability: 0.3, using: &generator).scalars
            + Tensor.randomIntegers([4], in: 0..<10, using: &generator).scalars + Tensor.permutation(5, using: &generator).scalars
    }

    func testDistributionsHaveTheirMoments() {
        var generator = RandomGenerator(seed: 9)
        let normal = Tensor.normal([100_000], mean: 2, standardDeviation: 3, using: &generator)
        XCTAssertEqual(normal.mean().item, 2, accuracy: 0.05)
        XCTAssertEqual(normal.variance().item.squareRoot(), 3, accuracy: 0.05)
        let uniform = Tensor.uniform([100_000], low: -1, high: 3, using: &generator)
        XCTAssertEqual(uniform.mean().item, 1, accuracy: 0.02)
        XCTAssertGreaterThanOrEqual(uniform.min().item, -1)
        XCTAssertLessThan(uniform.max().item, 3)
        XCTAssertEqual(Tensor.bernoulli([100_000], probability: 0.3, using: &generator).mean().item, 0.3, accuracy: 0.01)
        let integers = Tensor.randomIntegers([10_000], in: 3..<7, using: &generator).scalars
        XCTAssertEqual(Set(integers), [3, 4, 5, 6])
        XCTAssertEqual(Tensor.permutation(50, using: &generator).scalars.sorted(), (0..<50).map(Float.init))
    }

    func testStateRoundTripsAndSplitStreamsDiffer() {
        var generator = RandomGenerator(seed: 5)
        _ = generator.next()
        var resumed = RandomGenerator(state: generator.state)
        XCTAssertEqual(generator.next(), resumed.next())
        var child = generator.split()
        XCTAssertNotEqual(child.next(), generator.next())
    }
}
