#ifndef DISTILLERY_PROCESSOR_ID_H
#define DISTILLERY_PROCESSOR_ID_H

// The two instructions that say what an x86-64 processor can run: CPUID (what the silicon
// has) and XGETBV (which register state the operating system saves, without which AVX and
// AVX-512 cannot be used even where the silicon has them). Swift has no inline assembly,
// so they are static inline C here. On other architectures both report nothing.

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/// Fills `registers` with EAX, EBX, ECX, EDX of CPUID(`leaf`, `subleaf`) and returns 1, or
/// returns 0 (registers zeroed) where the leaf is beyond the processor's highest one or the
/// machine is not x86.
static inline int distillery_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) {
    registers[0] = registers[1] = registers[2] = registers[3] = 0;
#if defined(__x86_64__) || defined(__i386__)
    uint32_t highest = __get_cpuid_max(leaf & 0x80000000u, 0);
    if (highest == 0 || leaf > highest) return 0;
    __cpuid_count(leaf, subleaf, registers[0], registers[1], registers[2], registers[3]);
    return 1;
#else
    (void)leaf; (void)subleaf;
    return 0;
#endif
}

/// XCR0, the register state the operating system saves on a context switch. Call only when
/// CPUID.1:ECX.OSXSAVE (bit 27) is set: XGETBV faults otherwise.
static inline uint64_t distillery_xgetbv0(void) {
#if defined(__x86_64__) || defined(__i386__)
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
#else
    return 0;
#endif
}

#endif
