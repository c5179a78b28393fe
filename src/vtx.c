/* The public API: one machine = bus + platform devices + CPU.  This file
 * only assembles and forwards; the loader, devices and interpreter do the
 * work.  Nothing here prints or exits (console bytes go to the sink). */
#include "softvtx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/flags.h"
#include "cpu/icache.h"
#include "cpu/msr.h"
#include "loader/multiboot.h"
#include "mem/bus.h"
#include "mem/debugcon.h"
#include "mem/debugexit.h"
#include "mem/pic.h"
#include "mem/sink.h"
#include "mem/uart16550.h"
#include "vmx/profile.h"
#include "vmx/exit.h"
#include "vmx/exit_names.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vtx_trace.h"

#define VTX_DEFAULT_RAM (128ull << 20)
#define VTX_MAX_RAM (64ull << 30)

struct vtx {
	struct bus *bus;
	struct cpu *cpu;
	struct sink sink;
	struct uart16550 com1;
	struct debugcon dbgcon;
	struct debugexit dbgexit;
	struct pic8259 pic_master, pic_slave;
	struct vtx_tracer *tracer;    /* NULL until vtx_set_trace */
	uint64_t trace_first, trace_end;
	enum vtx_stop last_stop;
	bool stopped;                  /* halt, shutdown or debug-exit seen */
	struct vmx_profile *profile;   /* a profile read from a file, in force
	                                  until replaced; NULL for built-ins */
	vtx_vmx_fn *vmx_fn;            /* vtx_set_vmx_hook */
	void *vmx_opaque;
	bool fc_set;                   /* vtx_set_feature_control was called */
	uint64_t fc_value;             /* ... with this value */
};

static const char *const status_text[VTX_STATUS_COUNT] = {
	[VTX_OK] = "success",
	[VTX_ERR_INVALID_ARG] = "invalid argument",
	[VTX_ERR_NOMEM] = "out of host memory",
	[VTX_ERR_RANGE] = "address range outside guest RAM",
	[VTX_ERR_READONLY] = "register is read-only through the API",
	[VTX_ERR_FILE] = "file missing, not a regular file, or unreadable",
	[VTX_ERR_MB_NO_HEADER] = "no Multiboot header in the first 8 KiB",
	[VTX_ERR_MB_CHECKSUM] = "Multiboot header checksum is wrong",
	[VTX_ERR_MB_FLAGS] = "Multiboot header requires unsupported features",
	[VTX_ERR_MB_ADDRESS] = "Multiboot address fields are inconsistent",
	[VTX_ERR_NOT_ELF] = "not an ELF file and no Multiboot address fields",
	[VTX_ERR_ELF_BAD] = "corrupt or unsupported ELF file",
	[VTX_ERR_SEGMENT_RANGE] = "segment outside guest RAM",
	[VTX_ERR_TRUNCATED] = "file is truncated",
	[VTX_ERR_OVERLAP] = "loadable segments overlap",
	[VTX_ERR_ENTRY_RANGE] = "entry point above 4 GiB",
	[VTX_ERR_NO_ROOM] = "no room in guest RAM for boot information or modules",
};

const char *vtx_strerror(enum vtx_status st)
{
	if ((unsigned)st < VTX_STATUS_COUNT && status_text[st])
		return status_text[st];
	return "unknown status";
}

static void stdout_sink(void *opaque, const uint8_t *bytes, size_t len)
{
	(void)opaque;
	fwrite(bytes, 1, len, stdout);
}



/* The exit-information fields valid for this exit, from the current VMCS
 * (vm-exits.md §6, "Recording information at a VM exit"). */
static void exit_info(const struct vmx *v, struct vtx_vmx_event *e)
{
	uint32_t r = e->reason & 0xffff;
	uint32_t intr = (uint32_t)VMCS_GET(v, EXIT_INTR_INFO);
	uint32_t idt = (uint32_t)VMCS_GET(v, IDT_VECTORING_INFO);
	unsigned soft = 0;

	if (intr >> 31) {
		e->has |= VTX_VMX_HAS_INTR;
		e->intr_info = intr;
		if (intr & (1u << 11)) {
			e->has |= VTX_VMX_HAS_INTR_ERROR;
			e->intr_error = (uint32_t)VMCS_GET(v, EXIT_INTR_ERROR_CODE);
		}
		if (r == EXIT_EXCEPTION_NMI && ((intr >> 8) & 7) >= 4)
			soft = 1;
	}
	if (idt >> 31) {
		e->has |= VTX_VMX_HAS_IDT;
		e->idt_info = idt;
		if (idt & (1u << 11)) {
			e->has |= VTX_VMX_HAS_IDT_ERROR;
			e->idt_error = (uint32_t)VMCS_GET(v, IDT_VECTORING_ERROR_CODE);
		}
		if (((idt >> 8) & 7) >= 4)
			soft = 1;
	}
	/* Task switches by CALL, IRET or JMP (qualification 31:30 < 3). */
	if (vmx_exit_has_insn_len(r) || soft || (r == EXIT_TASK_SWITCH && ((e->qual >> 30) & 3) != 3)) {
		e->has |= VTX_VMX_HAS_ILEN;
		e->ilen = (uint32_t)VMCS_GET(v, EXIT_INSTRUCTION_LEN);
	}
	if (vmx_exit_has_insn_info(r, e->qual)) {
		e->has |= VTX_VMX_HAS_INSN_INFO;
		e->insn_info = (uint32_t)VMCS_GET(v, EXIT_INSTRUCTION_INFO);
	}
	if (r == EXIT_EPT_VIOLATION || r == EXIT_EPT_MISCONFIG) {
		e->has |= VTX_VMX_HAS_GPA;
		e->gpa = VMCS_GET(v, GUEST_PHYSICAL_ADDRESS);
	}
	/* EPT violations with qualification bit 7, string I/O, and LMSW
	 * with a memory operand (CR access type 3, bit 6). */
	if ((r == EXIT_EPT_VIOLATION && (e->qual & 0x80)) ||
	    (r == EXIT_IO_INSTRUCTION && (e->qual & 0x10)) ||
	    (r == EXIT_CR_ACCESS && ((e->qual >> 4) & 3) == 3 && (e->qual & 0x40))) {
		e->has |= VTX_VMX_HAS_GLA;
		e->gla = VMCS_GET(v, GUEST_LINEAR_ADDRESS);
	}
}

/* The VMX layer's events, turned into the public form for the hook and
 * into trace records. */
static void vmx_event(void *opaque, const struct cpu *cpu, const struct vmx_event *ev)
{
	struct vtx *vtx = opaque;
	struct vtx_vmx_event e = {
		.icount = cpu->icount,
		.cycles = cpu->cycles,
		.reason = ev->reason,
		.reason_name = "",
		.qual = ev->qual,
		.rip = ev->guest_rip,
		.error = ev->error,
		.launch = ev->launch,
	};
	char line[512];
	size_t n;

	switch (ev->kind) {
	case VMX_EV_ENTRY: e.kind = VTX_VMX_ENTRY; break;
	case VMX_EV_EXIT: e.kind = VTX_VMX_EXIT; break;
	case VMX_EV_ENTRY_FAIL: e.kind = VTX_VMX_ENTRY_FAIL; break;
	case VMX_EV_VMFAIL: e.kind = VTX_VMX_VMFAIL; break;
	case VMX_EV_ABORT: e.kind = VTX_VMX_ABORT; break;
	}
	if (ev->kind == VMX_EV_EXIT || (ev->kind == VMX_EV_ENTRY_FAIL && ev->reason))
		e.reason_name = vmx_exit_reason_name(ev->reason & 0xffff);
	if (ev->kind == VMX_EV_ENTRY_FAIL && ev->diag) {
		e.check_id = ev->diag->id;
		e.explanation = ev->diag->text;
	}
	if (cpu->vmx && cpu->vmx->current_vmcs != VMCS_NONE) {
		if (ev->kind == VMX_EV_EXIT)
			exit_info(cpu->vmx, &e);
		if (ev->kind == VMX_EV_ENTRY && (VMCS_GET(cpu->vmx, ENTRY_INTR_INFO) >> 31)) {
			e.has |= VTX_VMX_HAS_INTR;
			e.intr_info = (uint32_t)VMCS_GET(cpu->vmx, ENTRY_INTR_INFO);
			if (e.intr_info & (1u << 11)) {
				e.has |= VTX_VMX_HAS_INTR_ERROR;
				e.intr_error = (uint32_t)VMCS_GET(cpu->vmx, ENTRY_EXCEPTION_ERROR_CODE);
			}
		}
	}
	if (vtx->vmx_fn)
		vtx->vmx_fn(vtx->vmx_opaque, &e);
	if (vtx->tracer) {
		n = vtx_tracer_format_vmx(line, sizeof(line), &e);
		vtx_tracer_emit(vtx->tracer, line, n);
	}
}

enum vtx_status vtx_open(const struct vtx_config *cfg, vtx_t **out)
{
	uint64_t ram = cfg && cfg->ram_bytes ? cfg->ram_bytes : VTX_DEFAULT_RAM;
	struct vtx *v;

	if (!out)
		return VTX_ERR_INVALID_ARG;
	*out = NULL;
	if (ram > VTX_MAX_RAM)
		return VTX_ERR_INVALID_ARG;
	v = calloc(1, sizeof(*v));
	if (!v)
		return VTX_ERR_NOMEM;
	v->bus = bus_new(ram);
	v->cpu = v->bus ? cpu_new(v->bus) : NULL;
	if (!v->cpu) {
		vtx_close(v);
		return VTX_ERR_NOMEM;
	}
	vtx_set_output(v, cfg ? cfg->output : NULL, cfg ? cfg->output_opaque : NULL);
	v->cpu->vmx->event_fn = vmx_event;
	v->cpu->vmx->event_opaque = v;
	uart_init(&v->com1, &v->sink);
	debugcon_init(&v->dbgcon, &v->sink);
	pic_init(&v->pic_master);
	pic_init(&v->pic_slave);
	if (uart_attach(&v->com1, v->bus, UART_COM1_BASE) ||
	    debugcon_attach(&v->dbgcon, v->bus, DEBUGCON_PORT) ||
	    debugexit_attach(&v->dbgexit, v->bus, DEBUGEXIT_PORT) ||
	    pic_attach(&v->pic_master, v->bus, PIC_MASTER_PORT) ||
	    pic_attach(&v->pic_slave, v->bus, PIC_SLAVE_PORT)) {
		vtx_close(v);
		return VTX_ERR_NOMEM;
	}
	*out = v;
	return VTX_OK;
}

void vtx_close(vtx_t *vtx)
{
	if (!vtx)
		return;
	vtx_tracer_free(vtx->tracer);
	cpu_free(vtx->cpu);
	free(vtx->profile);
	bus_free(vtx->bus);
	free(vtx);
}

void vtx_set_output(vtx_t *vtx, vtx_output_fn *fn, void *opaque)
{
	if (!vtx)
		return;
	vtx->sink.fn = fn ? fn : stdout_sink;
	vtx->sink.opaque = fn ? opaque : NULL;
}

enum vtx_status vtx_load_multiboot(vtx_t *vtx, const char *path, const char *cmdline_append,
                                   const char *const *modules, size_t nmodules, char *err,
                                   size_t errlen)
{
	enum vtx_status st;

	if (!vtx) {
		if (err && errlen)
			snprintf(err, errlen, "no machine");
		return VTX_ERR_INVALID_ARG;
	}
	st = mb_load(vtx->bus, vtx->cpu, path, cmdline_append, modules, nmodules, err, errlen);
	if (st == VTX_OK) {
		/* shared/spec/vmx-capabilities.md §3: the firmware locks
		 * IA32_FEATURE_CONTROL with VMXON allowed outside SMX, as
		 * QEMU's firmware (with VMX exposed) and the Bochs BIOS do. */
		if (vtx->fc_set)
			vtx->cpu->feature_control = vtx->fc_value;
		else if (cpuid_has(vtx->cpu, FEAT_VMX))
			vtx->cpu->feature_control = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE;
		vtx->stopped = false;
		vtx->bus->stop_requested = false;
		vtx->bus->exit_status = 0;
	}
	return st;
}

static enum vtx_stop map_stop(enum cpu_stop s)
{
	switch (s) {
	case STOP_BUDGET: return VTX_STOP_BUDGET;
	case STOP_HALT: return VTX_STOP_HALT;
	case STOP_SHUTDOWN: return VTX_STOP_SHUTDOWN;
	case STOP_EXIT: return VTX_STOP_DEBUG_EXIT;
	case STOP_BREAK: return VTX_STOP_BREAK;
	default: return VTX_STOP_ERROR;
	}
}

/* The largest slice that stays on one side of a trace-window edge, so that
 * the instruction hook (cpu->trace_fn) is constant inside each cpu_run
 * call. */
static uint64_t slice(const struct vtx *vtx, uint64_t left, bool *trace)
{
	uint64_t now = vtx->cpu->icount, n = left;

	*trace = false;
	if (!vtx->tracer)
		return n;
	if (now < vtx->trace_first) {
		if (vtx->trace_first - now < n)
			n = vtx->trace_first - now;
	} else if (now < vtx->trace_end) {
		*trace = true;
		if (vtx->trace_end - now < n)
			n = vtx->trace_end - now;
	}
	return n;
}

enum vtx_stop vtx_run(vtx_t *vtx, uint64_t max_insns)
{
	uint64_t left = max_insns;

	if (!vtx)
		return VTX_STOP_ERROR;
	/* A halted, shut-down or exited machine stays stopped. */
	if (vtx->stopped)
		return vtx->last_stop;
	for (;;) {
		uint64_t start = vtx->cpu->icount, n;
		enum cpu_stop s;
		bool trace;

		n = slice(vtx, left, &trace);
		/* With a trace set, the whole run takes the traced loop, which
		 * charges cycles and instructions one instruction at a time:
		 * event records made inside an instruction (CR writes, INT n)
		 * then carry exact counters.  Instruction records only inside
		 * the window. */
		vtx->cpu->trace_on = vtx->tracer != NULL;
		if (vtx->tracer)
			vtx->cpu->trace_fn = trace ? vtx_tracer_hook : NULL;
		s = cpu_run(vtx->cpu, n);
		vtx->cpu->trace_on = false;
		n = vtx->cpu->icount - start;
		if (max_insns != VTX_RUN_FOREVER)
			left = n < left ? left - n : 0;
		if (s != STOP_BUDGET) {
			vtx->last_stop = map_stop(s);
			vtx->stopped = s == STOP_HALT || s == STOP_SHUTDOWN || s == STOP_EXIT;
			return vtx->last_stop;
		}
		if (left == 0)
			return VTX_STOP_BUDGET;
	}
}

int vtx_exit_status(const vtx_t *vtx)
{
	if (!vtx || !vtx->bus->stop_requested)
		return 0;
	return vtx->bus->exit_status;
}

enum vtx_status vtx_reg_get(const vtx_t *vtx, enum vtx_reg reg, uint64_t *val)
{
	const struct cpu *cpu;

	if (!vtx || !val || (unsigned)reg >= VTX_REG_COUNT)
		return VTX_ERR_INVALID_ARG;
	cpu = vtx->cpu;
	if (reg <= VTX_REG_R15) {
		*val = cpu->gpr[reg];
		return VTX_OK;
	}
	switch (reg) {
	case VTX_REG_RIP: *val = cpu->rip; break;
	case VTX_REG_RFLAGS: *val = flags_read(cpu); break;
	case VTX_REG_CR0: *val = cpu->cr0; break;
	case VTX_REG_CR2: *val = cpu->cr2; break;
	case VTX_REG_CR3: *val = cpu->cr3; break;
	case VTX_REG_CR4: *val = cpu->cr4; break;
	case VTX_REG_EFER: *val = cpu->efer; break;
	case VTX_REG_GDTR_BASE: *val = cpu->gdtr.base; break;
	case VTX_REG_GDTR_LIMIT: *val = cpu->gdtr.limit; break;
	case VTX_REG_IDTR_BASE: *val = cpu->idtr.base; break;
	case VTX_REG_IDTR_LIMIT: *val = cpu->idtr.limit; break;
	default:
		/* The API's segment order ES CS SS DS FS GS is the SDM's (SEG_*). */
		if (reg >= VTX_REG_ES && reg <= VTX_REG_GS)
			*val = cpu->seg[reg - VTX_REG_ES].sel;
		else
			*val = cpu->seg[reg - VTX_REG_ES_BASE].base;
		break;
	}
	return VTX_OK;
}

enum vtx_status vtx_reg_set(vtx_t *vtx, enum vtx_reg reg, uint64_t val)
{
	struct cpu *cpu;

	if (!vtx || (unsigned)reg >= VTX_REG_COUNT)
		return VTX_ERR_INVALID_ARG;
	cpu = vtx->cpu;
	if (reg <= VTX_REG_R15) {
		cpu->gpr[reg] = val;
	} else if (reg == VTX_REG_RIP) {
		cpu->rip = val;
	} else if (reg == VTX_REG_RFLAGS) {
		flags_write(cpu, val);
		cpu_update_mode(cpu);
	} else {
		return VTX_ERR_READONLY;
	}
	return VTX_OK;
}

uint64_t vtx_ram_size(const vtx_t *vtx)
{
	return vtx ? vtx->bus->ram_size : 0;
}

static bool in_ram(const struct vtx *vtx, uint64_t gpa, size_t len)
{
	return gpa <= vtx->bus->ram_size && len <= vtx->bus->ram_size - gpa;
}

enum vtx_status vtx_phys_read(vtx_t *vtx, uint64_t gpa, void *buf, size_t len)
{
	if (!vtx || (!buf && len))
		return VTX_ERR_INVALID_ARG;
	if (!in_ram(vtx, gpa, len))
		return VTX_ERR_RANGE;
	if (len)
		memcpy(buf, vtx->bus->ram + gpa, len);
	return VTX_OK;
}

enum vtx_status vtx_phys_write(vtx_t *vtx, uint64_t gpa, const void *buf, size_t len)
{
	if (!vtx || (!buf && len))
		return VTX_ERR_INVALID_ARG;
	if (!in_ram(vtx, gpa, len))
		return VTX_ERR_RANGE;
	if (len)
		bus_write_bytes(vtx->bus, gpa, buf, len);
	return VTX_OK;
}

void vtx_get_stats(const vtx_t *vtx, struct vtx_stats *st)
{
	struct icache_stats ic;

	if (!st)
		return;
	memset(st, 0, sizeof(*st));
	if (!vtx)
		return;
	icache_get_stats(vtx->cpu->icache, &ic);
	st->instructions = vtx->cpu->icount;
	st->cycles = vtx->cpu->cycles;
	st->icache_lookups = ic.lookups;
	st->icache_jc_hits = ic.jc_hits;
	st->icache_hash_hits = ic.hash_hits;
	st->icache_misses = ic.misses;
	st->icache_invalidated = ic.invalidated;
	st->icache_flushes = ic.flushes;
	st->icache_decoded = ic.decoded;
	st->vm_entries = vtx->cpu->vmx->entries;
	for (unsigned r = 0; r < VTX_EXIT_REASONS && r < 96; r++)
		st->vm_exits[r] = vtx->cpu->vmx->exits_by_reason[r];
}

void vtx_set_vmx_hook(vtx_t *vtx, vtx_vmx_fn *fn, void *opaque)
{
	if (!vtx)
		return;
	vtx->vmx_fn = fn;
	vtx->vmx_opaque = fn ? opaque : NULL;
}

bool vtx_vmx_last_failure(const vtx_t *vtx, char *buf, size_t len)
{
	if (!vtx || !vtx->cpu->vmx->last_fail.text[0])
		return false;
	if (buf && len)
		snprintf(buf, len, "%s", vtx->cpu->vmx->last_fail.text);
	return true;
}

enum vtx_status vtx_set_trace(vtx_t *vtx, uint64_t first, uint64_t count, vtx_trace_fn *fn,
                              void *opaque)
{
	if (!vtx)
		return VTX_ERR_INVALID_ARG;
	vtx->cpu->trace_on = false;
	if (!fn) {
		vtx_tracer_free(vtx->tracer);
		vtx->tracer = NULL;
		vtx->cpu->trace_fn = NULL;
		vtx->cpu->trace_opaque = NULL;
		vtx->cpu->trace_ev_fn = NULL;
		return VTX_OK;
	}
	if (!vtx->tracer) {
		vtx->tracer = vtx_tracer_new(vtx->cpu);
		if (!vtx->tracer)
			return VTX_ERR_NOMEM;
	}
	vtx_tracer_set_output(vtx->tracer, fn, opaque);
	vtx->trace_first = first;
	vtx->trace_end = count > UINT64_MAX - first ? UINT64_MAX : first + count;
	vtx->cpu->trace_fn = vtx_tracer_hook;
	vtx->cpu->trace_opaque = vtx->tracer;
	vtx->cpu->trace_ev_fn = vtx_tracer_event;
	return VTX_OK;
}

bool vtx_unimplemented(const vtx_t *vtx, char *mnemonic, size_t len, uint64_t *linear)
{
	if (!vtx || !vtx->cpu->unimpl_mnemonic[0])
		return false;
	if (mnemonic && len)
		snprintf(mnemonic, len, "%s", vtx->cpu->unimpl_mnemonic);
	if (linear)
		*linear = vtx->cpu->unimpl_cs_base + vtx->cpu->unimpl_rip;
	return true;
}

bool vtx_shutdown_info(const vtx_t *vtx, uint16_t *cs, uint64_t *rip, uint8_t *vector)
{
	if (!vtx || !vtx->stopped || vtx->last_stop != VTX_STOP_SHUTDOWN)
		return false;
	if (cs)
		*cs = vtx->cpu->seg[SEG_CS].sel;
	if (rip)
		*rip = vtx->cpu->rip;
	if (vector)
		*vector = vtx->cpu->fault.vector;
	return true;
}

const char *vtx_cpu_profile_name(size_t i)
{
	return i < vmx_profile_count ? vmx_profiles[i].name : NULL;
}

static enum vtx_status profile_error(enum vtx_status st, char *err, size_t errlen,
                                     const char *fmt, const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, arg);
	return st;
}

enum vtx_status vtx_set_cpu_profile(vtx_t *vtx, const char *name_or_path, char *err,
                                    size_t errlen)
{
	const struct vmx_profile *builtin;
	struct vmx_profile *loaded;
	char names[128] = "";
	bool readable;
	FILE *f;

	if (!vtx || !name_or_path)
		return profile_error(VTX_ERR_INVALID_ARG, err, errlen, "%s", "no machine or profile");
	/* The capabilities cannot change under a running hypervisor. */
	if (vtx->cpu->vmx->op != VMX_OUTSIDE)
		return profile_error(VTX_ERR_INVALID_ARG, err, errlen, "%s",
		                     "cannot change the CPU profile in VMX operation");
	builtin = vmx_profile_find(name_or_path);
	if (builtin) {
		vmx_set_profile(vtx->cpu->vmx, builtin);
		free(vtx->profile);
		vtx->profile = NULL;
		return VTX_OK;
	}
	/* Not a built-in name: a file.  A bare word that names no file is
	 * reported as an unknown name. */
	f = fopen(name_or_path, "r");
	if (!f && !strchr(name_or_path, '/')) {
		for (size_t i = 0; i < vmx_profile_count; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			         i ? ", " : "", vmx_profiles[i].name);
		if (err && errlen)
			snprintf(err, errlen, "unknown CPU profile '%s' (built-in: %s; or a file)",
			         name_or_path, names);
		return VTX_ERR_INVALID_ARG;
	}
	readable = f != NULL;
	if (f)
		fclose(f);
	loaded = malloc(sizeof(*loaded));
	if (!loaded)
		return profile_error(VTX_ERR_NOMEM, err, errlen, "%s", "out of host memory");
	if (!vmx_profile_load(name_or_path, loaded, err, errlen)) {
		free(loaded);
		return readable ? VTX_ERR_INVALID_ARG : VTX_ERR_FILE;
	}
	vmx_set_profile(vtx->cpu->vmx, loaded);
	free(vtx->profile);
	vtx->profile = loaded;
	return VTX_OK;
}

enum vtx_status vtx_set_feature_control(vtx_t *vtx, uint64_t value)
{
	uint64_t ok = FEATURE_CONTROL_LOCK;

	if (!vtx)
		return VTX_ERR_INVALID_ARG;
	/* The bits a WRMSR could set (msr.c, spec §3). */
	if (cpuid_has(vtx->cpu, FEAT_VMX))
		ok |= FEATURE_CONTROL_VMX_OUTSIDE;
	if (value & ~ok)
		return VTX_ERR_INVALID_ARG;
	vtx->fc_set = true;
	vtx->fc_value = value;
	return VTX_OK;
}
