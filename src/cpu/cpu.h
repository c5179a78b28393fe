/* One x86-64 processor.  There is no global CPU: every function takes the
 * struct cpu it works on, so tests can build many machines and VMX can keep
 * separate root and non-root contexts. */
#ifndef SOFTVTX_CPU_CPU_H
#define SOFTVTX_CPU_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"


/* MAXPHYADDR of the modelled processor (CPUID.80000008H:EAX[7:0]). */
#define CPU_MAXPHYADDR 40
/* EDX after RESET: family/model/stepping (SDM Vol. 3A §9.1.4). */
#define CPU_RESET_EDX 0x00050654u

struct bus;
struct cpu;
struct icache;
struct insn;
struct vmx;

/* What a handler or memory access returns.  Anything but X_OK stops the
 * current instruction without committing further state. */
enum xstatus {
	X_OK = 0,    /* retire; the run loop advances RIP by the length */
	X_JUMP,      /* retire; the handler already set RIP (leaves the block) */
	X_FAULT,     /* an exception is described in cpu->fault; nothing retired */
	X_HALT,      /* retire, then stop at HLT (RIP already advanced) */
	X_STOP,      /* retire, then leave cpu_run (RIP already advanced) */
	X_VMEXIT,    /* the instruction caused a VM exit (VMX layer) */
	X_RESTART,   /* nothing retired: the block went stale, fetch again at RIP */
	X_BLOCKEND,  /* (threaded dispatch only) every record of the block retired */
};

/* A call that can fail returns enum xstatus; TRY propagates a failure to
 * the caller.  The name says it can return. */
#define TRY(expr) do { int try_s_ = (expr); if (try_s_ != X_OK) return try_s_; } while (0)

#define WARN_UNUSED __attribute__((warn_unused_result))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Why cpu_run() returned. */
enum cpu_stop {
	STOP_BUDGET = 0,  /* the instruction budget ran out */
	STOP_HALT,        /* HLT with interrupts disabled (nothing can wake it) */
	STOP_SHUTDOWN,    /* triple fault */
	STOP_EXIT,        /* a device asked the machine to stop (debug-exit) */
	STOP_BREAK,       /* a hook asked to stop */
	STOP_ERROR,       /* an internal limit (e.g. out of host memory) */
};

/* A segment register with its descriptor cache.  `attr` uses the VMCS
 * access-rights layout drawn in arch.h. */
struct seg {
	uint16_t sel;
	uint64_t base;
	uint32_t limit;   /* byte granular, already scaled by G */
	uint32_t attr;
};

struct dtr {
	uint64_t base;
	uint32_t limit;
};

/* The pending exception of a faulting instruction. */
struct fault {
	uint8_t vector;
	bool has_error;
	uint32_t error;
	uint64_t cr2;      /* for #PF */
	/* For #DB (debug_raise, MOV DR with DR7.GD, the TSS T flag): the
	 * DR6 bits it reports and DR6 before it set them.  A VM exit for the
	 * #DB reports the bits in its qualification and leaves DR6 as it
	 * was (SDM Vol. 3C §27.1). */
	uint64_t db_bits;
	uint64_t db_dr6;
};

/* Processor execution mode, derived from CR0.PE, EFER.LMA, RFLAGS.VM and
 * CS.L; recomputed by cpu_update_mode() whenever one of those changes. */
enum cpu_mode {
	MODE_REAL,
	MODE_VM86,
	MODE_PROT,     /* legacy protected mode, 16- or 32-bit code */
	MODE_COMPAT,   /* IA-32e compatibility mode */
	MODE_LONG,     /* IA-32e 64-bit mode */
};

/* --- Software TLB (see tlb.h) --------------------------------------- */
#define TLB_BITS 12
#define TLB_SIZE (1u << TLB_BITS)
enum { TLB_READ, TLB_WRITE, TLB_EXEC, TLB_KINDS };
/* mmu index: 0 supervisor, 1 user.  Each has its own arrays so that the
 * fast path never re-checks U/S. */
enum { MMU_SUPER, MMU_USER, MMU_COUNT };

struct tlb_entry {
	uint64_t tag;      /* tlb_tag(): page-aligned linear address | context
	                      (mmu.h), or TLB_INVALID */
	uintptr_t addend;  /* host pointer = linear address + addend */
	uint64_t gpa;      /* bus address of the page (for the decode cache
	                      key): guest-physical, host-physical under EPT */
};
#define TLB_INVALID 1ull

/* Instruction-trace hook: called after each retired instruction while
 * tracing is on (cpu->trace_on).  Never called otherwise. */
typedef void cpu_trace_fn(void *opaque, const struct cpu *cpu, const struct insn *in,
                          uint64_t rip, const uint64_t *gpr_before);

/* Rare-path trace events (src/vtx_trace.c): CR0/CR3/CR4 and EFER writes
 * by instructions, and the start of each event delivery.  Reported
 * through cpu->trace_ev_fn, which is NULL unless a trace is set; the
 * checks sit where the write or delivery happens, never per instruction. */
enum cpu_tev_kind { CPU_TEV_CR, CPU_TEV_EFER, CPU_TEV_DELIVER };

struct cpu_tev {
	enum cpu_tev_kind kind;
	unsigned cr;           /* CPU_TEV_CR: 0, 3 or 4 */
	uint64_t old, val;     /* CR/EFER: before and after the write */
	/* CPU_TEV_DELIVER: vector, type as in the VMX interruption
	 * information (0 external, 2 NMI, 3 exception, 4 INT n, 5 INT1,
	 * 6 INT3/INTO), error code, and the return RIP pushed */
	unsigned vector, type;
	bool has_error;
	uint32_t error;
	uint64_t ret_rip;
};

typedef void cpu_trace_ev_fn(void *opaque, const struct cpu *cpu, const struct cpu_tev *ev);

struct cpu {
	/* --- architectural state --- */
	uint64_t gpr[16];
	uint64_t rip;
	uint64_t rflags;       /* see flags.h for what is current */
	uint64_t cc_src1, cc_src2, cc_res;
	uint8_t cc_op, cc_size;

	struct seg seg[SEG_COUNT];  /* ES CS SS DS FS GS LDTR TR */
	struct dtr gdtr, idtr;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	uint64_t dr[8];
	/* PAE PDPTE registers, used by the PAE walk (mmu.c) only in VMX
	 * non-root operation with EPT and only while pdpte_valid: VM entry
	 * loads them from the guest-PDPTE fields (ept.c), MOV to CR0/CR3/CR4
	 * through EPT (mmu_load_pdptes); otherwise the walk reads the PDPTEs
	 * at CR3 (SDM Vol. 3C §26.3.2.4, §28.2.1). */
	uint64_t pdpte[4];
	bool pdpte_valid;

	/* MSR state that has no better home */
	uint64_t star, lstar, cstar, fmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t tsc_offset;   /* TSC = cycles + tsc_offset */
	uint64_t tsc_aux, apic_base, pat, mtrr_def_type, misc_enable;
	uint64_t feature_control;

	/* MONITOR/MWAIT (ops_wait.c): address-range monitoring armed by
	 * MONITOR, and the guest-physical address of the monitored line.
	 * Cleared by reset, by MWAIT and by VM entry and exit. */
	bool monitor_armed;
	uint64_t monitor_gpa;
	/* RDRAND/RDSEED (ops_rand.c): values drawn since reset, the counter
	 * of the deterministic generator. */
	uint64_t rand_count;

	/* --- derived state (recomputed, never authoritative) --- */
	enum cpu_mode mode;
	uint8_t cpl;
	uint8_t code_size;     /* 2, 4 or 8: default operand/address size of CS */
	uint8_t mmu_idx;       /* MMU_SUPER or MMU_USER (CPL == 3) */
	bool paging;           /* CR0.PG */
	bool ac_check;         /* alignment checking armed: CR0.AM, RFLAGS.AC, CPL 3 */

	/* --- events --- */
	struct fault fault;
	int8_t event_depth;    /* nested delivery: 0 none, 1 delivering, 2 #DF */
	/* Everything rare that the run loop must look at between blocks, in
	 * one word so that the common case is a single test of `attn`.  Keep
	 * every member inside the 8 bytes, and the padding zero. */
	union {
		struct {
			uint8_t intr_shadow; /* 1 after STI/MOV SS/POP SS; 2 while
			                        the shadowed instruction runs; 0
			                        after it (run.c) */
			bool halted;
			/* debug breakpoints (debug.c): DR0-DR3 armed by DR7 as
			 * execute breakpoints (bit n = DRn) */
			uint8_t dbg_exec;
			bool dbg_armed;      /* any breakpoint: the debug path */
			uint8_t dbg_held;    /* conditions held by MOV SS/POP SS
			                        (debug.h) */
			bool trace_on;       /* the traced loop (vtx.c sets it per
			                        cpu_run call) */
			bool vmx_events;     /* VMX non-root: something to decide
			                        at block boundaries (preemption
			                        timer, interrupt/NMI window) */
		};
		uint64_t attn;
	};
	bool shadow_mov_ss;    /* intr_shadow was set by MOV SS/POP SS, not STI
	                          (VMX interruptibility state, BASIC-6) */
	uint8_t dbg_data, dbg_io; /* data and I/O breakpoints (bit n = DRn) */
	uint8_t dbg_hits;      /* B0-B3 of data/I/O breakpoints the running
	                          instruction hit; a #DB trap once it retires */
	enum cpu_stop stop;    /* why the run ended, when X_STOP is returned */

	/* --- accounting --- */
	uint64_t cycles;       /* the one time base: TSC, timers, traces */
	uint64_t icount;       /* retired instructions */

	/* --- machinery --- */
	struct bus *bus;
	struct icache *icache;
	struct tlb_entry tlb[MMU_COUNT][TLB_KINDS][TLB_SIZE];
	bool tlb_has_large;    /* an entry came from a 2M/4M/1G page */
	uint64_t t_base;       /* threaded dispatch: RIP of the running block */
	const struct insn *t_stop; /* threaded dispatch: the record it stopped at */
	struct block *t_block; /* threaded dispatch: the running block */
	uint64_t t_end;        /* threaded dispatch: icount the budget ends at */
	uint32_t t_gen;        /* threaded dispatch: xlat_gen when the chain began */
	uint32_t t_chain;      /* threaded dispatch: blocks the chain may still
	                          enter directly (thread.c) */
	uint32_t t_iters;      /* threaded dispatch: back-edges of the running
	                          block approved in advance (thread.c) */
	uint32_t xlat_gen;     /* bumped whenever linear -> block mappings may
	                          change: TLB flushes and decode-cache flushes
	                          (guards the blocks' successor links) */
	bool block_break;      /* code was invalidated: leave the current block */

	/* --- VMX (src/vmx/vmx.h) --- */
	struct vmx *vmx;
	bool vmx_nonroot;      /* VMX non-root operation: F_VMX_EXIT rows ask
	                          the intercept module first */
	uint64_t tlb_asid;     /* OR-ed into every TLB tag: the address-
	                          translation context (src/vmx/ept.c), bits
	                          11:1, 0 for the host */

	/* --- configuration --- */
	uint64_t maxphyaddr_mask; /* bits allowed in a physical address */

	/* --- tracing (trace_on is with the rare conditions above) --- */
	cpu_trace_fn *trace_fn;
	void *trace_opaque;
	cpu_trace_ev_fn *trace_ev_fn; /* rare-path events, opaque trace_opaque */
	/* first unimplemented instruction seen, for the one-line report */
	char unimpl_mnemonic[32];
	uint64_t unimpl_rip;
	uint64_t unimpl_cs_base;
};

/* --- lifecycle (cpu.c) ------------------------------------------------ */
struct cpu *cpu_new(struct bus *bus);
void cpu_free(struct cpu *cpu);
/* Power-on state (SDM Vol. 3A §9.1.1, Table 9-1). */
void cpu_reset(struct cpu *cpu);
/* Recompute mode, cpl, code_size, mmu_idx after CR0/EFER/CS/RFLAGS.VM change. */
void cpu_update_mode(struct cpu *cpu);

/* Re-arm alignment checking after CR0.AM, RFLAGS.AC or CPL changed
 * (tlb.c: while armed, user data accesses bypass the TLB fast path). */
void cpu_update_ac(struct cpu *cpu);

/* --- execution (run.c) ------------------------------------------------ */
/* Execute at most `budget` instructions.  Returns why it stopped. */
enum cpu_stop cpu_run(struct cpu *cpu, uint64_t budget);

/* --- faults (fault.c / events.c) -------------------------------------- */
static inline int cpu_fault(struct cpu *cpu, unsigned vector, uint32_t error)
{
	cpu->fault.vector = (uint8_t)vector;
	cpu->fault.has_error = true;
	cpu->fault.error = error;
	return X_FAULT;
}
static inline int cpu_fault_noerr(struct cpu *cpu, unsigned vector)
{
	cpu->fault.vector = (uint8_t)vector;
	cpu->fault.has_error = false;
	cpu->fault.error = 0;
	return X_FAULT;
}
#define cpu_ud(cpu)    cpu_fault_noerr((cpu), EXC_UD)
#define cpu_gp0(cpu)   cpu_fault((cpu), EXC_GP, 0)
#define cpu_gp(cpu, e) cpu_fault((cpu), EXC_GP, (e))
#define cpu_ss(cpu, e) cpu_fault((cpu), EXC_SS, (e))

/* Deliver cpu->fault (or an interrupt) through the IVT/IDT; handles #DF and
 * triple fault.  Returns X_OK when delivered, X_STOP on shutdown. */
int cpu_deliver_fault(struct cpu *cpu);
/* Deliver a software/hardware interrupt `vector`.  `soft` is 1 for INT n,
 * 2 for INT3/INTO (vm86 and gate-DPL rules differ).  `next_rip` is the
 * return address pushed. */
int cpu_deliver_interrupt(struct cpu *cpu, unsigned vector, int soft, uint64_t next_rip);
/* Deliver an event that VM entry injects: `type` is the type of the
 * interruption-information field (0 external interrupt, 2 NMI, 3 hardware
 * exception, 4 software interrupt, 5 privileged software exception, 6
 * software exception); `ret_rip` is the return address pushed.  Faults
 * while delivering it are handled as for cpu_deliver_fault().  Returns
 * X_OK when delivered, X_STOP on shutdown. */
int cpu_deliver_event(struct cpu *cpu, unsigned vector, unsigned type, bool has_error,
                      uint32_t error, uint64_t ret_rip);

/* Fixed helpers for register access by operand size (log2 bytes). */
static inline uint64_t cpu_gpr_read(const struct cpu *cpu, unsigned reg, unsigned lg)
{
	return cpu->gpr[reg] & (lg == 3 ? ~0ull : (1ull << (8u << lg)) - 1);
}
/* SDM Vol. 1 §3.4.1.1: a 32-bit write zero-extends; 8- and 16-bit writes
 * merge. */
static inline void cpu_gpr_write(struct cpu *cpu, unsigned reg, unsigned lg, uint64_t v)
{
	switch (lg) {
	case 0: cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffull) | (v & 0xff); break;
	case 1: cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffffull) | (v & 0xffff); break;
	case 2: cpu->gpr[reg] = (uint32_t)v; break;
	default: cpu->gpr[reg] = v; break;
	}
}

/* Stack pointer width from SS.B (or 8 in 64-bit mode). */
static inline unsigned cpu_stack_size(const struct cpu *cpu)
{
	if (cpu->mode == MODE_LONG)
		return 8;
	return (cpu->seg[SEG_SS].attr & SEG_DB) ? 4 : 2;
}

/* Linear-address width mask for the current mode. */
static inline bool cpu_is_canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

#endif
