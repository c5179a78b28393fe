/* Trace record formatting (src/vtx_trace.c) against traces/FORMAT.md:
 * every record is "<n> <cycles> <kind> key=value...", optional exit
 * information only when flagged valid, and why="..." escaped so that the
 * record stays one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "vtx_trace.h"

static char buf[512];

static void exit_record_keys(void **state)
{
	struct vtx_vmx_event ev = {
		.kind = VTX_VMX_EXIT, .icount = 12, .cycles = 345, .reason = 48,
		.reason_name = "EPT_VIOLATION", .qual = 0x181, .rip = 0x401000,
		.has = VTX_VMX_HAS_GPA | VTX_VMX_HAS_GLA, .gpa = 0xc0000010, .gla = 0x7000,
		/* not flagged valid: must not appear */
		.ilen = 3, .insn_info = 0x55,
	};
	size_t n;

	(void)state;
	n = vtx_tracer_format_vmx(buf, sizeof(buf), &ev);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "12 345 vmexit reason=48 name=EPT_VIOLATION qual=0x181 "
	                         "rip=0x401000 gpa=0xc0000010 gla=0x7000");
	ev.reason = 10;
	ev.reason_name = "CPUID";
	ev.qual = 0;
	ev.has = VTX_VMX_HAS_ILEN;
	vtx_tracer_format_vmx(buf, sizeof(buf), &ev);
	assert_string_equal(buf, "12 345 vmexit reason=10 name=CPUID qual=0x0 rip=0x401000 ilen=3");
	/* The documented order: ilen info intr intr-err idt idt-err. */
	ev.reason = 0;
	ev.reason_name = "EXCEPTION_NMI";
	ev.has = VTX_VMX_HAS_INTR | VTX_VMX_HAS_INTR_ERROR | VTX_VMX_HAS_IDT | VTX_VMX_HAS_ILEN;
	ev.intr_info = 0x80000b0e;
	ev.intr_error = 2;
	ev.idt_info = 0x80000431;
	ev.ilen = 2;
	vtx_tracer_format_vmx(buf, sizeof(buf), &ev);
	assert_string_equal(buf, "12 345 vmexit reason=0 name=EXCEPTION_NMI qual=0x0 rip=0x401000 "
	                         "ilen=2 intr=0x80000b0e intr-err=0x2 idt=0x80000431");
}

static void entry_records(void **state)
{
	struct vtx_vmx_event ev = {
		.kind = VTX_VMX_ENTRY, .icount = 7, .cycles = 9, .launch = 1, .rip = 0xfff0,
	};

	(void)state;
	vtx_tracer_format_vmx(buf, sizeof(buf), &ev);
	assert_string_equal(buf, "7 9 vmentry launch=1 rip=0xfff0");
	ev.launch = 0;
	ev.has = VTX_VMX_HAS_INTR | VTX_VMX_HAS_INTR_ERROR;
	ev.intr_info = 0x80000b0d;
	ev.intr_error = 0x10;
	vtx_tracer_format_vmx(buf, sizeof(buf), &ev);
	assert_string_equal(buf, "7 9 vmentry launch=0 rip=0xfff0 inject=0x80000b0d inject-err=0x10");
}

/* why="..." escapes '"', '\' and control bytes; check=- without an ID. */
static void entry_fail_quoting(void **state)
{
	struct vtx_vmx_event ev = {
		.kind = VTX_VMX_ENTRY_FAIL, .icount = 1, .cycles = 2, .reason = 0x80000021,
		.reason_name = "INVALID_STATE", .check_id = "GUEST-12",
		.explanation = "GUEST-12: a \"b\" c\\d\ne",
	};

	(void)state;
	vtx_tracer_format_vmx(buf, sizeof(buf), &ev);
	assert_string_equal(buf, "1 2 vmentry-fail reason=0x80000021 name=INVALID_STATE qual=0x0 "
	                         "check=GUEST-12 why=\"GUEST-12: a \\\"b\\\" c\\\\d\\x0ae\"");
	ev.reason = 0;
	ev.error = 7;
	ev.check_id = NULL;
	ev.explanation = NULL;
	vtx_tracer_format_vmx(buf, sizeof(buf), &ev);
	assert_string_equal(buf, "1 2 vmentry-fail error=7 check=- why=\"\"");
	assert_null(strchr(buf, '\n'));
}

/* A record longer than the buffer is cut, NUL-terminated, never overrun. */
static void truncation(void **state)
{
	char small[24];
	struct vtx_vmx_event ev = {
		.kind = VTX_VMX_EXIT, .icount = 123456789, .cycles = 987654321, .reason = 10,
		.reason_name = "CPUID", .rip = 0x1234,
	};
	size_t n;

	(void)state;
	memset(small, 'x', sizeof(small));
	n = vtx_tracer_format_vmx(small, sizeof(small), &ev);
	assert_int_equal(n, sizeof(small) - 1);
	assert_int_equal(small[sizeof(small) - 1], 0);
}

static void cpu_event_records(void **state)
{
	struct cpu *cpu = calloc(1, sizeof(*cpu));
	struct cpu_tev cr = { .kind = CPU_TEV_CR, .cr = 4, .old = 0x20, .val = 0x2020 };
	struct cpu_tev efer = { .kind = CPU_TEV_EFER, .old = 0x100, .val = 0x500 };
	struct cpu_tev pf = { .kind = CPU_TEV_DELIVER, .vector = 14, .type = 3, .has_error = true,
	                      .error = 2, .ret_rip = 0x10324a };
	struct cpu_tev irq = { .kind = CPU_TEV_DELIVER, .vector = 0x20, .type = 0,
	                       .ret_rip = 0x4000 };
	struct cpu_tev nmi = { .kind = CPU_TEV_DELIVER, .vector = 2, .type = 2, .ret_rip = 0x5 };
	struct cpu_tev soft = { .kind = CPU_TEV_DELIVER, .vector = 0x80, .type = 4, .ret_rip = 0x6 };

	(void)state;
	assert_non_null(cpu);
	cpu->icount = 100;
	cpu->cycles = 2000;
	cpu->cr2 = 0x7ff000;
	vtx_tracer_format_event(buf, sizeof(buf), cpu, &cr);
	assert_string_equal(buf, "100 2000 cr4 old=0x20 new=0x2020");
	vtx_tracer_format_event(buf, sizeof(buf), cpu, &efer);
	assert_string_equal(buf, "100 2000 efer old=0x100 new=0x500");
	vtx_tracer_format_event(buf, sizeof(buf), cpu, &pf);
	assert_string_equal(buf, "100 2000 event vector=14 type=exception err=0x2 ret=0x10324a "
	                         "guest=0 cr2=0x7ff000");
	cpu->vmx_nonroot = true;
	vtx_tracer_format_event(buf, sizeof(buf), cpu, &irq);
	assert_string_equal(buf, "100 2000 event vector=32 type=external ret=0x4000 guest=1");
	vtx_tracer_format_event(buf, sizeof(buf), cpu, &nmi);
	assert_string_equal(buf, "100 2000 event vector=2 type=nmi ret=0x5 guest=1");
	vtx_tracer_format_event(buf, sizeof(buf), cpu, &soft);
	assert_string_equal(buf, "100 2000 event vector=128 type=int ret=0x6 guest=1");
	free(cpu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_record_keys),
		cmocka_unit_test(entry_records),
		cmocka_unit_test(entry_fail_quoting),
		cmocka_unit_test(truncation),
		cmocka_unit_test(cpu_event_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
