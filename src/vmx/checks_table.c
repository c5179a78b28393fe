/* The table of VM-entry check IDs and rules (checks.def) and the one
 * function that turns a failed check into a struct vmx_diag. */
#include "checks_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../cpu/cr.h"

#define VC_BASIC "performed by VMLAUNCH/VMRESUME before the entry checks (vmx-instructions.md)"
#define VC_NO_SMM "needs SMM and the dual-monitor treatment, which softvtx does not model: " \
                  "the condition never holds"

const struct vmentry_check_info vmentry_check_table[] = {
#define VMENTRY_CHECK(sym, id, rule, note) { id, rule, note },
#include "checks.def"
#undef VMENTRY_CHECK
};
const size_t vmentry_check_count = sizeof(vmentry_check_table) / sizeof(vmentry_check_table[0]);

bool vc_fail(struct vmx_diag *d, enum vmentry_check c, const char *fmt, ...)
{
	const struct vmentry_check_info *ci = &vmentry_check_table[c];
	char values[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(values, sizeof(values), fmt, ap);
	va_end(ap);
	snprintf(d->id, sizeof(d->id), "%s", ci->id);
	snprintf(d->text, sizeof(d->text), "%s: %s (%s)", ci->id, ci->rule, values);
	return false;
}

const struct vmentry_check_info *vmentry_check_find(const char *id)
{
	for (size_t i = 0; i < vmentry_check_count; i++)
		if (strcmp(vmentry_check_table[i].id, id) == 0)
			return &vmentry_check_table[i];
	return NULL;
}

uint64_t vc_efer_valid(const struct cpu *cpu)
{
	return efer_supported(cpu);
}

bool vc_cpu64(const struct cpu *cpu)
{
	/* Only a processor with Intel 64 can allow "IA-32e mode guest"
	 * (SDM A.5); asking the profile avoids a CPUID walk per entry. */
	return vmx_cap_allows1(cpu->vmx->profile, MSR_IA32_VMX_ENTRY_CTLS, 9);
}
