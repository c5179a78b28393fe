/* Instruction-trace formatting for vtx_set_trace: turns the run loop's
 * per-instruction hook into text lines.  Owns its own Capstone handles
 * (the decode cache stores only instruction ids).  Only reached while
 * cpu->trace_on is set, so an untraced run pays nothing for it. */
#ifndef SOFTVTX_VTX_TRACE_H
#define SOFTVTX_VTX_TRACE_H

#include "cpu/cpu.h"
#include "softvtx.h"

struct vtx_tracer;

/* NULL when Capstone cannot be opened or memory runs out. */
struct vtx_tracer *vtx_tracer_new(struct cpu *cpu);
void vtx_tracer_free(struct vtx_tracer *t);
void vtx_tracer_set_output(struct vtx_tracer *t, vtx_trace_fn *fn, void *opaque);

/* The cpu_trace_fn installed as cpu->trace_fn (opaque = the tracer). */
void vtx_tracer_hook(void *opaque, const struct cpu *cpu, const struct insn *in, uint64_t rip,
                     const uint64_t *gpr_before);

/* Format one line for the instruction `in` at cs:rip whose bytes are
 * bytes[0..in->len) (exposed for tests).  Returns the length written. */
size_t vtx_tracer_format(struct vtx_tracer *t, char *buf, size_t buflen, uint64_t index,
                         uint64_t cycles, uint16_t cs, uint64_t rip, unsigned code_size,
                         const uint8_t *bytes, unsigned len, const uint64_t *gpr_before,
                         const uint64_t *gpr_after);

/* VMX event records, in the same stream as the instructions (the keys
 * are listed in traces/FORMAT.md):
 *   <n> <cycles> vmentry launch=<0|1> rip=<guest rip> [inject=...]
 *   <n> <cycles> vmexit reason=<r> name=<NAME> qual=<q> rip=<guest rip> [ilen=...]
 *   <n> <cycles> vmentry-fail (reason=<r> name=<NAME> qual=<q>|error=<e>) check=<ID> why="..."
 *   <n> <cycles> vmfail error=<n>
 *   <n> <cycles> vmabort indicator=<n>
 * where n is the number of instructions retired so far.  Returns the
 * length written. */
size_t vtx_tracer_format_vmx(char *buf, size_t buflen, const struct vtx_vmx_event *ev);

/* CR0/CR3/CR4/EFER write and event-delivery records:
 *   <n> <cycles> cr0|cr3|cr4|efer old=<v> new=<v>
 *   <n> <cycles> event vector=<v> type=<t> [err=<e>] ret=<rip> guest=<0|1> [cr2=<a>]
 * Returns the length written. */
size_t vtx_tracer_format_event(char *buf, size_t buflen, const struct cpu *cpu,
                               const struct cpu_tev *ev);
/* The cpu_trace_ev_fn installed as cpu->trace_ev_fn (opaque = the tracer). */
void vtx_tracer_event(void *opaque, const struct cpu *cpu, const struct cpu_tev *ev);
/* Send a line to the trace output (no-op without one). */
void vtx_tracer_emit(struct vtx_tracer *t, const char *line, size_t len);

#endif
