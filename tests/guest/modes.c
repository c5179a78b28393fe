/* Mode switches: long mode -> legacy protected mode -> 16-bit protected
 * mode -> real mode, work there (segmented addressing, IVT interrupt, far
 * call, 66h operands), and all the way back to long mode. */
#include "guest.h"

#define RM_DATA 0x7100
extern const char rm_roundtrip[], rm_div_off[];

/* Physical addresses below 1 MiB; the empty asm keeps GCC from treating
 * the small constants as null-pointer arithmetic (-Warray-bounds). */
static void *phys(uint32_t a)
{
	uintptr_t p = a;
	asm("" : "+r"(p));
	return (void *)p;
}
static uint16_t rd16(uint32_t a) { return *(volatile uint16_t *)phys(a); }
static uint32_t rd32(uint32_t a) { return *(volatile uint32_t *)phys(a); }

int main(void)
{
	tap_plan(18);

	memset(phys(RM_DATA), 0, 0x40);
	*(volatile uint16_t *)phys(0x6200) = 0;
	*(volatile uint16_t *)phys(0x7010) = 0;
	*(volatile uint16_t *)phys(0x17010) = 0;
	uint16_t ivt_200 = rd16(0x200);
	uint32_t rc = legacy_call((uint32_t)(uintptr_t)rm_roundtrip, 0, 0);
	tap_check_u64(rc, 0, "round trip through real mode returns");
	tap_ok(rdmsr(MSR_IA32_EFER) & EFER_LMA, "back in IA-32e mode (EFER.LMA)");
	tap_check_u64(read_cs(), SEL_KCODE64, "back in the 64-bit code segment");
	tap_check_u64(rd16(RM_DATA + 0x00), SEL_CODE16, "16-bit protected mode ran with CS=SEL_CODE16");
	tap_check_u64(rd16(RM_DATA + 0x02), LOW_TRAMP >> 4, "real mode ran with CS=0x0800");
	tap_check_u64(rd32(RM_DATA + 0x04) & (CR0_PE | CR0_PG), 0, "real mode: CR0.PE=0, PG=0");
	tap_check_u64(rd16(RM_DATA + 0x08), 0xbeef, "real mode: ES=0x0710 offset 8 is linear 0x7108");
	tap_check_u64(rd32(RM_DATA + 0x0c), 0x12345678, "real mode: 32-bit store with the 66h prefix");
	tap_check_u64(rd16(RM_DATA + 0x10), 0x4040, "real mode: INT 0x40 through the IVT ran the handler");
	/* SDM Vol. 3A §21.1.4: real-mode INT pushes FLAGS, CS, IP (6 bytes). */
	tap_check_u64(rd16(RM_DATA + 0x18), 0x7000 - 6, "real mode: INT pushed FLAGS, CS and IP");
	tap_check_u64(rd16(RM_DATA + 0x12), 0xfafa, "real mode: far call and far return");
	tap_ok(rd16(RM_DATA + 0x14) == 0x5a5a && rd16(RM_DATA + 0x16) == 0x7000,
	       "real mode: push/pop round trip (bx 0x%x sp 0x%x)", rd16(RM_DATA + 0x14),
	       rd16(RM_DATA + 0x16));
	tap_ok(rd16(0x6200) == 0xaaaa && rd16(0x200) == ivt_200,
	       "real mode: [bp+0] uses SS (0x6200 holds 0x%x)", rd16(0x6200));
	tap_ok(rd16(0x7010) == 0xbbbb && rd16(0x17010) == 0,
	       "real mode: [bx+si] wraps at 64 KiB (0x7010 holds 0x%x)", rd16(0x7010));
	tap_ok(rd16(RM_DATA + 0x1a) == 0x5555 && rd16(RM_DATA + 0x1c) == 0x1000,
	       "real mode: near call and return (ax 0x%x sp 0x%x)", rd16(RM_DATA + 0x1a),
	       rd16(RM_DATA + 0x1c));
	tap_ok(rd16(RM_DATA + 0x22) == (uintptr_t)rm_div_off && rd16(RM_DATA + 0x24) == LOW_TRAMP >> 4,
	       "real mode: #DE through IVT[0] pushes CS:IP of the DIV (%x:%x)", rd16(RM_DATA + 0x24),
	       rd16(RM_DATA + 0x22));
	tap_check_u64(rd16(RM_DATA + 0x20), 0x1234, "real mode: the faulting DIV left AX unchanged");
	tap_ok((rd32(RM_DATA + 0x30) & (CR0_PE | CR0_PG)) == CR0_PE,
	       "protected mode again after real mode (cr0 0x%x)", rd32(RM_DATA + 0x30));
	return tap_done();
}
