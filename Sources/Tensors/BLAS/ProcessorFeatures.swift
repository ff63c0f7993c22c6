import CProcessorID
import Foundation

/// What this x86-64 processor can run, as far as the choice of BLAS kernels goes: its
/// identity and the instruction-set extensions that both the silicon has (CPUID) and the
/// operating system has enabled (XCR0). On other architectures the feature set is empty.
public struct ProcessorFeatures: Equatable, Sendable {
    /// An instruction-set extension, named as Linux's `/proc/cpuinfo` names it.
    public enum Feature: String, CaseIterable, Comparable, Sendable {
        case sse3, ssse3, sse4_1, sse4_2, avx, fma, avx2
        case avx512f, avx512dq, avx512cd, avx512bw, avx512vl, avx512_bf16
        case amx_bf16, amx_tile, amx_int8

        public static func < (lhs: Feature, rhs: Feature) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// The CPUID vendor string (`GenuineIntel`, `AuthenticAMD`, …); empty where unknown.
    public var vendor: String
    /// The display family and model (extended fields folded in, as Intel's and AMD's manuals define them).
    public var family: Int
    public var model: Int
    /// The brand string (`Intel(R) Xeon(R) Platinum 8581C CPU @ 2.30GHz`); empty where unknown.
    public var brand: String
    public var features: Set<Feature>

    public init(vendor: String, family: Int, model: Int, brand: String = "", features: Set<Feature>) {
        self.vendor = vendor
        self.family = family
        self.model = model
        self.brand = brand
        self.features = features
    }

    /// Whether every one of `required` is usable.
    public func supports(_ required: Set<Feature>) -> Bool { required.isSubset(of: features) }

    /// The processor this process runs on (read once).
    public static let current = ProcessorFeatures(readingThisProcessor: ())

    private init(readingThisProcessor: Void) {
        func cpuid(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> [UInt32]? {
            var registers = [UInt32](repeating: 0, count: 4)
            let available = registers.withUnsafeMutableBufferPointer { distillery_cpuid(leaf, subleaf, $0.baseAddress) }
            return available == 1 ? registers : nil
        }
        func text(_ words: [UInt32]) -> String {
            let bytes = words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        guard let leaf0 = cpuid(0), let leaf1 = cpuid(1) else {
            self.init(vendor: "", family: 0, model: 0, features: [])
            return
        }
        let signature = leaf1[0]
        let baseFamily = Int((signature >> 8) & 0xF), baseModel = Int((signature >> 4) & 0xF)
        let family = baseFamily == 0xF ? baseFamily + Int((signature >> 20) & 0xFF) : baseFamily
        let model = baseFamily == 0x6 || baseFamily == 0xF ? Int((signature >> 16) & 0xF) << 4 | baseModel : baseModel
        let brandWords = (0x8000_0002...0x8000_0004 as ClosedRange<UInt32>).compactMap { cpuid($0) }.flatMap { $0 }

        let ecx1 = leaf1[2]
        let leaf7 = cpuid(7) ?? [0, 0, 0, 0]
        let leaf7sub1 = leaf7[0] >= 1 ? cpuid(7, 1) ?? [0, 0, 0, 0] : [0, 0, 0, 0]
        func bit(_ register: UInt32, _ index: UInt32) -> Bool { register & (1 << index) != 0 }

        // The operating system must save a register file before its instructions are usable.
        let xcr0 = bit(ecx1, 27) ? distillery_xgetbv0() : 0
        let savesAVX = xcr0 & 0b110 == 0b110
        let savesAVX512 = savesAVX && xcr0 & 0b1110_0000 == 0b1110_0000
        let savesAMX = xcr0 & (0b11 << 17) == 0b11 << 17

        var features: Set<Feature> = []
        let checks: [(Feature, Bool)] = [
            (.sse3, bit(ecx1, 0)), (.ssse3, bit(ecx1, 9)), (.sse4_1, bit(ecx1, 19)), (.sse4_2, bit(ecx1, 20)),
            (.avx, savesAVX && bit(ecx1, 28)), (.fma, savesAVX && bit(ecx1, 12)), (.avx2, savesAVX && bit(leaf7[1], 5)),
            (.avx512f, savesAVX512 && bit(leaf7[1], 16)), (.avx512dq, savesAVX512 && bit(leaf7[1], 17)),
            (.avx512cd, savesAVX512 && bit(leaf7[1], 28)), (.avx512bw, savesAVX512 && bit(leaf7[1], 30)),
            (.avx512vl, savesAVX512 && bit(leaf7[1], 31)), (.avx512_bf16, savesAVX512 && bit(leaf7sub1[0], 5)),
            (.amx_bf16, savesAMX && bit(leaf7[3], 22)), (.amx_tile, savesAMX && bit(leaf7[3], 24)),
            (.amx_int8, savesAMX && bit(leaf7[3], 25)),
        ]
        for (feature, present) in checks where present { features.insert(feature) }
        self.init(vendor: text([leaf0[1], leaf0[3], leaf0[2]]), family: family, model: model, brand: text(brandWords), features: features)
    }
}

extension ProcessorFeatures: CustomStringConvertible {
    /// `AMD EPYC (AuthenticAMD family 26 model 2)`.
    public var identity: String {
        let name = brand.isEmpty ? "unknown processor" : brand
        return vendor.isEmpty ? name : "\(name) (\(vendor) family \(family) model \(model))"
    }

    /// `AMD EPYC (AuthenticAMD family 26 model 2): sse3 ssse3 … avx512_bf16`.
    public var description: String {
        "\(identity): " + (features.isEmpty ? "no x86 vector extensions found" : features.sorted().map(\.rawValue).joined(separator: " "))
    }
}
