/* The instruction emulator a restricted guest needs in real mode (KVM
 * runs its full x86 emulator here: handle_rmode_exception for the #GP a
 * privileged instruction raises in vm86, handle_invalid_guest_state while
 * emulation_required).  This one knows the forms real-mode start-up code
 * uses, in real mode (vm86) only:
 *
 *   EA iw iw / 66 EA id iw     JMP ptr16:16 / ptr16:32
 *   B8+r iw / 66 B8+r id       MOV r16, imm16 / MOV r32, imm32
 *   8E /r (mod=11)             MOV Sreg, r16 (not CS)
 *   [66] [seg] 0F 01 /2, /3    LGDT / LIDT m16&24 (m16&32 with 66),
 *                              ModRM mod=00 rm=110 (disp16)
 *   0F 20 /r                   MOV r32, CR0/CR3/CR4
 *   0F 22 /r                   MOV CR0/CR3/CR4, r32
 *
 * Anything else ends the run with HV_ERR_EMULATE and the bytes it saw. */
#include "hv.h"

static uint64_t get_gpr(struct hv_vcpu *v, unsigned n)
{
	return n == 4 ? hv_vmread(VMCS_GUEST_RSP) : v->regs.gpr[n];
}

static void set_gpr32(struct hv_vcpu *v, unsigned n, uint32_t x)
{
	if (n == 4)
		hv_vmwrite(VMCS_GUEST_RSP, x);
	else
		v->regs.gpr[n] = x;
}

static const uint8_t *guest_ptr(uint64_t gpa, uint64_t len, const char *what)
{
	const uint8_t *p = hv_gpa_to_hva(gpa, len);
	if (!p)
		hv_fail(HV_ERR_EMULATE, "why=unmapped_%s gpa=0x%lx", what, (unsigned long)gpa);
	return p;
}

static uint64_t read_cr(struct hv_vcpu *v, unsigned cr)
{
	return cr == 0 ? v->cr0 : cr == 3 ? v->cr3 : v->cr4;
}

static void write_cr(struct hv_vcpu *v, unsigned cr, uint64_t x)
{
	if (cr == 0)
		hv_set_cr0(v, x);
	else if (cr == 3)
		hv_set_cr3(v, x);
	else
		hv_set_cr4(v, x);
}

/* The instruction completed: the next IP, RF cleared (the #GP exit saved
 * it as 1, SDM Vol. 3C §27.3.3), and whether the state is runnable now. */
static void finish(struct hv_vcpu *v, uint64_t next_ip)
{
	hv_vmwrite(VMCS_GUEST_RIP, next_ip & 0xffff);
	hv_vmcs_clearbits(VMCS_GUEST_RFLAGS, RFLAGS_RF);
	v->emulation_required = !hv_guest_state_valid(v);
}

/* One instruction being emulated: prefixes consumed, op at the opcode. */
struct emu {
	struct hv_vcpu *v;
	struct hv_seg cs;
	uint64_t ip;          /* IP of the instruction */
	const uint8_t *op;    /* opcode byte */
	unsigned prefixes;    /* bytes before it */
	bool opsize;          /* 66: 32-bit operand */
	enum hv_sreg seg;     /* data segment: DS unless overridden */
	uint64_t next_ip;     /* set by the handler that took it */
};

static uint32_t imm(const uint8_t *p, bool wide)
{
	return wide ? *(const uint32_t *)p : *(const uint16_t *)p;
}

/* EA: JMP ptr16:16 (ptr16:32 with 66).  In real mode the new CS gets
 * base = selector << 4, its limit and attributes stay. */
static bool emu_ljmp(struct emu *e)
{
	if (e->op[0] != 0xEA)
		return false;
	unsigned w = e->opsize ? 4 : 2;
	struct hv_seg cs = e->cs;
	cs.sel = *(const uint16_t *)(e->op + 1 + w);
	cs.base = (uint64_t)cs.sel << 4;
	hv_set_seg(e->v, SREG_CS, &cs);
	e->next_ip = imm(e->op + 1, e->opsize);
	hv_trace("emulate", "insn=ljmp cs=0x%x ip=0x%lx", cs.sel, (unsigned long)e->next_ip);
	return true;
}

/* B8+r: MOV r16, imm16 (r32, imm32 with 66). */
static bool emu_mov_imm(struct emu *e)
{
	if (e->op[0] < 0xB8 || e->op[0] > 0xBF)
		return false;
	unsigned r = e->op[0] - 0xB8;
	uint32_t x = imm(e->op + 1, e->opsize);
	uint32_t keep = e->opsize ? 0 : (uint32_t)get_gpr(e->v, r) & 0xffff0000u;
	set_gpr32(e->v, r, keep | x);
	e->next_ip = e->ip + e->prefixes + 1 + (e->opsize ? 4 : 2);
	hv_trace("emulate", "insn=mov_imm gpr=%u value=0x%x", r, x);
	return true;
}

/* 8E /r, register form: MOV Sreg, r16.  In real mode the selector and
 * base = selector << 4 change; the limit and attributes stay as they were
 * (SDM Vol. 3A §20.1.1), so segments left with 4 GiB limits keep needing
 * emulation, as in KVM ("unreal mode"). */
static bool emu_mov_sreg(struct emu *e)
{
	if (e->op[0] != 0x8E || (e->op[1] >> 6) != 3)
		return false;
	unsigned sr = (e->op[1] >> 3) & 7;
	if (sr == SREG_CS || sr > SREG_GS)
		return false;
	struct hv_seg seg;
	hv_get_seg(e->v, (enum hv_sreg)sr, &seg);
	seg.sel = (uint16_t)get_gpr(e->v, e->op[1] & 7);
	seg.base = (uint64_t)seg.sel << 4;
	hv_set_seg(e->v, (enum hv_sreg)sr, &seg);
	e->next_ip = e->ip + e->prefixes + 2;
	hv_trace("emulate", "insn=mov_sreg sreg=%u sel=0x%x", sr, seg.sel);
	return true;
}

/* 0F 01 /2, /3 with ModRM mod=00 rm=110 (disp16): LGDT / LIDT.  Without
 * 66 only 24 bits of the base are loaded (SDM Vol. 2A LGDT). */
static bool emu_lgdt_lidt(struct emu *e)
{
	uint8_t modrm = e->op[2];
	unsigned reg = (modrm >> 3) & 7;
	if (e->op[0] != 0x0F || e->op[1] != 0x01 || (reg != 2 && reg != 3) || (modrm & 0xC7) != 0x06)
		return false;
	struct hv_seg s;
	hv_get_seg(e->v, e->seg, &s);
	uint16_t disp = *(const uint16_t *)(e->op + 3);
	const uint8_t *m = guest_ptr(s.base + disp, 6, "operand");
	uint16_t limit = *(const uint16_t *)m;
	uint32_t base = *(const uint32_t *)(m + 2);
	if (!e->opsize)
		base &= 0xffffff;
	hv_vmwrite(reg == 2 ? VMCS_GUEST_GDTR_BASE : VMCS_GUEST_IDTR_BASE, base);
	hv_vmwrite(reg == 2 ? VMCS_GUEST_GDTR_LIMIT : VMCS_GUEST_IDTR_LIMIT, limit);
	e->next_ip = e->ip + e->prefixes + 5;
	hv_trace("emulate", "insn=%s base=0x%x limit=0x%x", reg == 2 ? "lgdt" : "lidt", base, limit);
	return true;
}

/* 0F 20 /r and 0F 22 /r: MOV r32, CRn and MOV CRn, r32 (CR0, CR3, CR4). */
static bool emu_mov_cr(struct emu *e)
{
	uint8_t modrm = e->op[2];
	unsigned cr = (modrm >> 3) & 7, gpr = modrm & 7;
	if (e->op[0] != 0x0F || (e->op[1] != 0x20 && e->op[1] != 0x22) || (modrm >> 6) != 3 ||
	    (cr != 0 && cr != 3 && cr != 4))
		return false;
	bool to_cr = e->op[1] == 0x22;
	hv_trace("emulate", "insn=%s cr=%u gpr=%u", to_cr ? "mov_to_cr" : "mov_from_cr", cr, gpr);
	if (to_cr)
		write_cr(e->v, cr, (uint32_t)get_gpr(e->v, gpr));
	else
		set_gpr32(e->v, gpr, (uint32_t)read_cr(e->v, cr));
	e->next_ip = e->ip + e->prefixes + 3;
	return true;
}

void hv_emulate_one(struct hv_vcpu *v)
{
	struct emu e = {.v = v, .seg = SREG_DS};
	hv_get_seg(v, SREG_CS, &e.cs);
	if ((v->cr0 & CR0_PE) && !v->vm86_active)
		hv_fail(HV_ERR_EMULATE, "why=protected_mode_emulation cs_sel=0x%x cs_ar=0x%x", e.cs.sel,
			e.cs.ar);
	e.ip = hv_vmread(VMCS_GUEST_RIP) & 0xffff;
	/* Up to 15 bytes (the longest instruction), within the page. */
	uint64_t lin = e.cs.base + e.ip, avail = 0x1000 - (lin & 0xfff);
	const uint8_t *b = guest_ptr(lin, avail < 15 ? avail : 15, "code");
	for (;; e.prefixes++) {
		uint8_t p = b[e.prefixes];
		if (p == 0x66)
			e.opsize = true;
		else if (p == 0x2e || p == 0x3e || p == 0x26 || p == 0x36)
			e.seg = p == 0x2e ? SREG_CS : p == 0x3e ? SREG_DS : p == 0x26 ? SREG_ES : SREG_SS;
		else
			break;
	}
	e.op = b + e.prefixes;
	if (emu_ljmp(&e) || emu_mov_imm(&e) || emu_mov_sreg(&e) || emu_lgdt_lidt(&e) || emu_mov_cr(&e)) {
		finish(v, e.next_ip);
		return;
	}
	hv_fail(HV_ERR_EMULATE, "why=unknown_insn cs_base=0x%lx ip=0x%lx bytes=%02x%02x%02x%02x",
		(unsigned long)e.cs.base, (unsigned long)e.ip, b[0], b[1], b[2], b[3]);
}
