/* Hardware task switching (SDM Vol. 3A chapter 7): far JMP and far CALL to
 * a TSS descriptor or task gate, IRET with NT = 1, and events delivered
 * through a task gate in the IDT.  Legacy protected mode only: IA-32e mode
 * has no task switching (§7.7), and its callers keep raising #GP there.
 *
 * Every check the SDM performs "in the context of the old task" (Table 7-1
 * down to the TSS limit, and every read of the new TSS) happens before
 * anything is committed, so such a fault leaves the old task untouched.
 * After the commit point (TR loaded with the new TSS) a fault is returned
 * with CS:EIP, EFLAGS and the registers of the new task already in place:
 * the exception is delivered in the context of the new task (§7.3 step 14).
 * Implemented in task.c. */
#ifndef SOFTVTX_CPU_TASK_H
#define SOFTVTX_CPU_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu.h"

/* Far JMP (call = false) or far CALL (call = true) to the TSS descriptor
 * or task gate `sel`, whose 8-byte descriptor `desc` the caller has read.
 * `next_eip` is the EIP saved in the old TSS (the instruction after the
 * JMP or CALL).  Returns X_JUMP when the new task is running. */
int task_far(struct cpu *cpu, uint16_t sel, uint64_t desc, bool call,
             uint64_t next_eip) WARN_UNUSED;

/* IRET with EFLAGS.NT = 1 in legacy protected mode (Vol. 2 "IRET",
 * TASK-RETURN): back to the task named by the current TSS's previous task
 * link.  Returns X_JUMP when the old task runs again. */
int task_iret(struct cpu *cpu, uint64_t next_eip) WARN_UNUSED;

/* An interrupt or exception through the task gate whose TSS selector is
 * `tss_sel` (Vol. 2 "INT n", TASK-GATE).  `ext` is the EXT bit of error
 * codes raised on the way; `ret_eip` and `eflags` are what the old TSS
 * saves; an error code, when the exception has one, is pushed on the new
 * task's stack.  Returns X_OK when delivered. */
int task_gate_event(struct cpu *cpu, uint16_t tss_sel, uint32_t ext, uint64_t ret_eip,
                    uint64_t eflags, bool has_error, uint32_t error) WARN_UNUSED;

#endif
