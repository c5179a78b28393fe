/* Trace records; see vtx_trace.h and traces/FORMAT.md (version 1):
 *
 *   <n> <cycles> insn <cs>:<rip> <bytes> <disassembly>[ ; <reg>=<value>...]
 *   <n> <cycles> <event kind> key=value...
 *
 * The instruction bytes come from the decode-cache block the record lives
 * in (its guest-physical address), not from a fresh page walk, so tracing
 * charges no walk cycles and sets no A/D bits: a traced run and an
 * untraced run stay identical. */
#include "vtx_trace.h"

#include <capstone/capstone.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/icache.h"
#include "cpu/insn.h"
#include "mem/bus.h"

#define TRACE_LINE 512

struct vtx_tracer {
	struct cpu *cpu;
	csh cs[3];             /* 16-, 32- and 64-bit code */
	cs_insn *ci;
	vtx_trace_fn *fn;
	void *opaque;
	/* Where the previous traced instruction left CS:RIP: if the next
	 * traced one starts there, its CS is the one recorded (a far
	 * transfer changes CS after the instruction it belongs to). */
	uint64_t next_rip;
	uint16_t next_cs;
	bool have_next;
	char line[TRACE_LINE];
};

static const char *const gpr_name[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

struct vtx_tracer *vtx_tracer_new(struct cpu *cpu)
{
	static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
	struct vtx_tracer *t = calloc(1, sizeof(*t));
	int opened = 0;

	if (!t)
		return NULL;
	t->cpu = cpu;
	for (; opened < 3; opened++)
		if (cs_open(CS_ARCH_X86, modes[opened], &t->cs[opened]) != CS_ERR_OK)
			break;
	if (opened == 3)
		t->ci = cs_malloc(t->cs[0]);
	if (!t->ci) {
		while (opened--)
			cs_close(&t->cs[opened]);
		free(t);
		return NULL;
	}
	return t;
}

void vtx_tracer_free(struct vtx_tracer *t)
{
	if (!t)
		return;
	cs_free(t->ci, 1);
	for (int i = 0; i < 3; i++)
		cs_close(&t->cs[i]);
	free(t);
}

void vtx_tracer_set_output(struct vtx_tracer *t, vtx_trace_fn *fn, void *opaque)
{
	t->fn = fn;
	t->opaque = opaque;
	t->have_next = false;
}

/* Append with truncation; *pos never passes buflen - 1. */
static void put(char *buf, size_t buflen, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos + 1 >= buflen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, buflen - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n < buflen - *pos ? (size_t)n : buflen - *pos - 1;
}

size_t vtx_tracer_format(struct vtx_tracer *t, char *buf, size_t buflen, uint64_t index,
                         uint64_t cycles, uint16_t cs, uint64_t rip, unsigned code_size,
                         const uint8_t *bytes, unsigned len, const uint64_t *gpr_before,
                         const uint64_t *gpr_after)
{
	unsigned m = code_size == 8 ? 2 : code_size == 4 ? 1 : 0;
	const uint8_t *code = bytes;
	size_t pos = 0, left = len;
	uint64_t addr = rip;

	if (!buflen)
		return 0;
	buf[0] = 0;
	put(buf, buflen, &pos, "%llu %llu insn %04x:%0*llx ", (unsigned long long)index,
	    (unsigned long long)cycles, cs, m == 2 ? 16 : 8, (unsigned long long)rip);
	for (unsigned i = 0; i < len; i++)
		put(buf, buflen, &pos, "%02x", bytes[i]);
	if (cs_disasm_iter(t->cs[m], &code, &left, &addr, t->ci))
		put(buf, buflen, &pos, " %s%s%s", t->ci->mnemonic, t->ci->op_str[0] ? " " : "",
		    t->ci->op_str);
	else
		put(buf, buflen, &pos, " (bad)");
	if (gpr_before && gpr_after) {
		const char *sep = " ;";

		for (unsigned r = 0; r < 16; r++) {
			if (gpr_before[r] == gpr_after[r])
				continue;
			put(buf, buflen, &pos, "%s %s=%016llx", sep, gpr_name[r],
			    (unsigned long long)gpr_after[r]);
			sep = "";
		}
	}
	return pos;
}

/* The block that holds `in`: records sit in block->insn[] and the first
 * one has offset 0. */
static const struct block *block_of(const struct insn *in)
{
	while (in->off != 0)
		in--;
	return (const struct block *)((const char *)in - offsetof(struct block, insn));
}

/* The instruction's bytes through its block's guest-physical address.
 * Returns false when they are not in RAM (code fetched from elsewhere). */
static bool insn_bytes(const struct bus *bus, const struct block *b, const struct insn *in,
                       uint8_t *out)
{
	for (unsigned i = 0; i < in->len; i++) {
		unsigned off = in->off + i;
		uint64_t gpa = off < b->len1 ? b->gpa + off : b->gpa2 + (off - b->len1);

		if (gpa >= bus->ram_size)
			return false;
		out[i] = bus->ram[gpa];
	}
	return true;
}

void vtx_tracer_hook(void *opaque, const struct cpu *cpu, const struct insn *in, uint64_t rip,
                     const uint64_t *gpr_before)
{
	struct vtx_tracer *t = opaque;
	const struct block *b = block_of(in);
	uint8_t bytes[16];
	uint16_t cs = cpu->seg[SEG_CS].sel;
	size_t n;

	if (t->have_next && t->next_rip == rip)
		cs = t->next_cs;
	if (!insn_bytes(cpu->bus, b, in, bytes))
		memset(bytes, 0xff, sizeof(bytes));
	n = vtx_tracer_format(t, t->line, sizeof(t->line), cpu->icount - 1, cpu->cycles, cs, rip,
	                      b->key, bytes, in->len, gpr_before, cpu->gpr);
	t->next_rip = cpu->rip;
	t->next_cs = cpu->seg[SEG_CS].sel;
	t->have_next = true;
	if (t->fn)
		t->fn(t->opaque, t->line, n);
}

/* why="..." with '"' and '\' escaped, and control bytes as \xNN, so the
 * record stays one line that splits on the closing quote. */
static void put_quoted(char *buf, size_t buflen, size_t *pos, const char *key, const char *s)
{
	put(buf, buflen, pos, " %s=\"", key);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(buf, buflen, pos, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(buf, buflen, pos, "\\x%02x", c);
		else
			put(buf, buflen, pos, "%c", c);
	}
	put(buf, buflen, pos, "\"");
}

/* The exit-information fields present in ev->has (see vtx_vmx_event). */
static void put_exit_info(char *buf, size_t buflen, size_t *pos, const struct vtx_vmx_event *ev)
{
	if (ev->has & VTX_VMX_HAS_ILEN)
		put(buf, buflen, pos, " ilen=%" PRIu32, ev->ilen);
	if (ev->has & VTX_VMX_HAS_INSN_INFO)
		put(buf, buflen, pos, " info=0x%" PRIx32, ev->insn_info);
	if (ev->has & VTX_VMX_HAS_INTR)
		put(buf, buflen, pos, " intr=0x%" PRIx32, ev->intr_info);
	if (ev->has & VTX_VMX_HAS_INTR_ERROR)
		put(buf, buflen, pos, " intr-err=0x%" PRIx32, ev->intr_error);
	if (ev->has & VTX_VMX_HAS_IDT)
		put(buf, buflen, pos, " idt=0x%" PRIx32, ev->idt_info);
	if (ev->has & VTX_VMX_HAS_IDT_ERROR)
		put(buf, buflen, pos, " idt-err=0x%" PRIx32, ev->idt_error);
	if (ev->has & VTX_VMX_HAS_GPA)
		put(buf, buflen, pos, " gpa=0x%" PRIx64, ev->gpa);
	if (ev->has & VTX_VMX_HAS_GLA)
		put(buf, buflen, pos, " gla=0x%" PRIx64, ev->gla);
}

size_t vtx_tracer_format_vmx(char *buf, size_t buflen, const struct vtx_vmx_event *ev)
{
	size_t pos = 0;

	if (!buflen)
		return 0;
	buf[0] = 0;
	put(buf, buflen, &pos, "%" PRIu64 " %" PRIu64 " ", ev->icount, ev->cycles);
	switch (ev->kind) {
	case VTX_VMX_ENTRY:
		put(buf, buflen, &pos, "vmentry launch=%d rip=0x%" PRIx64, ev->launch, ev->rip);
		if (ev->has & VTX_VMX_HAS_INTR)
			put(buf, buflen, &pos, " inject=0x%" PRIx32, ev->intr_info);
		if (ev->has & VTX_VMX_HAS_INTR_ERROR)
			put(buf, buflen, &pos, " inject-err=0x%" PRIx32, ev->intr_error);
		break;
	case VTX_VMX_EXIT:
		put(buf, buflen, &pos, "vmexit reason=%" PRIu32 " name=%s qual=0x%" PRIx64
		    " rip=0x%" PRIx64, ev->reason, ev->reason_name, ev->qual, ev->rip);
		put_exit_info(buf, buflen, &pos, ev);
		break;
	case VTX_VMX_ENTRY_FAIL:
		if (ev->reason)
			put(buf, buflen, &pos, "vmentry-fail reason=0x%" PRIx32 " name=%s qual=0x%" PRIx64,
			    ev->reason, ev->reason_name, ev->qual);
		else
			put(buf, buflen, &pos, "vmentry-fail error=%" PRIu32, ev->error);
		put(buf, buflen, &pos, " check=%s", ev->check_id && *ev->check_id ? ev->check_id : "-");
		put_quoted(buf, buflen, &pos, "why", ev->explanation);
		break;
	case VTX_VMX_VMFAIL:
		put(buf, buflen, &pos, "vmfail error=%" PRIu32, ev->error);
		break;
	case VTX_VMX_ABORT:
		put(buf, buflen, &pos, "vmabort indicator=%" PRIu32, ev->error);
		break;
	}
	return pos;
}

size_t vtx_tracer_format_event(char *buf, size_t buflen, const struct cpu *cpu,
                               const struct cpu_tev *ev)
{
	static const char *const type_name[8] = {
		"external", "?", "nmi", "exception", "int", "int1", "softexc", "?",
	};
	size_t pos = 0;

	if (!buflen)
		return 0;
	buf[0] = 0;
	put(buf, buflen, &pos, "%" PRIu64 " %" PRIu64 " ", cpu->icount, cpu->cycles);
	switch (ev->kind) {
	case CPU_TEV_CR:
	case CPU_TEV_EFER:
		if (ev->kind == CPU_TEV_CR)
			put(buf, buflen, &pos, "cr%u", ev->cr);
		else
			put(buf, buflen, &pos, "efer");
		put(buf, buflen, &pos, " old=0x%" PRIx64 " new=0x%" PRIx64, ev->old, ev->val);
		break;
	case CPU_TEV_DELIVER:
		put(buf, buflen, &pos, "event vector=%u type=%s", ev->vector, type_name[ev->type & 7]);
		if (ev->has_error)
			put(buf, buflen, &pos, " err=0x%" PRIx32, ev->error);
		put(buf, buflen, &pos, " ret=0x%" PRIx64 " guest=%d", ev->ret_rip,
		    cpu->vmx_nonroot ? 1 : 0);
		if (ev->type == 3 && ev->vector == 14)
			put(buf, buflen, &pos, " cr2=0x%" PRIx64, cpu->cr2);
		break;
	}
	return pos;
}

void vtx_tracer_event(void *opaque, const struct cpu *cpu, const struct cpu_tev *ev)
{
	struct vtx_tracer *t = opaque;
	size_t n = vtx_tracer_format_event(t->line, sizeof(t->line), cpu, ev);

	if (t->fn)
		t->fn(t->opaque, t->line, n);
}

void vtx_tracer_emit(struct vtx_tracer *t, const char *line, size_t len)
{
	if (t && t->fn)
		t->fn(t->opaque, line, len);
}
