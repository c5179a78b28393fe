/* Thin inline wrappers over privileged and special instructions. */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdint.h>
#include "cpu/arch.h"

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

struct cpuid_regs { uint32_t a, b, c, d; };

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;
	asm volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
	return r;
}

#define DEFINE_CR(n)                                                        \
	static inline uint64_t read_cr##n(void)                             \
	{                                                                   \
		uint64_t v;                                                 \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v));               \
		return v;                                                   \
	}                                                                   \
	static inline void write_cr##n(uint64_t v)                          \
	{                                                                   \
		asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");      \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline uint64_t read_rflags(void)
{
	uint64_t v;
	asm volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline void invlpg(const volatile void *p)
{
	asm volatile("invlpg (%0)" : : "r"(p) : "memory");
}

static inline void flush_tlb(void)
{
	write_cr3(read_cr3());
}

static inline uint16_t read_cs(void)
{
	uint16_t v;
	asm volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

#endif
