/* The software TLB: fills and flushes.  The lookup itself is inline in
 * access.h; see mmu.h for what an entry promises. */
#include "mmu.h"

#include "../mem/bus.h"
#include "../vmx/ept.h"
#include "../vmx/vmx.h"
#include "debug.h"
#include "icache.h"

void tlb_flush_all_contexts(struct cpu *cpu)
{
	for (unsigned m = 0; m < MMU_COUNT; m++)
		for (unsigned k = 0; k < TLB_KINDS; k++)
			for (unsigned i = 0; i < TLB_SIZE; i++)
				cpu->tlb[m][k][i].tag = TLB_INVALID;
	cpu->tlb_has_large = false;
	cpu->xlat_gen++;
	if (cpu->icache)
		icache_flush_jump_cache(cpu->icache);
}

/* In VMX non-root operation only the guest's context is flushed (SDM Vol.
 * 3C §28.3.3.1: MOV to CR3 and the like act on the current VPID), and
 * without touching the arrays: the context takes a fresh tag (ept.c). */
void tlb_flush_all(struct cpu *cpu)
{
	if (unlikely(cpu->vmx_nonroot))
		ept_context_flush(cpu);
	else
		tlb_flush_all_contexts(cpu);
}

/* INVLPG (SDM Vol. 3A §4.10.4.1).  Entries made from a large page are
 * split into 4K pieces here, so a page-granular flush would miss the other
 * pieces of that large page: flush everything then (always permitted). */
void tlb_flush_page(struct cpu *cpu, uint64_t gla)
{
	uint64_t tag = tlb_tag(cpu, gla);
	unsigned i = tlb_index(gla);

	if (cpu->tlb_has_large) {
		tlb_flush_all(cpu);
		return;
	}
	if (unlikely(cpu->vmx_nonroot))
		ept_context_flush_page(cpu);
	for (unsigned m = 0; m < MMU_COUNT; m++)
		for (unsigned k = 0; k < TLB_KINDS; k++)
			if (cpu->tlb[m][k][i].tag == tag)
				cpu->tlb[m][k][i].tag = TLB_INVALID;
	cpu->xlat_gen++;
	if (cpu->icache)
		icache_flush_jump_cache(cpu->icache);
}

/* SDM Vol. 3A §6.15 (#AC): alignment checking applies to data accesses at
 * CPL 3 when CR0.AM and RFLAGS.AC are both set.  While it is armed, user
 * read and write entries are not kept, so every user data access takes the
 * slow path, where access.c checks alignment; the fast path pays nothing. */
void cpu_update_ac(struct cpu *cpu)
{
	bool on = (cpu->cr0 & CR0_AM) && (cpu->rflags & RFLAGS_AC) && cpu->cpl == 3;

	if (on && !cpu->ac_check) {
		for (unsigned i = 0; i < TLB_SIZE; i++) {
			cpu->tlb[MMU_USER][TLB_READ][i].tag = TLB_INVALID;
			cpu->tlb[MMU_USER][TLB_WRITE][i].tag = TLB_INVALID;
		}
	}
	cpu->ac_check = on;
}

void tlb_drop_writes_to(struct cpu *cpu, uint64_t gpa)
{
	uint64_t page = gpa & PAGE_MASK;

	for (unsigned m = 0; m < MMU_COUNT; m++)
		for (unsigned i = 0; i < TLB_SIZE; i++) {
			struct tlb_entry *e = &cpu->tlb[m][TLB_WRITE][i];

			if (e->tag != TLB_INVALID && e->gpa == page)
				e->tag = TLB_INVALID;
		}
}

/* The entry's page and e->gpa are bus (host-physical) addresses: under EPT
 * the translation goes through it (mmu_translate_host), and EPT's rights
 * are settled here like the guest's -- an entry of one access kind is
 * made only after EPT allowed that kind, so pages EPT will not let the
 * guest write or execute never enter the write or exec arrays.  Its A and
 * D flags are set by the fill, as the guest's are.  The APIC-access page
 * never enters the TLB: every access to it is an APIC access (ept.c,
 * apicv.c). */
int tlb_fill(struct cpu *cpu, uint64_t gla, enum acc_kind kind, unsigned accf,
             uint8_t **host, uint64_t *gpa_out)
{
	uint64_t gpa;
	uint8_t *page;

	TRY(mmu_translate_host(cpu, gla, kind, accf, &gpa));
	if (unlikely(cpu->vmx_nonroot)) {
		TRY(ept_apic_access(cpu, gpa, kind, (accf & ACCF_NOFAULT) ? EPTF_NOFAULT : 0));
		/* What is left of the APIC-access page is decided by the
		 * access's size (access.c -> vmx_apic_read/_write). */
		if (vmx_apic_page(cpu, gpa)) {
			*gpa_out = gpa;
			*host = NULL;
			return X_OK;
		}
	}
	*gpa_out = gpa;
	page = bus_ram_page(cpu->bus, gpa);
	if (!page || (kind == ACC_WRITE && bus_page_has_code(cpu->bus, gpa))) {
		*host = NULL;
		return X_OK;
	}
	/* Pages under an armed data breakpoint (SDM Vol. 3B §17.3.1.2) stay
	 * out of the read and write arrays, so access.c sees every access to
	 * them; nothing is tested on a hit. */
	if (!(accf & ACCF_NOFAULT) &&
	    !(cpu->ac_check && kind != ACC_EXEC && (accf & ACCF_USER) && !(accf & ACCF_IMPLICIT)) &&
	    !(unlikely(cpu->dbg_data) && kind != ACC_EXEC && debug_page_watched(cpu, gla))) {
		unsigned m = (accf & ACCF_USER) && !(accf & ACCF_IMPLICIT) ? MMU_USER : MMU_SUPER;
		struct tlb_entry *e = &cpu->tlb[m][kind][tlb_index(gla)];

		e->tag = tlb_tag(cpu, gla);
		e->addend = (uintptr_t)page - (uintptr_t)(gla & ~0xfffull);
		e->gpa = gpa & PAGE_MASK;
		if (unlikely(cpu->vmx_nonroot))
			ept_context_note_fill(cpu);
	}
	*host = page + (gla & 0xfff);
	return X_OK;
}
