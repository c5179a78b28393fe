/* softvtx public API: one x86-64 machine behind an opaque handle.
 *
 *   vtx_open(config) -> machine with RAM and the platform devices
 *   vtx_load_multiboot(image, append, modules) -> RAM + initial CPU state
 *   vtx_run(budget) -> why it stopped (budget, halt, shutdown, debug-exit)
 *
 * Every fallible call returns enum vtx_status; vtx_strerror() names it.
 * The library never prints and never exits: guest console bytes go to the
 * output sink (stdout unless the config names another), and error detail
 * goes into caller-supplied buffers with explicit lengths.
 *
 * A handle is not thread-safe; distinct handles are independent.
 */
#ifndef SOFTVTX_H
#define SOFTVTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vtx vtx_t;

enum vtx_status {
	VTX_OK = 0,
	VTX_ERR_INVALID_ARG,    /* NULL handle/pointer, bad size or register id */
	VTX_ERR_NOMEM,          /* host memory ran out */
	VTX_ERR_RANGE,          /* physical range not inside guest RAM */
	VTX_ERR_READONLY,       /* the register cannot be written through the API */
	VTX_ERR_FILE,           /* image or module: not a regular file, or unreadable */
	VTX_ERR_MB_NO_HEADER,   /* no Multiboot header magic in the first 8 KiB */
	VTX_ERR_MB_CHECKSUM,    /* magic found but magic + flags + checksum != 0 */
	VTX_ERR_MB_FLAGS,       /* a required flag (bits 0-15) that cannot be honoured */
	VTX_ERR_MB_ADDRESS,     /* flag-16 address fields are inconsistent */
	VTX_ERR_NOT_ELF,        /* no flag 16 and the file is not ELF */
	VTX_ERR_ELF_BAD,        /* corrupt or unsupported ELF (class, machine, headers) */
	VTX_ERR_SEGMENT_RANGE,  /* a segment lies (partly) outside guest RAM */
	VTX_ERR_TRUNCATED,      /* a segment's file bytes extend past the end of file */
	VTX_ERR_OVERLAP,        /* two loadable segments overlap in physical memory */
	VTX_ERR_ENTRY_RANGE,    /* ELF64 entry point above 4 GiB */
	VTX_ERR_NO_ROOM,        /* boot info or modules do not fit in RAM below 4 GiB */
	VTX_STATUS_COUNT
};

/* A static English phrase for `st`; never NULL (unknown values give
 * "unknown status"). */
const char *vtx_strerror(enum vtx_status st);

/* Guest console bytes (UART THR, port 0xE9).  Called synchronously from
 * vtx_run with `len` >= 1 bytes. */
typedef void vtx_output_fn(void *opaque, const uint8_t *bytes, size_t len);

struct vtx_config {
	uint64_t ram_bytes;          /* guest RAM at physical 0; rounded up to 4 KiB;
	                                0 means 128 MiB */
	vtx_output_fn *output;       /* NULL: write to the C library's stdout */
	void *output_opaque;
};

/* Create a machine: RAM (zeroed), COM1 16550 at 0x3F8, debug console at
 * 0xE9, isa-debug-exit at 0xF4, the two 8259 PICs, and a CPU in its
 * power-on state.  `cfg` may be NULL for the defaults.  On success *out is
 * the handle; on failure *out is NULL.  Errors: INVALID_ARG (out NULL or
 * RAM size above 64 GiB), NOMEM. */
enum vtx_status vtx_open(const struct vtx_config *cfg, vtx_t **out);

/* Free everything the handle owns.  NULL is ignored. */
void vtx_close(vtx_t *vtx);

/* Replace the console sink (NULL restores stdout). */
void vtx_set_output(vtx_t *vtx, vtx_output_fn *fn, void *opaque);

/* Load a Multiboot v1 kernel as `qemu-system-x86_64 -kernel` does and set
 * the CPU up for its entry point (EAX = 0x2BADB002, EBX = info address,
 * flat 32-bit protected mode, paging off, IF = 0).
 *
 * `path` is the image (ELF32, ELF64, or any file with header flag 16).
 * The guest command line is "<path> <cmdline_append>" exactly as QEMU
 * builds it (`cmdline_append` may be NULL, meaning "").  `modules[i]` is
 * "FILE[ ARGS]": FILE (up to the first space) is loaded, and the whole
 * string becomes the module's command line.  `nmodules` may be 0 (then
 * `modules` may be NULL).
 *
 * On failure a one-line reason (no newline) is written to err[0..errlen)
 * when err is not NULL and errlen > 0; it is always NUL-terminated and
 * truncated to fit.  Guest RAM may then hold part of the image. */
enum vtx_status vtx_load_multiboot(vtx_t *vtx, const char *path, const char *cmdline_append,
                                   const char *const *modules, size_t nmodules, char *err,
                                   size_t errlen);

enum vtx_stop {
	VTX_STOP_BUDGET = 0,  /* max_insns instructions retired */
	VTX_STOP_HALT,        /* HLT and nothing can wake the CPU */
	VTX_STOP_SHUTDOWN,    /* triple fault */
	VTX_STOP_DEBUG_EXIT,  /* the guest wrote isa-debug-exit; see vtx_exit_status */
	VTX_STOP_BREAK,       /* a hook asked to stop */
	VTX_STOP_ERROR,       /* internal limit (e.g. host memory) */
};

/* Pass as max_insns for no instruction limit. */
#define VTX_RUN_FOREVER UINT64_MAX

/* Run until `max_insns` more instructions retire or the machine stops.
 * Returns why it stopped; calling again after HALT, SHUTDOWN or
 * DEBUG_EXIT returns the same reason at once. */
enum vtx_stop vtx_run(vtx_t *vtx, uint64_t max_insns);

/* After VTX_STOP_DEBUG_EXIT: (v << 1) | 1 for the value v the guest wrote
 * to port 0xF4 (as QEMU's isa-debug-exit computes it).  0 otherwise. */
int vtx_exit_status(const vtx_t *vtx);

/* Register ids for vtx_reg_get / vtx_reg_set.  The first 16 follow the
 * x86 encoding order (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15). */
enum vtx_reg {
	VTX_REG_RAX, VTX_REG_RCX, VTX_REG_RDX, VTX_REG_RBX,
	VTX_REG_RSP, VTX_REG_RBP, VTX_REG_RSI, VTX_REG_RDI,
	VTX_REG_R8, VTX_REG_R9, VTX_REG_R10, VTX_REG_R11,
	VTX_REG_R12, VTX_REG_R13, VTX_REG_R14, VTX_REG_R15,
	VTX_REG_RIP, VTX_REG_RFLAGS,
	VTX_REG_CR0, VTX_REG_CR2, VTX_REG_CR3, VTX_REG_CR4, VTX_REG_EFER,
	/* selectors */
	VTX_REG_ES, VTX_REG_CS, VTX_REG_SS, VTX_REG_DS, VTX_REG_FS, VTX_REG_GS,
	/* descriptor-cache bases */
	VTX_REG_ES_BASE, VTX_REG_CS_BASE, VTX_REG_SS_BASE,
	VTX_REG_DS_BASE, VTX_REG_FS_BASE, VTX_REG_GS_BASE,
	VTX_REG_GDTR_BASE, VTX_REG_GDTR_LIMIT, VTX_REG_IDTR_BASE, VTX_REG_IDTR_LIMIT,
	VTX_REG_COUNT
};

/* Read a register into *val.  Errors: INVALID_ARG (unknown id, NULL). */
enum vtx_status vtx_reg_get(const vtx_t *vtx, enum vtx_reg reg, uint64_t *val);

/* Write a general register, RIP or RFLAGS (bit 1 is forced to 1; the
 * mode is recomputed if VM changes).  Other ids return READONLY: control
 * and segment state changes only through guest instructions or the
 * loader. */
enum vtx_status vtx_reg_set(vtx_t *vtx, enum vtx_reg reg, uint64_t val);

/* Guest RAM size in bytes. */
uint64_t vtx_ram_size(const vtx_t *vtx);

/* Copy between guest-physical RAM and a host buffer.  The whole range
 * [gpa, gpa + len) must lie in RAM (else RANGE, nothing copied).  Writes
 * invalidate any decoded code they cover. */
enum vtx_status vtx_phys_read(vtx_t *vtx, uint64_t gpa, void *buf, size_t len);
enum vtx_status vtx_phys_write(vtx_t *vtx, uint64_t gpa, const void *buf, size_t len);

/* Basic VM-exit reasons are below this (SDM Appendix C). */
#define VTX_EXIT_REASONS 96

struct vtx_stats {
	uint64_t instructions;     /* retired */
	uint64_t cycles;           /* the modelled time base */
	/* decode cache */
	uint64_t icache_lookups, icache_jc_hits, icache_hash_hits, icache_misses;
	uint64_t icache_invalidated, icache_flushes, icache_decoded;
	/* VMX: successful VM entries, and VM exits by basic exit reason
	 * (entry failures count under 33 and 34) */
	uint64_t vm_entries;
	uint64_t vm_exits[VTX_EXIT_REASONS];
};

/* Fill *st with the counters since vtx_open. */
void vtx_get_stats(const vtx_t *vtx, struct vtx_stats *st);

/* One trace record (NUL-terminated, no newline), `len` bytes, in the
 * format of traces/FORMAT.md (version VTX_TRACE_VERSION):
 *   <n> <cycles> <kind> ...
 * e.g. an instruction record
 *   <n> <cycles> insn <cs>:<rip> <bytes> <disassembly>[ ; <reg>=<value>...]
 * where n is the number of instructions retired before the record's event
 * (for an instruction: its index from 0).  The header line
 * VTX_TRACE_HEADER is not passed to fn: a writer puts it first. */
typedef void vtx_trace_fn(void *opaque, const char *line, size_t len);

#define VTX_TRACE_VERSION 1
#define VTX_TRACE_HEADER "# softvtx-trace 1"

/* Trace the retired instructions numbered [first, first + count) (count
 * VTX_RUN_FOREVER: to the end; 0: no instruction records).  Event records
 * (VMX entries/exits/failures, CR0/CR3/CR4/EFER writes, exception and
 * interrupt delivery) go to fn whenever a trace is set, inside the window
 * or not.  fn NULL turns tracing off.  While a trace is set the run takes
 * the one-instruction-at-a-time loop (slower, same results and cycles), so
 * that event records carry exact counters; with none set it pays nothing.
 * Errors: NOMEM (the disassembler could not be opened). */
enum vtx_status vtx_set_trace(vtx_t *vtx, uint64_t first, uint64_t count, vtx_trace_fn *fn,
                              void *opaque);

/* The first instruction the run met that softvtx does not implement (the
 * guest saw #UD).  Returns false if there was none; otherwise copies its
 * mnemonic (NUL-terminated, truncated to fit) and its linear address
 * (CS.base + RIP) when the pointers are not NULL. */
bool vtx_unimplemented(const vtx_t *vtx, char *mnemonic, size_t len, uint64_t *linear);

/* After VTX_STOP_SHUTDOWN: the CS selector and RIP of the instruction that
 * faulted, and the vector of the last exception raised.  Returns false if
 * the machine did not shut down. */
bool vtx_shutdown_info(const vtx_t *vtx, uint16_t *cs, uint64_t *rip, uint8_t *vector);

/* What happened in VMX operation, as it happens. */
enum vtx_vmx_event_kind {
	VTX_VMX_ENTRY,        /* VMLAUNCH/VMRESUME entered the guest */
	VTX_VMX_EXIT,         /* a VM exit */
	VTX_VMX_ENTRY_FAIL,   /* VMfailValid(7/8) or a VM-entry failure exit 33/34 */
	VTX_VMX_VMFAIL,       /* any other VMX instruction failure */
	VTX_VMX_ABORT,        /* VMX abort: the machine shuts down */
};

struct vtx_vmx_event {
	enum vtx_vmx_event_kind kind;
	uint64_t icount, cycles;   /* when (retired instructions, cycles) */
	uint32_t reason;           /* exit reason field (bit 31: entry failure) */
	const char *reason_name;   /* "CPUID", ... ("" when not an exit) */
	uint64_t qual;             /* exit qualification */
	uint64_t rip;              /* exits: saved guest RIP; entries: guest RIP */
	uint32_t error;            /* VM-instruction error / abort indicator */
	int launch;                /* entries: 1 VMLAUNCH, 0 VMRESUME */
	/* Entry failures: the spec's check ID ("GUEST-12") and the whole
	 * explanation ("GUEST-12: CR0.PG=1 requires CR0.PE=1 (guest
	 * CR0=0x80000011, unrestricted guest=0)"); NULL otherwise. */
	const char *check_id, *explanation;
	/* Exits: the exit-information fields of the current VMCS that are
	 * valid for this exit (bit VTX_VMX_HAS_* set in `has`); entries: the
	 * VM-entry interruption information when it injects an event. */
	unsigned has;
	uint32_t ilen, insn_info;          /* VM-exit instruction length/info */
	uint32_t intr_info, intr_error;    /* VM-exit (or VM-entry) interruption */
	uint32_t idt_info, idt_error;      /* IDT-vectoring information */
	uint64_t gpa, gla;                 /* guest-physical / guest-linear address */
};

enum {
	VTX_VMX_HAS_ILEN = 1 << 0,
	VTX_VMX_HAS_INSN_INFO = 1 << 1,
	VTX_VMX_HAS_INTR = 1 << 2,        /* intr_info (valid bit set) */
	VTX_VMX_HAS_INTR_ERROR = 1 << 3,
	VTX_VMX_HAS_IDT = 1 << 4,
	VTX_VMX_HAS_IDT_ERROR = 1 << 5,
	VTX_VMX_HAS_GPA = 1 << 6,
	VTX_VMX_HAS_GLA = 1 << 7,
};

typedef void vtx_vmx_fn(void *opaque, const struct vtx_vmx_event *ev);

/* Call fn for every VMX event (NULL: stop).  Trace lines for the events
 * are written to the instruction trace as well, while one is set. */
void vtx_set_vmx_hook(vtx_t *vtx, vtx_vmx_fn *fn, void *opaque);

/* The explanation of the last VM-entry failure (see vtx_vmx_event),
 * copied NUL-terminated into buf.  false if no entry has failed. */
bool vtx_vmx_last_failure(const vtx_t *vtx, char *buf, size_t len);

/* The CPU profile: the VMX capabilities (IA32_VMX_* MSRs 0x480-0x493 and
 * the model-specific choices) the machine reports and enforces.  The
 * default is "skylake-x", the reference profile of
 * shared/spec/vmx-capabilities.md §9.
 *
 * `name_or_path` is a built-in name (see vtx_cpu_profile_name) or else a
 * profile file (format in docs/cpu-profiles.md), which is validated
 * against the spec's invariants.  The handle keeps its own copy until it
 * is closed or another profile is set.  Call it before vtx_run; it fails
 * while the guest is in VMX operation.  On failure the previous profile
 * stays, and a one-line reason goes to err[0..errlen) as for
 * vtx_load_multiboot.  Errors: INVALID_ARG (unknown name, invalid file,
 * VMX operation), FILE (cannot be read), NOMEM. */
enum vtx_status vtx_set_cpu_profile(vtx_t *vtx, const char *name_or_path, char *err,
                                    size_t errlen);

/* The name of built-in CPU profile `i` (0 is the default); NULL past the
 * last one. */
const char *vtx_cpu_profile_name(size_t i);

/* The value the boot firmware leaves in IA32_FEATURE_CONTROL (MSR 0x3A)
 * when vtx_load_multiboot starts the kernel.  Without this call it is 0x5
 * (locked, VMXON allowed outside SMX) when the CPU reports VMX, as QEMU's
 * firmware and the Bochs BIOS set it, and 0 otherwise; 0 leaves the MSR
 * unlocked for the guest (to exercise the VMXON #GP path, or to lock it
 * itself).  Call it before vtx_load_multiboot.  Errors: INVALID_ARG (bits
 * other than 0x1 and, with VMX, 0x4). */
enum vtx_status vtx_set_feature_control(vtx_t *vtx, uint64_t value);

#ifdef __cplusplus
}
#endif

#endif
