/* 32-bit code in compatibility mode: encodings that differ from 64-bit
 * mode (INC/DEC 40-4F, PUSHA/POPA, PUSH/POP of segment registers, LES),
 * 66h operand size, 4-byte stack slots, far CALL/RET, SIB without base,
 * LOOP/JECXZ.  Expected values follow the SDM instruction pages. */
#include "guest.h"

extern const char c32_incdec[], c32_pusha[], c32_segs[], c32_les[], c32_op16[],
	c32_push_imm[], c32_farcall[], c32_sib[], c32_loop[];
extern uint32_t c32_esp_before, c32_pushed_esp;

static uint32_t run(const char *fn)
{
	return compat_call((uint32_t)(uintptr_t)fn, 0, 0);
}

int main(void)
{
	tap_plan(10);
	tap_check_u64(run(c32_incdec), 0x0608, "40/49 are INC EAX / DEC ECX in 32-bit code");
	tap_check_u64(run(c32_pusha), 0x1dc, "pusha/popa restore the seven registers");
	tap_check_u64(c32_pushed_esp, c32_esp_before, "pusha pushes the ESP from before it");
	tap_check_u64(run(c32_segs), SEL_KDATA, "push ds / pop es");
	tap_check_u64(run(c32_les), (uint64_t)SEL_UDATA << 16 | 0x5678, "les loads ES and the offset");
	tap_check_u64(run(c32_op16), 0x12340001, "66h: 16-bit add, carry into a 32-bit adc");
	tap_check_u64(run(c32_push_imm), 4, "push imm8 moves ESP by 4 in 32-bit code");
	tap_check_u64(run(c32_farcall), 8u << 16 | SEL_KCODE32,
		      "far call in 32-bit code pushes CS and EIP as dwords");
	tap_check_u64(run(c32_sib), 0x300, "SIB with no base: [ecx*4 + disp32]");
	tap_check_u64(run(c32_loop), 30, "loop and jecxz in 32-bit code");
	return tap_done();
}
