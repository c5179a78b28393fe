/* The VMX instructions (src/vmx/insn.c) one at a time on the fakebus
 * machine in 64-bit mode: every VMfail path with its error number and the
 * exact RFLAGS of shared/spec/vmx-instructions.md §2, the #UD and #GP
 * cases in the order of §4.2, VMPTRST, VMREAD/VMWRITE widths, the VMCS
 * region round trip, and the VM exits of non-root operation with their
 * qualification and instruction information (vm-exits.md §3.6, §5).
 *
 * Each case decodes real bytes and runs the handler the op table gives
 * (the central checks are the row flags, which the VMX rows leave empty
 * apart from F_ENDBLK). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <capstone/capstone.h>

#include "cpu/cpuid.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/mmu.h"
#include "cpu/msr.h"
#include "cpu/ops.h"
#include "fakebus.h"
#include "vmx/exit.h"
#include "vmx/profile.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

/* Guest-physical layout of the regions (2 MiB identity pages). */
#define VMXON_PA  0x400000ull
#define VMCS_A    0x401000ull
#define VMCS_B    0x402000ull
#define VMCS_SH   0x403000ull   /* a shadow VMCS */
#define BITMAPS   0x404000ull   /* VMREAD bitmap; VMWRITE bitmap at +0x1000 */
#define EPTP_LIST 0x406000ull
#define PTR       TM_DATA       /* where the memory operands live */
#define SKX_REV   0x2Bu         /* IA32_VMX_BASIC[30:0] of the profile (§9.1) */
#define ALL_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

/* Instruction bytes (vmx-instructions.md §4); memory operands are [rax]
 * unless stated. */
static const uint8_t VMXON_RAX[] = { 0xf3, 0x0f, 0xc7, 0x30 };
static const uint8_t VMXOFF[] = { 0x0f, 0x01, 0xc4 };
static const uint8_t VMCLEAR_RAX[] = { 0x66, 0x0f, 0xc7, 0x30 };
static const uint8_t VMPTRLD_RAX[] = { 0x0f, 0xc7, 0x30 };
static const uint8_t VMPTRST_RAX[] = { 0x0f, 0xc7, 0x38 };
static const uint8_t VMREAD_RAX_RBX[] = { 0x0f, 0x78, 0xd8 };    /* rax <- field[rbx] */
static const uint8_t VMREAD_MRCX_RBX[] = { 0x0f, 0x78, 0x19 };   /* [rcx] <- field[rbx] */
static const uint8_t VMWRITE_RBX_RAX[] = { 0x0f, 0x79, 0xd8 };   /* field[rbx] <- rax */
static const uint8_t VMWRITE_RBX_MRCX[] = { 0x0f, 0x79, 0x19 };  /* field[rbx] <- [rcx] */
static const uint8_t VMLAUNCH[] = { 0x0f, 0x01, 0xc2 };
static const uint8_t VMRESUME[] = { 0x0f, 0x01, 0xc3 };
static const uint8_t VMCALL[] = { 0x0f, 0x01, 0xc1 };
static const uint8_t VMFUNC[] = { 0x0f, 0x01, 0xd4 };
static const uint8_t INVEPT_RDX_MRAX[] = { 0x66, 0x0f, 0x38, 0x80, 0x10 };  /* type rdx, [rax] */
static const uint8_t INVVPID_RDX_MRAX[] = { 0x66, 0x0f, 0x38, 0x81, 0x10 };
#define RUN(tm, bytes, preset) run1((tm), (bytes), sizeof(bytes), (preset))

static int run1(struct tm *tm, const uint8_t *bytes, size_t n, uint64_t preset)
{
	struct cpu *cpu = tm->cpu;
	struct decoder *d = decode_new();
	struct insn in;
	int st;

	assert_non_null(d);
	assert_int_equal(decode_one(d, bytes, n, cpu->code_size, &in), DEC_OK);
	flags_write(cpu, preset | RFLAGS_FIXED1);
	st = in.fn(cpu, &in);
	decode_free(d);
	return st;
}

static void assert_fault(struct cpu *cpu, int st, unsigned vec)
{
	assert_int_equal(st, X_FAULT);
	assert_int_equal(cpu->fault.vector, vec);
	if (vec == EXC_GP)
		assert_int_equal(cpu->fault.error, 0);
}

/* §2: exactly these arithmetic flags, and the other bits untouched (the
 * preset always carries DF). */
static void assert_flags(struct cpu *cpu, int st, uint32_t arith)
{
	uint64_t f = flags_read(cpu);

	assert_int_equal(st, X_OK);
	assert_int_equal(f & ALL_ARITH, arith);
	assert_true(f & RFLAGS_DF);
}
#define PRESET (ALL_ARITH | RFLAGS_DF)

static void assert_succeed(struct cpu *cpu, int st)
{
	assert_flags(cpu, st, 0);
}

static void assert_fail_invalid(struct cpu *cpu, int st)
{
	assert_flags(cpu, st, RFLAGS_CF);
}

static void assert_fail_valid(struct cpu *cpu, int st, unsigned error)
{
	assert_flags(cpu, st, RFLAGS_ZF);
	assert_int_equal(VMCS_GET(cpu->vmx, VM_INSTRUCTION_ERROR), error);
}

static void set_cpl3(struct cpu *cpu)
{
	cpu->seg[SEG_CS].attr |= SEG_DPL_MASK;
	cpu->seg[SEG_SS].attr |= SEG_DPL_MASK;
	cpu_update_mode(cpu);
	assert_int_equal(cpu->cpl, 3);
}

static void set_cpl0(struct cpu *cpu)
{
	cpu->seg[SEG_CS].attr &= ~SEG_DPL_MASK;
	cpu->seg[SEG_SS].attr &= ~SEG_DPL_MASK;
	cpu_update_mode(cpu);
}

/* A 64-bit machine ready for VMXON (CR4.VMXE, IA32_FEATURE_CONTROL locked
 * with VMX outside SMX, CR0 meeting FIXED0 = PE|NE|PG) with the regions'
 * revision identifiers written. */
static struct tm *machine(void)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;

	assert_true(cpuid_has(cpu, FEAT_VMX));
	cpu->cr4 |= CR4_VMXE;
	cpu->feature_control = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE;
	tm_write(tm, VMXON_PA, 4, SKX_REV);
	tm_write(tm, VMCS_A, 4, SKX_REV);
	tm_write(tm, VMCS_B, 4, SKX_REV);
	tm_write(tm, VMCS_SH, 4, SKX_REV | 0x80000000u);
	cpu->gpr[R_RAX] = PTR;
	return tm;
}

static int with_ptr(struct tm *tm, const uint8_t *bytes, size_t n, uint64_t pa)
{
	tm_write(tm, PTR, 8, pa);
	tm->cpu->gpr[R_RAX] = PTR;
	return run1(tm, bytes, n, PRESET);
}
#define WITH_PTR(tm, bytes, pa) with_ptr((tm), (bytes), sizeof(bytes), (pa))

static struct tm *in_root(void)
{
	struct tm *tm = machine();

	assert_succeed(tm->cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA));
	assert_int_equal(tm->cpu->vmx->op, VMX_ROOT);
	return tm;
}

static struct tm *with_vmcs(uint64_t pa)
{
	struct tm *tm = in_root();

	assert_succeed(tm->cpu, WITH_PTR(tm, VMCLEAR_RAX, pa));
	assert_succeed(tm->cpu, WITH_PTR(tm, VMPTRLD_RAX, pa));
	return tm;
}

static int vmread(struct tm *tm, uint64_t enc, uint64_t *val)
{
	int st;

	tm->cpu->gpr[R_RBX] = enc;
	tm->cpu->gpr[R_RAX] = 0x5a5a5a5a5a5a5a5aull;
	st = RUN(tm, VMREAD_RAX_RBX, PRESET);
	*val = tm->cpu->gpr[R_RAX];
	return st;
}

static int vmwrite(struct tm *tm, uint64_t enc, uint64_t val)
{
	tm->cpu->gpr[R_RBX] = enc;
	tm->cpu->gpr[R_RAX] = val;
	return RUN(tm, VMWRITE_RBX_RAX, PRESET);
}

/* --- VMXON (§7) -------------------------------------------------------- */

static void vmxon_ud(void **state)
{
	struct tm *tm = machine();
	struct tm *real = tm_new(TM_REAL);

	(void)state;
	/* VMXON.1: CR4.VMXE = 0. */
	tm->cpu->cr4 &= ~CR4_VMXE;
	assert_fault(tm->cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA), EXC_UD);
	tm->cpu->cr4 |= CR4_VMXE;
	/* VMXON.1: compatibility mode. */
	tm->cpu->seg[SEG_CS].attr &= ~SEG_L;
	tm->cpu->seg[SEG_CS].attr |= SEG_DB;
	cpu_update_mode(tm->cpu);
	assert_int_equal(tm->cpu->mode, MODE_COMPAT);
	assert_fault(tm->cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA), EXC_UD);
	/* VMXON.1: real mode (CR0.PE = 0). */
	real->cpu->cr4 |= CR4_VMXE;
	assert_fault(real->cpu, RUN(real, VMXON_RAX, 0), EXC_UD);
	tm_free(real);
	tm_free(tm);
}

static void vmxon_gp(void **state)
{
	struct tm *tm = machine();
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* VMXON.5: CPL 3 outside VMX operation. */
	set_cpl3(cpu);
	assert_fault(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA), EXC_GP);
	set_cpl0(cpu);
	/* VMXON.7: CR0.NE = 0 (IA32_VMX_CR0_FIXED0 bit 5). */
	cpu->cr0 &= ~CR0_NE;
	assert_fault(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA), EXC_GP);
	cpu->cr0 |= CR0_NE;
	/* VMXON.8: a CR4 bit clear in IA32_VMX_CR4_FIXED1 (bit 12 of
	 * 0x003727FF is 0). */
	cpu->cr4 |= 1ull << 12;
	assert_fault(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA), EXC_GP);
	cpu->cr4 &= ~(1ull << 12);
	/* VMXON.9: not locked. */
	cpu->feature_control = FEATURE_CONTROL_VMX_OUTSIDE;
	assert_fault(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA), EXC_GP);
	/* VMXON.10: locked without VMX outside SMX. */
	cpu->feature_control = FEATURE_CONTROL_LOCK;
	assert_fault(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA), EXC_GP);
	cpu->feature_control = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE;
	/* VMXON.11: the operand read faults (non-canonical address). */
	cpu->gpr[R_RAX] = 0x8000000000000000ull;
	assert_fault(cpu, RUN(tm, VMXON_RAX, PRESET), EXC_GP);
	assert_int_equal(cpu->vmx->op, VMX_OUTSIDE);
	tm_free(tm);
}

static void vmxon_results(void **state)
{
	struct tm *tm = machine();
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* VMXON.12: not 4-KiB aligned; bit 40 set (MAXPHYADDR 40). */
	assert_fail_invalid(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA + 8));
	assert_fail_invalid(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA | (1ull << 40)));
	/* VMXON.13: wrong revision; shadow indicator set. */
	tm_write(tm, VMXON_PA, 4, SKX_REV + 1);
	assert_fail_invalid(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA));
	tm_write(tm, VMXON_PA, 4, SKX_REV | 0x80000000u);
	assert_fail_invalid(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA));
	assert_int_equal(cpu->vmx->op, VMX_OUTSIDE);
	/* VMXON.14 */
	tm_write(tm, VMXON_PA, 4, SKX_REV);
	assert_succeed(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA));
	assert_int_equal(cpu->vmx->op, VMX_ROOT);
	assert_int_equal(cpu->vmx->vmxon_ptr, VMXON_PA);
	assert_int_equal(cpu->vmx->current_vmcs, VMCS_NONE);
	/* VMXON.4 without a current VMCS: VMfailInvalid, and the operand is
	 * not read (a non-canonical address does not fault). */
	cpu->gpr[R_RAX] = 0x8000000000000000ull;
	assert_fail_invalid(cpu, RUN(tm, VMXON_RAX, PRESET));
	/* VMXON.3 */
	set_cpl3(cpu);
	assert_fault(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA), EXC_GP);
	tm_free(tm);
}

static void vmxon_in_root_valid(void **state)
{
	struct tm *tm = with_vmcs(VMCS_A);

	(void)state;
	/* VMXON.4 with a current VMCS: VMfailValid(15). */
	assert_fail_valid(tm->cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA), 15);
	tm_free(tm);
}

/* --- VMXOFF (§8) ------------------------------------------------------- */

static void vmxoff(void **state)
{
	struct tm *tm = machine();
	struct cpu *cpu = tm->cpu;
	uint64_t val;

	(void)state;
	/* VMXOFF.1: outside VMX operation. */
	assert_fault(cpu, RUN(tm, VMXOFF, PRESET), EXC_UD);
	tm_free(tm);
	tm = with_vmcs(VMCS_A);
	cpu = tm->cpu;
	assert_succeed(cpu, vmwrite(tm, VMCS_GUEST_RIP, 0x1234567));
	assert_succeed(cpu, vmread(tm, VMCS_GUEST_RIP, &val));
	assert_int_equal(val, 0x1234567);
	/* VMXOFF.3 */
	set_cpl3(cpu);
	assert_fault(cpu, RUN(tm, VMXOFF, PRESET), EXC_GP);
	set_cpl0(cpu);
	/* VMXOFF.5; the current VMCS went back to its region. */
	assert_succeed(cpu, RUN(tm, VMXOFF, PRESET));
	assert_int_equal(cpu->vmx->op, VMX_OUTSIDE);
	assert_int_equal(vmcs_region_get(cpu->vmx, VMCS_A, VMCS_IDX_GUEST_RIP), 0x1234567);
	/* Outside VMX operation again: #UD. */
	assert_fault(cpu, RUN(tm, VMPTRST_RAX, PRESET), EXC_UD);
	tm_free(tm);
}

/* --- VMCLEAR, VMPTRLD, VMPTRST (§9-§11) -------------------------------- */

static void vmclear(void **state)
{
	struct tm *tm = machine();
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* VMCLEAR.1: outside VMX operation. */
	assert_fault(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A), EXC_UD);
	tm_free(tm);
	tm = in_root();
	cpu = tm->cpu;
	/* VMCLEAR.3 */
	set_cpl3(cpu);
	assert_fault(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A), EXC_GP);
	set_cpl0(cpu);
	/* VMCLEAR.4 */
	cpu->gpr[R_RAX] = 0x8000000000000000ull;
	assert_fault(cpu, RUN(tm, VMCLEAR_RAX, PRESET), EXC_GP);
	/* VMCLEAR.5, VMCLEAR.6 without a current VMCS: VMfailInvalid. */
	assert_fail_invalid(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A + 0x10));
	assert_fail_invalid(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMXON_PA));
	/* With one: VMfailValid(2), VMfailValid(3). */
	assert_succeed(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A));
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A));
	assert_fail_valid(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A + 0x10), 2);
	assert_fail_valid(cpu, WITH_PTR(tm, VMCLEAR_RAX, 1ull << 40), 2);
	assert_fail_valid(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMXON_PA), 3);
	/* VMCLEAR.7 of the current VMCS: no current VMCS afterwards.  The
	 * revision identifier is not checked. */
	tm_write(tm, VMCS_B, 4, 0x77);
	assert_succeed(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_B));
	assert_int_equal(cpu->vmx->current_vmcs, VMCS_A);
	assert_succeed(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A));
	assert_int_equal(cpu->vmx->current_vmcs, VMCS_NONE);
	tm_free(tm);
}

static void vmptrld(void **state)
{
	struct tm *tm = in_root();
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* VMPTRLD.3 */
	set_cpl3(cpu);
	assert_fault(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A), EXC_GP);
	set_cpl0(cpu);
	/* VMPTRLD.5-7 without a current VMCS. */
	assert_fail_invalid(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A + 0x800));
	assert_fail_invalid(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMXON_PA));
	tm_write(tm, VMCS_B, 4, SKX_REV + 1);
	assert_fail_invalid(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_B));
	/* The errors go into the previously current VMCS. */
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A));
	assert_fail_valid(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A + 0x800), 9);
	assert_fail_valid(cpu, WITH_PTR(tm, VMPTRLD_RAX, 1ull << 45), 9);
	assert_fail_valid(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMXON_PA), 10);
	assert_fail_valid(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_B), 11);
	assert_int_equal(cpu->vmx->current_vmcs, VMCS_A);
	/* VMPTRLD.7: a shadow VMCS is accepted (SKX supports VMCS shadowing)
	 * and then cannot be launched (BASIC-5). */
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_SH));
	assert_true(cpu->vmx->current_shadow);
	assert_fail_invalid(cpu, RUN(tm, VMLAUNCH, PRESET));
	tm_free(tm);
}

static void vmptrld_shadow_unsupported(void **state)
{
	struct tm *tm = in_root();
	struct cpu *cpu = tm->cpu;
	struct vmx_profile p = *vmx_profile_find("skylake-x");

	(void)state;
	p.msr[MSR_IA32_VMX_PROCBASED_CTLS2 - VMX_MSR_FIRST] &= ~(1ull << (32 + 14));
	vmx_set_profile(cpu->vmx, &p);
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A));
	assert_fail_valid(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_SH), 11);
	tm_free(tm);
}

static void vmptrst(void **state)
{
	struct tm *tm = in_root();
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* VMPTRST.4 with no current VMCS stores FFFFFFFF_FFFFFFFFH. */
	tm_write(tm, TM_DATA + 0x100, 8, 0);
	cpu->gpr[R_RAX] = TM_DATA + 0x100;
	assert_succeed(cpu, RUN(tm, VMPTRST_RAX, PRESET));
	assert_int_equal(tm_read(tm, TM_DATA + 0x100, 8), ~0ull);
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_B));
	cpu->gpr[R_RAX] = TM_DATA + 0x100;
	assert_succeed(cpu, RUN(tm, VMPTRST_RAX, PRESET));
	assert_int_equal(tm_read(tm, TM_DATA + 0x100, 8), VMCS_B);
	/* VMPTRST.4: the store faults. */
	cpu->gpr[R_RAX] = 0x0000800000000000ull;
	assert_fault(cpu, RUN(tm, VMPTRST_RAX, PRESET), EXC_GP);
	/* VMPTRST.3 */
	set_cpl3(cpu);
	cpu->gpr[R_RAX] = TM_DATA + 0x100;
	assert_fault(cpu, RUN(tm, VMPTRST_RAX, PRESET), EXC_GP);
	tm_free(tm);
}

/* VMCLEAR writes the VMCS back; its bytes copied to another region and
 * loaded from there give the same fields. */
static void region_copy(void **state)
{
	struct tm *tm = with_vmcs(VMCS_A);
	struct cpu *cpu = tm->cpu;
	uint8_t buf[4096];
	uint64_t val;

	(void)state;
	assert_succeed(cpu, vmwrite(tm, VMCS_GUEST_RIP, 0xffffffff81000000ull));
	assert_succeed(cpu, vmwrite(tm, VMCS_GUEST_CS_SELECTOR, 0x10));
	assert_succeed(cpu, vmwrite(tm, VMCS_TSC_OFFSET, 0x123456789abcull));
	assert_succeed(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A));
	bus_read_bytes(tm->bus, VMCS_A, buf, sizeof(buf));
	bus_write_bytes(tm->bus, VMCS_B, buf, sizeof(buf));
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_B));
	assert_succeed(cpu, vmread(tm, VMCS_GUEST_RIP, &val));
	assert_int_equal(val, 0xffffffff81000000ull);
	assert_succeed(cpu, vmread(tm, VMCS_GUEST_CS_SELECTOR, &val));
	assert_int_equal(val, 0x10);
	assert_succeed(cpu, vmread(tm, VMCS_TSC_OFFSET, &val));
	assert_int_equal(val, 0x123456789abcull);
	/* VMPTRLD of another region writes the current one back first. */
	assert_succeed(cpu, vmwrite(tm, VMCS_GUEST_RSP, 0x7777));
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A));
	assert_int_equal(vmcs_region_get(cpu->vmx, VMCS_B, VMCS_IDX_GUEST_RSP), 0x7777);
	assert_succeed(cpu, vmread(tm, VMCS_GUEST_RSP, &val));
	assert_int_equal(val, 0);
	tm_free(tm);
}

/* --- VMREAD and VMWRITE (§12) ------------------------------------------ */

static void vmread_vmwrite(void **state)
{
	struct tm *tm = in_root();
	struct cpu *cpu = tm->cpu;
	struct vmx_profile p = *vmx_profile_find("skylake-x");
	uint64_t val;

	(void)state;
	/* VMREAD.4 / VMWRITE.4 */
	assert_fail_invalid(cpu, vmread(tm, VMCS_GUEST_RIP, &val));
	assert_int_equal(val, 0x5a5a5a5a5a5a5a5aull);
	assert_fail_invalid(cpu, vmwrite(tm, VMCS_GUEST_RIP, 1));
	assert_succeed(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A));
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A));
	/* VMREAD.5 / VMWRITE.6: unsupported encodings. */
	assert_fail_valid(cpu, vmread(tm, 0x2030, &val), 12);          /* SPPTP: not SKX */
	assert_fail_valid(cpu, vmread(tm, 0x10000681Eull, &val), 12);  /* bit 32 */
	assert_fail_valid(cpu, vmread(tm, 0x681F, &val), 12);          /* high of natural */
	assert_fail_valid(cpu, vmwrite(tm, 0x6828, 0), 12);            /* CET: not SKX */
	assert_fail_valid(cpu, vmwrite(tm, 0x681E | 0x1000, 0), 12);
	/* §12.3 widths through the instructions. */
	assert_succeed(cpu, vmwrite(tm, VMCS_GUEST_ES_SELECTOR, 0xabcdef));
	assert_succeed(cpu, vmread(tm, VMCS_GUEST_ES_SELECTOR, &val));
	assert_int_equal(val, 0xcdef);
	assert_succeed(cpu, vmwrite(tm, VMCS_TSC_OFFSET, 0x1111222233334444ull));
	assert_succeed(cpu, vmwrite(tm, VMCS_TSC_OFFSET + 1, 0x99998888ull));
	assert_succeed(cpu, vmread(tm, VMCS_TSC_OFFSET, &val));
	assert_int_equal(val, 0x9999888833334444ull);
	assert_succeed(cpu, vmread(tm, VMCS_TSC_OFFSET + 1, &val));
	assert_int_equal(val, 0x99998888ull);
	assert_succeed(cpu, vmwrite(tm, VMCS_GUEST_SS_AR_BYTES, 0xffffffffull));
	assert_succeed(cpu, vmread(tm, VMCS_GUEST_SS_AR_BYTES, &val));
	assert_int_equal(val, 0x1f0ff);
	/* Memory operands. */
	tm_write(tm, TM_DATA + 0x200, 8, 0xfedcba9876543210ull);
	cpu->gpr[R_RCX] = TM_DATA + 0x200;
	cpu->gpr[R_RBX] = VMCS_GUEST_RSP;
	assert_succeed(cpu, RUN(tm, VMWRITE_RBX_MRCX, PRESET));
	cpu->gpr[R_RCX] = TM_DATA + 0x300;
	assert_succeed(cpu, RUN(tm, VMREAD_MRCX_RBX, PRESET));
	assert_int_equal(tm_read(tm, TM_DATA + 0x300, 8), 0xfedcba9876543210ull);
	/* VMWRITE.5 before VMWRITE.6: a faulting source with a bad encoding
	 * faults. */
	cpu->gpr[R_RCX] = 0x0000800000000000ull;
	cpu->gpr[R_RBX] = 0x2030;
	assert_fault(cpu, RUN(tm, VMWRITE_RBX_MRCX, PRESET), EXC_GP);
	/* VMREAD.6: a faulting store leaves flags alone. */
	cpu->gpr[R_RBX] = VMCS_GUEST_RSP;
	assert_fault(cpu, RUN(tm, VMREAD_MRCX_RBX, PRESET), EXC_GP);
	assert_int_equal(flags_read(cpu) & ALL_ARITH, ALL_ARITH);
	/* VM-exit information fields: writable with MISC[29] (SKX), error 13
	 * without it. */
	assert_succeed(cpu, vmwrite(tm, VMCS_EXIT_QUALIFICATION, 5));
	p.msr[MSR_IA32_VMX_MISC - VMX_MSR_FIRST] &= ~(1ull << 29);
	vmx_set_profile(cpu->vmx, &p);
	assert_fail_valid(cpu, vmwrite(tm, VMCS_EXIT_QUALIFICATION, 5), 13);
	assert_fail_valid(cpu, vmwrite(tm, VMCS_VM_INSTRUCTION_ERROR, 0), 13);
	vmx_set_profile(cpu->vmx, vmx_profile_find("skylake-x"));
	/* VMREAD.3 / VMWRITE.3 */
	set_cpl3(cpu);
	assert_fault(cpu, vmread(tm, VMCS_GUEST_RIP, &val), EXC_GP);
	assert_fault(cpu, vmwrite(tm, VMCS_GUEST_RIP, 0), EXC_GP);
	tm_free(tm);
}

/* Outside 64-bit mode the operands are 32 bits (§4, §12.3): the encoding
 * register's bits 63:32 do not count, a VMWRITE of a 64-bit field clears
 * its high half, and VMREAD gives the low half.  32-bit protected mode
 * with 4-MiB pages (VMXON needs CR0.PG). */
static void vmread_vmwrite_32bit(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	uint64_t val;

	(void)state;
	for (uint64_t i = 0; i < 4; i++)
		tm_write(tm, 0x13000 + 4 * i, 4, (i << 22) | PTE_P | PTE_W | PTE_PS);
	cpu->cr3 = 0x13000;
	cpu->cr4 |= CR4_PSE | CR4_VMXE;
	cpu->cr0 |= CR0_PG;
	cpu_update_mode(cpu);
	tlb_flush_all(cpu);
	assert_int_equal(cpu->mode, MODE_PROT);
	cpu->feature_control = FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE;
	tm_write(tm, VMXON_PA, 4, SKX_REV);
	tm_write(tm, VMCS_A, 4, SKX_REV);
	assert_succeed(cpu, WITH_PTR(tm, VMXON_RAX, VMXON_PA));
	assert_succeed(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A));
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A));
	VMCS_SET(cpu->vmx, TSC_OFFSET, 0xaaaaaaaabbbbbbbbull);
	/* Encoding 0x1_00002010: only bits 31:0 are the encoding here. */
	assert_succeed(cpu, vmwrite(tm, 0x100002010ull, 0x9911223344ull));
	assert_int_equal(VMCS_GET(cpu->vmx, TSC_OFFSET), 0x11223344ull);
	assert_succeed(cpu, vmwrite(tm, VMCS_TSC_OFFSET + 1, 0x55));
	assert_int_equal(VMCS_GET(cpu->vmx, TSC_OFFSET), 0x0000005511223344ull);
	assert_succeed(cpu, vmread(tm, VMCS_TSC_OFFSET, &val));
	assert_int_equal((uint32_t)val, 0x11223344u);
	assert_succeed(cpu, vmread(tm, VMCS_TSC_OFFSET + 1, &val));
	assert_int_equal((uint32_t)val, 0x55u);
	/* A 4-byte memory destination: the byte after it is untouched. */
	tm_write(tm, TM_DATA + 0x300, 8, ~0ull);
	cpu->gpr[R_RCX] = TM_DATA + 0x300;
	cpu->gpr[R_RBX] = VMCS_TSC_OFFSET;
	assert_succeed(cpu, RUN(tm, VMREAD_MRCX_RBX, PRESET));
	assert_int_equal(tm_read(tm, TM_DATA + 0x300, 8), 0xffffffff11223344ull);
	tm_free(tm);
}

/* --- VMLAUNCH, VMRESUME (§14, BASIC-1..8) ------------------------------ */

static void vmlaunch_basic(void **state)
{
	struct tm *tm = machine();
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* BASIC-1 */
	assert_fault(cpu, RUN(tm, VMLAUNCH, PRESET), EXC_UD);
	assert_fault(cpu, RUN(tm, VMRESUME, PRESET), EXC_UD);
	tm_free(tm);
	tm = in_root();
	cpu = tm->cpu;
	/* BASIC-3 before BASIC-4 */
	set_cpl3(cpu);
	assert_fault(cpu, RUN(tm, VMLAUNCH, PRESET), EXC_GP);
	set_cpl0(cpu);
	/* BASIC-4 */
	assert_fail_invalid(cpu, RUN(tm, VMLAUNCH, PRESET));
	assert_fail_invalid(cpu, RUN(tm, VMRESUME, PRESET));
	assert_succeed(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A));
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A));
	/* BASIC-6: the instruction after MOV SS. */
	cpu->intr_shadow = 2;
	cpu->shadow_mov_ss = true;
	assert_fail_valid(cpu, RUN(tm, VMLAUNCH, PRESET), 26);
	/* An STI shadow is not MOV-SS blocking: BASIC-8 decides. */
	cpu->shadow_mov_ss = false;
	assert_fail_valid(cpu, RUN(tm, VMRESUME, PRESET | RFLAGS_IF), 5);
	cpu->intr_shadow = 0;
	/* BASIC-8 */
	assert_fail_valid(cpu, RUN(tm, VMRESUME, PRESET), 5);
	/* BASIC-7 */
	cpu->vmx->current_launched = true;
	assert_fail_valid(cpu, RUN(tm, VMLAUNCH, PRESET), 4);
	cpu->vmx->current_launched = false;
	/* Past BASIC-8 the entry checks run: an all-zero VMCS fails CTL-1
	 * (the pin-based default1 bits 1, 2, 4 must be 1) with
	 * VMfailValid(7). */
	assert_fail_valid(cpu, RUN(tm, VMLAUNCH, PRESET), 7);
	tm_free(tm);
}

/* BASIC-6 through the run loop: VMLAUNCH right after MOV SS is
 * VMfailValid(26), whatever IF is; one instruction later it reaches the
 * entry checks (VMfailValid(7) for an all-zero VMCS); after STI it is not
 * blocked. */
static void mov_ss_then_vmlaunch_if(bool if_set)
{
	static const uint8_t code[] = {
		0x66, 0xb8, 0x18, 0x00,   /* mov ax, 0x18 */
		0x8e, 0xd0,               /* mov ss, ax */
		0x0f, 0x01, 0xc2,         /* vmlaunch */
		0x90,                     /* nop */
		0x0f, 0x01, 0xc2,         /* vmlaunch */
		0xf4,                     /* hlt */
	};
	struct tm *tm = with_vmcs(VMCS_A);
	struct cpu *cpu = tm->cpu;

	tm_code(tm, code, sizeof(code));
	flags_write(cpu, RFLAGS_FIXED1 | (if_set ? RFLAGS_IF : 0));
	assert_int_equal(tm_run(tm, 3), STOP_BUDGET);
	assert_int_equal(flags_read(cpu) & ALL_ARITH, RFLAGS_ZF);
	assert_int_equal(VMCS_GET(cpu->vmx, VM_INSTRUCTION_ERROR), 26);
	assert_int_equal(cpu->rip, TM_CODE + 9);
	assert_int_equal(tm_run(tm, 2), STOP_BUDGET);
	assert_int_equal(flags_read(cpu) & ALL_ARITH, RFLAGS_ZF);
	assert_int_equal(VMCS_GET(cpu->vmx, VM_INSTRUCTION_ERROR), 7);
	tm_free(tm);
}

static void mov_ss_then_vmlaunch(void **state)
{
	(void)state;
	mov_ss_then_vmlaunch_if(false);
	mov_ss_then_vmlaunch_if(true);
}

/* STI (IF 0 -> 1) shadows the next instruction too, but that is not
 * blocking by MOV SS: VMLAUNCH goes on to the entry checks. */
static void sti_then_vmlaunch(void **state)
{
	static const uint8_t code[] = {
		0xfb,                     /* sti */
		0x0f, 0x01, 0xc2,         /* vmlaunch */
		0xf4,                     /* hlt */
	};
	struct tm *tm = with_vmcs(VMCS_A);
	struct cpu *cpu = tm->cpu;

	(void)state;
	tm_code(tm, code, sizeof(code));
	flags_write(cpu, RFLAGS_FIXED1);
	assert_int_equal(tm_run(tm, 2), STOP_BUDGET);
	assert_int_equal(flags_read(cpu) & ALL_ARITH, RFLAGS_ZF);
	assert_int_equal(VMCS_GET(cpu->vmx, VM_INSTRUCTION_ERROR), 7);
	tm_free(tm);
}

/* --- VMCALL (§13) ------------------------------------------------------ */

static void vmcall(void **state)
{
	struct tm *tm = machine();
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* VMCALL.1 */
	assert_fault(cpu, RUN(tm, VMCALL, PRESET), EXC_UD);
	tm_free(tm);
	tm = in_root();
	cpu = tm->cpu;
	/* VMCALL.5: VMfail(1). */
	assert_fail_invalid(cpu, RUN(tm, VMCALL, PRESET));
	assert_succeed(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_A));
	assert_succeed(cpu, WITH_PTR(tm, VMPTRLD_RAX, VMCS_A));
	assert_fail_valid(cpu, RUN(tm, VMCALL, PRESET), 1);
	/* VMCALL.4 */
	set_cpl3(cpu);
	assert_fault(cpu, RUN(tm, VMCALL, PRESET), EXC_GP);
	tm_free(tm);
}

/* --- INVEPT, INVVPID (§15, §16) ---------------------------------------- */

static int inv(struct tm *tm, const uint8_t *bytes, size_t n, uint64_t type, uint64_t lo,
               uint64_t hi)
{
	tm_write(tm, TM_DATA + 0x400, 8, lo);
	tm_write(tm, TM_DATA + 0x408, 8, hi);
	tm->cpu->gpr[R_RAX] = TM_DATA + 0x400;
	tm->cpu->gpr[R_RDX] = type;
	return run1(tm, bytes, n, PRESET);
}
#define INVEPT(tm, t, lo, hi) \
	inv((tm), INVEPT_RDX_MRAX, sizeof(INVEPT_RDX_MRAX), (t), (lo), (hi))
#define INVVPID(tm, t, lo, hi) \
	inv((tm), INVVPID_RDX_MRAX, sizeof(INVVPID_RDX_MRAX), (t), (lo), (hi))

/* A good EPTP for SKX: WB (6), 4-level (walk length 3 in bits 5:3). */
#define GOOD_EPTP (0x500000ull | 6 | (3 << 3))

static void invept_invvpid(void **state)
{
	struct tm *tm = machine();
	struct cpu *cpu = tm->cpu;

	(void)state;
	/* INVEPT.1 / INVVPID.1 outside VMX operation. */
	assert_fault(cpu, INVEPT(tm, 1, GOOD_EPTP, 0), EXC_UD);
	assert_fault(cpu, INVVPID(tm, 1, 1, 0), EXC_UD);
	tm_free(tm);
	tm = with_vmcs(VMCS_A);
	cpu = tm->cpu;
	/* INVEPT.4: SKX supports types 1 and 2 (CAP bits 25, 26). */
	assert_fail_valid(cpu, INVEPT(tm, 0, GOOD_EPTP, 0), 28);
	assert_fail_valid(cpu, INVEPT(tm, 3, GOOD_EPTP, 0), 28);
	/* INVEPT.4 before INVEPT.5: a bad type with a faulting descriptor. */
	cpu->gpr[R_RAX] = 0x0000800000000000ull;
	cpu->gpr[R_RDX] = 0;
	assert_fail_valid(cpu, RUN(tm, INVEPT_RDX_MRAX, PRESET), 28);
	/* INVEPT.5 */
	cpu->gpr[R_RDX] = 2;
	assert_fault(cpu, RUN(tm, INVEPT_RDX_MRAX, PRESET), EXC_GP);
	/* INVEPT.6: memory type 3 (CTL-26), walk length 5 (CTL-27), bits
	 * 11:8 (CTL-30). */
	assert_fail_valid(cpu, INVEPT(tm, 1, 0x500000 | 3 | (3 << 3), 0), 28);
	assert_fail_valid(cpu, INVEPT(tm, 1, 0x500000 | 6 | (4 << 3), 0), 28);
	assert_fail_valid(cpu, INVEPT(tm, 1, GOOD_EPTP | 0x100, 0), 28);
	assert_fail_valid(cpu, INVEPT(tm, 1, GOOD_EPTP | (1ull << 40), 0), 28);
	/* INVEPT.7/8; reserved bits 127:64 are not checked. */
	assert_succeed(cpu, INVEPT(tm, 1, GOOD_EPTP, ~0ull));
	assert_succeed(cpu, INVEPT(tm, 2, 0x3, 0));
	/* INVVPID.4: SKX supports types 0-3 (CAP bits 40-43). */
	assert_fail_valid(cpu, INVVPID(tm, 4, 1, 0), 28);
	/* INVVPID.6 */
	assert_fail_valid(cpu, INVVPID(tm, 1, 0x10001, 0), 28);
	/* INVVPID.7, .8, .10: VPID 0. */
	assert_fail_valid(cpu, INVVPID(tm, 0, 0, 0x1000), 28);
	assert_fail_valid(cpu, INVVPID(tm, 1, 0, 0), 28);
	assert_fail_valid(cpu, INVVPID(tm, 3, 0, 0), 28);
	/* INVVPID.7: non-canonical linear address. */
	assert_fail_valid(cpu, INVVPID(tm, 0, 1, 0x0000800000000000ull), 28);
	assert_succeed(cpu, INVVPID(tm, 0, 1, 0xffff800000000000ull));
	assert_succeed(cpu, INVVPID(tm, 1, 1, 0x0000800000000000ull));
	/* INVVPID.9 ignores the VPID. */
	assert_succeed(cpu, INVVPID(tm, 2, 0, 0));
	assert_succeed(cpu, INVVPID(tm, 3, 5, 0));
	/* INVEPT.3 */
	set_cpl3(cpu);
	assert_fault(cpu, INVEPT(tm, 1, GOOD_EPTP, 0), EXC_GP);
	tm_free(tm);
}

/* --- Non-root operation ------------------------------------------------ */

/* A VMCS whose host state is this machine's 64-bit state, made current,
 * and the cpu pretending to run its guest (no VM entry: the exits under
 * test are decided before any guest state matters). */
static struct tm *nonroot(void)
{
	struct tm *tm = with_vmcs(VMCS_A);
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;

	VMCS_SET(v, EXIT_CONTROLS, 0x00036dffu | (1u << 9));  /* default1 | host address-space size */
	VMCS_SET(v, HOST_CR0, cpu->cr0);
	VMCS_SET(v, HOST_CR3, cpu->cr3);
	VMCS_SET(v, HOST_CR4, cpu->cr4);
	VMCS_SET(v, HOST_CS_SELECTOR, TM_SEL_CODE64);
	VMCS_SET(v, HOST_SS_SELECTOR, TM_SEL_DATA);
	VMCS_SET(v, HOST_DS_SELECTOR, TM_SEL_DATA);
	VMCS_SET(v, HOST_ES_SELECTOR, TM_SEL_DATA);
	VMCS_SET(v, HOST_TR_SELECTOR, 0x40);
	VMCS_SET(v, HOST_GDTR_BASE, 0x1000);
	VMCS_SET(v, HOST_IDTR_BASE, 0x2000);
	VMCS_SET(v, HOST_RSP, TM_STACK);
	VMCS_SET(v, HOST_RIP, TM_CODE + 0x800);
	VMCS_SET(v, HOST_IA32_EFER, cpu->efer);
	VMCS_SET(v, VMCS_LINK_POINTER, ~0ull);
	v->op = VMX_NONROOT;
	cpu->vmx_nonroot = true;
	cpu->rip = TM_CODE;
	return tm;
}

static void reenter(struct tm *tm)
{
	tm->cpu->vmx->op = VMX_NONROOT;
	tm->cpu->vmx_nonroot = true;
	tm->cpu->rip = TM_CODE;
}

static void assert_exit(struct tm *tm, int st, unsigned reason, uint64_t qual, unsigned len)
{
	struct vmx *v = tm->cpu->vmx;

	assert_int_equal(st, X_VMEXIT);
	assert_int_equal(VMCS_GET(v, EXIT_REASON), reason);
	assert_int_equal(VMCS_GET(v, EXIT_QUALIFICATION), qual);
	assert_int_equal(VMCS_GET(v, EXIT_INSTRUCTION_LEN), len);
}

static void nonroot_exits(void **state)
{
	/* vmptrld [rax+rbx*4+0x100]; vmptrst [rip+0x10]; vmclear [rbp-8] */
	static const uint8_t vmptrld_sib[] = { 0x0f, 0xc7, 0xb4, 0x98, 0x00, 0x01, 0x00, 0x00 };
	static const uint8_t vmptrst_rip[] = { 0x0f, 0xc7, 0x3d, 0x10, 0x00, 0x00, 0x00 };
	static const uint8_t vmclear_rbp[] = { 0x66, 0x0f, 0xc7, 0x75, 0xf8 };
	struct tm *tm = nonroot();
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	uint64_t val;

	(void)state;
	/* VMPTRLD.2 at CPL 3: the exit comes before the #GP.  §5.6: scaling
	 * 2, address size 2 (64-bit), segment DS (3), index RBX (3), base
	 * RAX (0). */
	set_cpl3(cpu);
	assert_exit(tm, RUN(tm, vmptrld_sib, 0), EXIT_VMPTRLD, 0x100, 8);
	assert_int_equal(VMCS_GET(v, EXIT_INSTRUCTION_INFO),
	                 2u | 2u << 7 | 3u << 15 | 3u << 18 | 0u << 23);
	assert_int_equal(v->op, VMX_ROOT);
	/* VMPTRST.2, RIP-relative: displacement plus the next RIP; no base,
	 * no index. */
	reenter(tm);
	set_cpl3(cpu);
	assert_exit(tm, RUN(tm, vmptrst_rip, 0), EXIT_VMPTRST, TM_CODE + 7 + 0x10, 7);
	assert_int_equal(VMCS_GET(v, EXIT_INSTRUCTION_INFO), 2u << 7 | 3u << 15 | 1u << 22 | 1u << 27);
	/* VMCLEAR.2, [rbp-8]: SS, base RBP (5), negative displacement. */
	reenter(tm);
	assert_exit(tm, RUN(tm, vmclear_rbp, 0), EXIT_VMCLEAR, (uint64_t)-8, 5);
	assert_int_equal(VMCS_GET(v, EXIT_INSTRUCTION_INFO), 2u << 7 | 2u << 15 | 1u << 22 | 5u << 23);
	/* VMXON.2 */
	reenter(tm);
	assert_exit(tm, RUN(tm, VMXON_RAX, 0), EXIT_VMXON, 0, 4);
	/* VMXOFF.2, BASIC-2, VMCALL.2: no qualification. */
	reenter(tm);
	assert_exit(tm, RUN(tm, VMXOFF, 0), EXIT_VMXOFF, 0, 3);
	reenter(tm);
	assert_exit(tm, RUN(tm, VMLAUNCH, 0), EXIT_VMLAUNCH, 0, 3);
	reenter(tm);
	assert_exit(tm, RUN(tm, VMRESUME, 0), EXIT_VMRESUME, 0, 3);
	reenter(tm);
	set_cpl3(cpu);
	assert_exit(tm, RUN(tm, VMCALL, 0), EXIT_VMCALL, 0, 3);
	/* INVEPT.2 / INVVPID.2: §5.2, reg2 = the type register (RDX, 2). */
	reenter(tm);
	assert_exit(tm, INVEPT(tm, 1, GOOD_EPTP, 0), EXIT_INVEPT, 0, 5);
	assert_int_equal(VMCS_GET(v, EXIT_INSTRUCTION_INFO),
	                 2u << 7 | 3u << 15 | 1u << 22 | 0u << 23 | 2u << 28);
	reenter(tm);
	assert_exit(tm, INVVPID(tm, 1, 1, 0), EXIT_INVVPID, 0, 5);
	/* VMREAD.2 / VMWRITE.2 without VMCS shadowing: §5.7, register
	 * operand (bit 10), reg1 = RAX (0), reg2 = RBX (3). */
	reenter(tm);
	assert_exit(tm, vmread(tm, VMCS_GUEST_RIP, &val), EXIT_VMREAD, 0, 3);
	assert_int_equal(VMCS_GET(v, EXIT_INSTRUCTION_INFO), 1u << 10 | 3u << 28);
	reenter(tm);
	cpu->gpr[R_RCX] = TM_DATA;
	cpu->gpr[R_RBX] = VMCS_GUEST_RIP;
	assert_exit(tm, RUN(tm, VMWRITE_RBX_MRCX, 0), EXIT_VMWRITE, 0, 3);
	assert_int_equal(VMCS_GET(v, EXIT_INSTRUCTION_INFO),
	                 2u << 7 | 3u << 15 | 1u << 22 | 1u << 23 | 3u << 28);
	tm_free(tm);
}

/* VMCS shadowing (§12, vmcs-fields.md §4.11): VMREAD/VMWRITE in non-root
 * operation reach the VMCS of the link pointer unless the bitmaps say
 * exit. */
static void shadowing(void **state)
{
	struct tm *tm = nonroot();
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	uint64_t val;

	(void)state;
	v->op = VMX_ROOT;
	assert_succeed(cpu, WITH_PTR(tm, VMCLEAR_RAX, VMCS_SH));
	vmcs_region_set(v, VMCS_SH, VMCS_IDX_GUEST_RIP, 0xabc);
	VMCS_SET(v, PROC_CONTROLS, 1u << 31);
	VMCS_SET(v, PROC2_CONTROLS, 1u << 14);
	VMCS_SET(v, VMREAD_BITMAP, BITMAPS);
	VMCS_SET(v, VMWRITE_BITMAP, BITMAPS + 0x1000);
	VMCS_SET(v, VMCS_LINK_POINTER, VMCS_SH);
	reenter(tm);
	/* VMREAD.6 from the shadow VMCS, at CPL 0. */
	assert_succeed(cpu, vmread(tm, VMCS_GUEST_RIP, &val));
	assert_int_equal(val, 0xabc);
	/* VMWRITE.8 into the shadow VMCS; the current VMCS is untouched. */
	assert_succeed(cpu, vmwrite(tm, VMCS_GUEST_RSP, 0x5555));
	assert_int_equal(vmcs_region_get(v, VMCS_SH, VMCS_IDX_GUEST_RSP), 0x5555);
	assert_int_equal(VMCS_GET(v, GUEST_RSP), 0);
	/* VMREAD.5: the error goes to the current (ordinary) VMCS. */
	assert_fail_valid(cpu, vmread(tm, 0x2030, &val), 12);
	/* VMREAD.3: CPL 3 without an exit. */
	set_cpl3(cpu);
	assert_fault(cpu, vmread(tm, VMCS_GUEST_RIP, &val), EXC_GP);
	set_cpl0(cpu);
	/* VMREAD.2: encoding bits 63:15, or the bitmap bit. */
	assert_exit(tm, vmread(tm, 0x8000, &val), EXIT_VMREAD, 0, 3);
	reenter(tm);
	tm_write(tm, BITMAPS + (VMCS_GUEST_RIP >> 3), 1, 1u << (VMCS_GUEST_RIP & 7));
	assert_exit(tm, vmread(tm, VMCS_GUEST_RIP, &val), EXIT_VMREAD, 0, 3);
	reenter(tm);
	assert_succeed(cpu, vmwrite(tm, VMCS_GUEST_RIP, 0xdef));
	tm_write(tm, BITMAPS + 0x1000 + (VMCS_GUEST_RIP >> 3), 1, 1u << (VMCS_GUEST_RIP & 7));
	assert_exit(tm, vmwrite(tm, VMCS_GUEST_RIP, 0xdef), EXIT_VMWRITE, 0, 3);
	/* VMREAD.4: link pointer FFFFFFFF_FFFFFFFFH. */
	reenter(tm);
	VMCS_SET(v, VMCS_LINK_POINTER, ~0ull);
	assert_fail_invalid(cpu, vmwrite(tm, VMCS_GUEST_RSP, 1));
	tm_free(tm);
}

/* VMFUNC (§17): EPTP switching. */
static void vmfunc(void **state)
{
	struct tm *tm = nonroot();
	struct cpu *cpu = tm->cpu;
	struct vmx *v = cpu->vmx;
	const uint64_t eptp2 = 0x600000ull | 6 | (3 << 3);

	(void)state;
	/* VMFUNC.1: "enable VM functions" = 0. */
	assert_fault(cpu, RUN(tm, VMFUNC, 0), EXC_UD);
	VMCS_SET(v, PROC_CONTROLS, 1u << 31);
	VMCS_SET(v, PROC2_CONTROLS, (1u << 13) | (1u << 1));
	VMCS_SET(v, VMFUNC_CONTROLS, 0);
	VMCS_SET(v, EPTP_LIST_ADDR, EPTP_LIST);
	VMCS_SET(v, EPT_POINTER, GOOD_EPTP);
	tm_write(tm, EPTP_LIST + 8 * 3, 8, eptp2);
	tm_write(tm, EPTP_LIST + 8 * 4, 8, 0x600000ull | 3 | (3 << 3));
	/* VMFUNC.2 */
	cpu->gpr[R_RAX] = 64;
	assert_fault(cpu, RUN(tm, VMFUNC, 0), EXC_UD);
	/* VMFUNC.3: function 0 not enabled. */
	cpu->gpr[R_RAX] = 0;
	cpu->gpr[R_RCX] = 3;
	assert_exit(tm, RUN(tm, VMFUNC, 0), EXIT_VMFUNC, 0, 3);
	reenter(tm);
	VMCS_SET(v, VMFUNC_CONTROLS, 1);
	/* VMFUNC.4 */
	cpu->gpr[R_RCX] = 512;
	assert_exit(tm, RUN(tm, VMFUNC, 0), EXIT_VMFUNC, 0, 3);
	reenter(tm);
	/* VMFUNC.5: memory type 3. */
	cpu->gpr[R_RCX] = 4;
	assert_exit(tm, RUN(tm, VMFUNC, 0), EXIT_VMFUNC, 0, 3);
	reenter(tm);
	/* VMFUNC.6: switched; SKX has EPT-violation #VE, so the index is
	 * recorded; flags are not touched. */
	cpu->gpr[R_RAX] = 0;
	cpu->gpr[R_RCX] = 3;
	assert_int_equal(RUN(tm, VMFUNC, RFLAGS_CF | RFLAGS_ZF), X_OK);
	assert_int_equal(VMCS_GET(v, EPT_POINTER), eptp2);
	assert_int_equal(VMCS_GET(v, EPTP_INDEX), 3);
	assert_int_equal(flags_read(cpu) & ALL_ARITH, RFLAGS_CF | RFLAGS_ZF);
	/* VMFUNC.1: root operation. */
	v->op = VMX_ROOT;
	cpu->vmx_nonroot = false;
	assert_fault(cpu, RUN(tm, VMFUNC, 0), EXC_UD);
	tm_free(tm);
}

/* CPUID.1:ECX.VMX (bit 5) is reported now that the rows exist, and the
 * VMX rows carry neither F_CPL0 nor F_VMX_EXIT (§4.2 order). */
static void rows(void **state)
{
	static const unsigned ids[] = {
		X86_INS_VMXON, X86_INS_VMXOFF, X86_INS_VMCLEAR, X86_INS_VMPTRLD, X86_INS_VMPTRST,
		X86_INS_VMREAD, X86_INS_VMWRITE, X86_INS_VMLAUNCH, X86_INS_VMRESUME,
		X86_INS_VMCALL, X86_INS_VMFUNC, X86_INS_INVEPT, X86_INS_INVVPID,
	};
	struct tm *tm = tm_new(TM_LONG64);
	uint32_t out[4];

	(void)state;
	cpuid_query(tm->cpu, 1, 0, out);
	assert_true((out[CPUID_ECX] >> 5) & 1);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct opdesc *od = optable_lookup(ids[i]);

		assert_non_null(od);
		assert_non_null(od->fn);
		assert_int_equal(od->flags & (F_CPL0 | F_VMX_EXIT), 0);
	}
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vmxon_ud),
		cmocka_unit_test(vmxon_gp),
		cmocka_unit_test(vmxon_results),
		cmocka_unit_test(vmxon_in_root_valid),
		cmocka_unit_test(vmxoff),
		cmocka_unit_test(vmclear),
		cmocka_unit_test(vmptrld),
		cmocka_unit_test(vmptrld_shadow_unsupported),
		cmocka_unit_test(vmptrst),
		cmocka_unit_test(region_copy),
		cmocka_unit_test(vmread_vmwrite),
		cmocka_unit_test(vmread_vmwrite_32bit),
		cmocka_unit_test(vmlaunch_basic),
		cmocka_unit_test(mov_ss_then_vmlaunch),
		cmocka_unit_test(sti_then_vmlaunch),
		cmocka_unit_test(vmcall),
		cmocka_unit_test(invept_invvpid),
		cmocka_unit_test(nonroot_exits),
		cmocka_unit_test(shadowing),
		cmocka_unit_test(vmfunc),
		cmocka_unit_test(rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
