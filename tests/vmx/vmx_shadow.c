/* VMREAD and VMWRITE in VMX non-root operation with VMCS shadowing
 * (shared/spec/vmx-instructions.md §12, VMREAD.2/VMWRITE.2; vm-exits.md
 * §2.2; SDM Vol. 3C §24.10, §25.1.3): with "VMCS shadowing" = 1 the
 * VMREAD/VMWRITE bitmaps decide, per field encoding bits 14:0, whether the
 * instruction exits (reasons 23/25) or works on the shadow VMCS named by
 * the VMCS link pointer; an encoding with bits 63:15 set always exits; a
 * link pointer of FFFFFFFF_FFFFFFFFH gives VMfailInvalid in the guest. */
#include "vmcs_good.h"

static uint8_t shadow[4096] __attribute__((aligned(4096)));
static uint8_t rd_bitmap[4096] __attribute__((aligned(4096)));
static uint8_t wr_bitmap[4096] __attribute__((aligned(4096)));
uint64_t sh_out[2];

/* Guests: field encoding in RAX (set by the asm), result to sh_out. */
void g_read_rip(void), g_read_big(void), g_write_rsp(void), g_read_flags(void), g_read_at(void);
asm(".text\n"
    "g_read_rip:\n\tmov $0x681E, %eax\n\tvmread %rax, %rbx\n\tmov %rbx, sh_out(%rip)\n\tvmcall\n\thlt\n"
    "g_read_big:\n\tmovabs $0x10000681E, %rax\n" "g_read_at:\n\tvmread %rax, %rbx\n\tvmcall\n\thlt\n"
    "g_write_rsp:\n\tmov $0x681C, %eax\n\tmov $0x5678, %ebx\n\tvmwrite %rbx, %rax\n\tvmcall\n\thlt\n"
    "g_read_flags:\n\tmov $0x681E, %eax\n\tvmread %rax, %rbx\n\tpushfq\n\tpop %rcx\n"
    "\tmov %rcx, sh_out+8(%rip)\n\tvmcall\n\thlt\n");

static uint64_t shadow_pa(void) { return (uintptr_t)shadow; }

/* A shadow VMCS (revision | bit 31) holding GUEST_RIP = 0x1234, cleared. */
static void make_shadow(void)
{
	uint64_t pa = shadow_pa(), cur = 0;
	vmptrst_flags(&cur, 0);
	*(uint32_t *)shadow = caps.revision | 1u << 31;
	vmclear_flags(&pa, 0);
	vmptrld_flags(&pa, 0);
	vmw(VMCS_GUEST_RIP, 0x1234);
	vmw(VMCS_GUEST_RSP, 0);
	vmclear_flags(&pa, 0);
	vmptrld_flags(&cur, 0);
}

static void shadowing(void (*guest)(void))
{
	make_shadow();
	vmcs_good(GOOD_DEFAULT, guest);
	memset(rd_bitmap, 0, sizeof(rd_bitmap));
	memset(wr_bitmap, 0, sizeof(wr_bitmap));
	vmw_or(VMCS_PROC2_CONTROLS, PROC2_SHADOW);
	vmw(VMCS_VMREAD_BITMAP, (uintptr_t)rd_bitmap);
	vmw(VMCS_VMWRITE_BITMAP, (uintptr_t)wr_bitmap);
	vmw(VMCS_VMCS_LINK_POINTER, shadow_pa());
}

int main(void)
{
	tap_plan(9);
	vmx_test_init();
	if (!has_proc2(PROC2_SHADOW)) {
		for (int i = 0; i < 9; i++)
			tap_skip("no VMCS shadowing", "shadow %d", i);
		return tap_done();
	}
	struct entry_result r;

	/* Without shadowing VMREAD always exits (VMREAD.2). */
	vmcs_good(GOOD_DEFAULT, g_read_rip);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 23, "VMREAD in non-root without VMCS shadowing -> exit 23 (got 0x%x)", r.reason);

	/* Bitmap bit clear: VMREAD reads the shadow VMCS, no exit. */
	sh_out[0] = 0;
	shadowing(g_read_rip);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18 && sh_out[0] == 0x1234,
	       "VMREAD with its bitmap bit clear reads the shadow VMCS (exit 0x%x, value 0x%lx)", r.reason, sh_out[0]);

	/* Bitmap bit set for 0x681E: exit 23. */
	shadowing(g_read_rip);
	rd_bitmap[0x681E / 8] |= 1 << (0x681E % 8);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 23, "VMREAD with its bitmap bit set -> exit 23 (got 0x%x)", r.reason);

	/* Encoding bits 63:15 not zero: always exits. */
	shadowing(g_read_big);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 23 && vmr(VMCS_GUEST_RIP) == (uintptr_t)g_read_at,
	       "VMREAD of an encoding with bit 32 set -> exit 23 (got 0x%x)", r.reason);

	/* VMWRITE with its bit clear writes the shadow VMCS. */
	shadowing(g_write_rsp);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "VMWRITE with its bitmap bit clear does not exit (got 0x%x)", r.reason);
	uint64_t pa = shadow_pa(), cur = (uintptr_t)vmcs_region;
	vmclear_flags(&pa, 0);
	vmptrld_flags(&pa, 0);
	tap_check_u64(vmr(VMCS_GUEST_RSP), 0x5678, "the guest's VMWRITE landed in the shadow VMCS");
	vmptrld_flags(&cur, 0);

	shadowing(g_write_rsp);
	wr_bitmap[0x681C / 8] |= 1 << (0x681C % 8);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 25, "VMWRITE with its bitmap bit set -> exit 25 (got 0x%x)", r.reason);

	/* Link pointer FFFFFFFF_FFFFFFFFH: VMfailInvalid in the guest (VMREAD.4). */
	sh_out[1] = 0;
	shadowing(g_read_flags);
	vmw(VMCS_VMCS_LINK_POINTER, ~0ull);
	r = vmx_enter(false);
	tap_ok(r.exited && r.reason == 18, "VMREAD with shadowing and no link pointer completes in the guest (exit 0x%x)", r.reason);
	tap_check_u64(sh_out[1] & RFLAGS_ARITH, RFLAGS_CF, "... with VMfailInvalid (CF = 1, other arithmetic flags 0)");
	return tap_done();
}
