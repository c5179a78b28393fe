/* Self-modifying code.  SDM Vol. 3A §10.6: a write to a code byte that
 * the processor has already fetched or executed takes effect before the
 * next execution of that instruction; stores into the instruction stream
 * ahead of the current instruction are honoured on the same processor
 * (the processor snoops its prefetch queue and decoded instructions). */
#include "guest.h"

/* A buffer in the (writable, executable) identity-mapped image. */
static uint8_t code[256] __attribute__((aligned(64)));

typedef uint32_t fn32(void);

static void emit_mov_eax_ret(uint8_t *p, uint32_t imm)
{
	p[0] = 0xb8;                      /* mov eax, imm32 */
	memcpy(p + 1, &imm, 4);
	p[5] = 0xc3;                      /* ret */
}

/* Patches the immediate of the MOV two instructions later, then runs it:
 * the new value must be seen although the block is already being run. */
uint32_t smc_inline(void);
asm(".text\n.globl smc_inline\nsmc_inline:\n"
    "movl $0x22222222, smc_inline_imm(%rip)\n"
    "nop\n"
    "smc_inline_mov: .byte 0xb8\n"
    "smc_inline_imm: .long 0x11111111\n"
    "ret\n");

/* Replaces an instruction inside a loop body after it has run: the
 * first iteration adds 1, later ones add 2 (the add's immediate is
 * overwritten on the first pass). */
uint32_t smc_loop(void);
asm(".text\n.globl smc_loop\nsmc_loop:\n"
    "xor %eax, %eax\n"
    "mov $4, %ecx\n"
    "1: .byte 0x83, 0xc0\n"            /* add eax, imm8 */
    "smc_loop_imm: .byte 1\n"
    "movb $2, smc_loop_imm(%rip)\n"
    "dec %ecx\n"
    "jnz 1b\n"
    "movb $1, smc_loop_imm(%rip)\n"    /* restore for a second run */
    "ret\n");

/* Cross-mapping: the same frame mapped at two linear addresses; code run
 * through one, patched through the other (SDM §10.6 applies to the
 * physical bytes: the linear address used for the store does not matter). */
extern uint64_t boot_pdpt[512];
#define VA_X 0x200000000ull   /* PDPT[8] */
static uint64_t pd8[512] __attribute__((aligned(4096)));
static uint64_t pt8[512] __attribute__((aligned(4096)));
static uint8_t frame[4096] __attribute__((aligned(4096)));

static void alias_test(void)
{
	boot_pdpt[8] = (uintptr_t)pd8 | PTE_P | PTE_W;
	pd8[0] = (uintptr_t)pt8 | PTE_P | PTE_W;
	pt8[0] = (uintptr_t)frame | PTE_P | PTE_W;      /* run through this */
	pt8[1] = (uintptr_t)frame | PTE_P | PTE_W;      /* write through this */
	flush_tlb();
	fn32 *run = (fn32 *)(uintptr_t)(VA_X + 0x10);
	uint8_t *alias = (uint8_t *)(uintptr_t)(VA_X + 0x1000 + 0x10);
	emit_mov_eax_ret(alias, 0xaaaa5555);
	tap_check_u64(run(), 0xaaaa5555, "code written through an alias runs");
	emit_mov_eax_ret(alias, 0x5555aaaa);
	tap_check_u64(run(), 0x5555aaaa, "patch through an alias, run through the other mapping");
	/* The identity address is a third alias. */
	emit_mov_eax_ret(frame + 0x10, 0x0f0f0f0f);
	tap_check_u64(run(), 0x0f0f0f0f, "patch through the identity map");
}

int main(void)
{
	tap_plan(9);

	emit_mov_eax_ret(code, 0x12345678);
	fn32 *f = (fn32 *)(uintptr_t)code;
	tap_check_u64(f(), 0x12345678, "run generated code");
	emit_mov_eax_ret(code, 0x9abcdef0);
	tap_check_u64(f(), 0x9abcdef0, "rewrite the immediate and run again");
	/* Replace the instruction by a different one of another length. */
	code[0] = 0x31; code[1] = 0xc0;  /* xor eax, eax */
	code[2] = 0xff; code[3] = 0xc0;  /* inc eax */
	code[4] = 0xc3;
	tap_check_u64(f(), 1, "replace the instruction by another of a different length");

	tap_check_u64(smc_inline(), 0x22222222, "store to an instruction ahead in the same block");
	tap_check_u64(smc_inline(), 0x22222222, "the patched instruction stays patched");
	tap_check_u64(smc_loop(), 1 + 2 + 2 + 2, "patch an instruction inside a loop after it ran");
	alias_test();
	return tap_done();
}
