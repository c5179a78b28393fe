/* The guest runtime's interface: everything a test image needs. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "console.h"
#include "layout.h"
#include "tap.h"
#include "x86.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The image's main program.  Its return value goes to guest_exit. */
int main(void);

/* Writes v to the isa-debug-exit port 0xF4: the run ends with status
 * (v << 1) | 1.  Without that device, halts with interrupts off. */
void guest_exit(int v) __attribute__((noreturn));

/* --- string.c ------------------------------------------------------- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* --- cpuid.c -------------------------------------------------------- */
bool cpu_has(uint32_t leaf, char reg, int bit);
bool cpu_is_qemu_tcg(void);
/* The CPUID vendor string (12 chars) and brand string (up to 48). */
void cpu_vendor(char out[13]);
void cpu_brand(char out[49]);
int cpu_maxphyaddr(void);
#define CPUID_1_ECX_MOVBE   22
#define CPUID_1_ECX_POPCNT  23
#define CPUID_1_ECX_CX16    13
#define CPUID_1_ECX_HYPERV  31
#define CPUID_7_EBX_BMI1    3
#define CPUID_7_EBX_BMI2    8
#define CPUID_81_ECX_ABM    5    /* LZCNT */
#define CPUID_81_EDX_NX     20
#define CPUID_81_EDX_1GB    26
#define CPUID_81_EDX_SYSCALL 11

/* --- multiboot.c ---------------------------------------------------- */
struct mb_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
};
struct mb_summary {
	bool valid;               /* EAX held 0x2BADB002 */
	uint32_t flags;
	const char *cmdline;      /* "" when absent */
	bool has_mem;
	uint32_t mem_lower_kib, mem_upper_kib;
	int mmap_count;
	struct mb_mmap_entry mmap[32];
};
extern struct mb_summary mb;
void mb_parse(uint32_t magic, uint32_t info_pa);

/* --- trap.c / trap.S ------------------------------------------------ */
/* What the last caught exception looked like. */
struct trap_info {
	int vector;        /* -1 when fn returned normally */
	uint64_t error;    /* 0 for vectors that push none */
	uint64_t rip;      /* the RIP the CPU pushed */
	uint64_t cs;       /* the CS the CPU pushed (its RPL is the old CPL) */
	uint64_t rflags;
	uint64_t rsp;
	uint64_t cr2;      /* read in the handler for #PF, else 0 */
	uint64_t rax, rcx, rdx, rbx, rsi, rdi;  /* at the exception */
	uint64_t frame;    /* address of the CPU-pushed RIP slot */
};
/* Runs fn(arg).  If any exception or interrupt arrives, the handler
 * records it in *out and resumes here, at CPL 0 with the stack and
 * callee-saved registers of this call.  Returns the vector, or -1 when
 * fn returned normally.  Not reentrant. */
int trap_try(void (*fn)(void *), void *arg, struct trap_info *out);
/* Runs fn in ring 3 (64-bit, CS=SEL_UCODE64|3) on a private stack with
 * RFLAGS = rflags.  fn leaves ring 3 with user_exit() (INT VEC_USER_EXIT
 * through a DPL-3 gate) or by faulting.  Returns like trap_try. */
int user_try(void (*fn)(void *), void *arg, uint64_t rflags, struct trap_info *out);
static inline void user_exit(void)
{
	asm volatile("int %0" : : "i"(VEC_USER_EXIT) : "memory");
}
extern uint64_t gdt[GDT_ENTRIES];
/* Rewrites IDT gate vec: a 64-bit interrupt gate to the runtime's stub. */
void idt_gate(int vec, int dpl, bool present);
/* Selects IST slot ist (1-7, 0 = none) for gate vec; sets TSS.ISTn. */
void idt_gate_ist(int vec, int ist);
void tss_set_ist(int n, uint64_t rsp);
/* Defines void name(void *) in asm from body (which must end by falling
 * off into the RET appended here) with the global label name_at that
 * body places on the instruction expected to fault. */
#define FAULT_FN(name, body)                                                \
	void name(void *);                                                 \
	extern const char name##_at[];                                     \
	asm(".text\n.globl " #name "\n" #name ":\n" body "\nret\n")
/* Reloads a data segment register with sel; used to provoke #GP/#NP/#SS. */
void load_ds(uint16_t sel);
void load_ss(uint16_t sel);

/* --- modes.S -------------------------------------------------------- */
/* Calls the 32-bit cdecl code fn(a, b) in compatibility mode
 * (CS=SEL_KCODE32); returns its EAX.  Exceptions inside it are caught by
 * trap_try like any other. */
uint32_t compat_call(uint32_t fn, uint32_t a, uint32_t b);

/* --- legacy.S ------------------------------------------------------ */
/* Leaves IA-32e mode, runs the 32-bit cdecl code fn(a, b) in legacy
 * protected mode (paging off, 32-bit IDT) and comes back.  Returns fn's
 * EAX, or 0xE0000000 | vector if an exception arrived while not armed. */
uint32_t legacy_call(uint32_t fn, uint32_t a, uint32_t b);
/* The last exception in legacy mode. */
struct legacy_trap {
	uint32_t vector, error, eip, cr2, count;
	uint32_t cs;           /* pushed CS (RPL = the interrupted CPL) */
	uint32_t esp;          /* pushed ESP; meaningful from ring 3 only */
	uint32_t handler_esp;  /* handler's ESP after the runtime's 3 pushes */
};
/* Rewrites 32-bit IDT gate vec (to the runtime's stub) with DPL dpl. */
void idt32_gate(int vec, int dpl);
extern volatile struct legacy_trap legacy_trap;

/* pm32_run_ops (run through legacy_call): turns on legacy paging with
 * CR3/CR4 from cfg and CR0 |= cr0_or, runs ops until PM32_END, then turns
 * paging off.  Each op records the value read (or EAX of the called code)
 * or the exception that stopped it (vector -1 when none).  Accesses go
 * through DS, which op->sel can replace for that one op. */
enum pm32_kind { PM32_END, PM32_READ, PM32_WRITE, PM32_EXEC, PM32_INVLPG, PM32_LOAD_DS };
struct pm32_cfg {
	uint32_t cr3, cr4, cr0_or;
};
struct pm32_op {
	uint32_t kind, addr, value, result;
	int32_t vector;
	uint32_t error, cr2, eip;
	uint32_t sel;      /* when nonzero, DS for this access */
	uint32_t reserved;
};
extern const char pm32_run_ops[];

#endif
