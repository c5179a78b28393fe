/* VMX state: lifecycle, the profile in force, and the event hook that
 * traces and statistics hang off. */
#include "vmx.h"

#include <stdlib.h>
#include <string.h>

#include "../cpu/cpu.h"
#include "profile.h"

struct vmx *vmx_new(struct cpu *cpu)
{
	struct vmx *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->cpu = cpu;
	v->profile = &vmx_profiles[0];
	vmx_reset(v);
	return v;
}

void vmx_free(struct vmx *v)
{
	free(v);
}

void vmx_reset(struct vmx *v)
{
	v->op = VMX_OUTSIDE;
	v->vmxon_ptr = 0;
	v->current_vmcs = VMCS_NONE;
	v->current_launched = false;
	v->current_shadow = false;
	memset(&v->vmcs, 0, sizeof(v->vmcs));
	v->preempt_armed = false;
	v->nmi_blocked_virtual = false;
	v->pending_exit_reason = 0;
	v->pending_exit_qual = 0;
	memset(&v->last_fail, 0, sizeof(v->last_fail));
}

void vmx_set_profile(struct vmx *v, const struct vmx_profile *p)
{
	v->profile = p;
}

void vmx_emit(struct vmx *v, const struct vmx_event *ev)
{
	/* Entry failures that exit (33, 34) count as exits too. */
	if ((ev->kind == VMX_EV_EXIT || (ev->kind == VMX_EV_ENTRY_FAIL && ev->reason)) &&
	    (ev->reason & 0xffff) < 96)
		v->exits_by_reason[ev->reason & 0xffff]++;
	if (ev->kind == VMX_EV_ENTRY)
		v->entries++;
	if (v->event_fn)
		v->event_fn(v->event_opaque, v->cpu, ev);
}
