/* String instructions (ops_string.c): every size, both directions, REP,
 * REPE/REPNE termination and overlapping moves against the host CPU
 * (hostexec.h); address size, segment overrides, port I/O, the per-call
 * iteration bound and a fault in the middle of a REP string against the
 * SDM. */
#include "hostexec.h"

#include "cpu/insn.h"
#include "cpu/mmu.h"
#include "cpu/ops.h"

#define P(r) (1u << (r))

/* Opcode of the byte form; the W/D/Q forms are opcode + 1 with 66h/none/
 * REX.W. */
static const struct { const char *name; uint8_t opc; } kinds[] = {
	{ "movs", 0xa4 }, { "cmps", 0xa6 }, { "stos", 0xaa }, { "lods", 0xac }, { "scas", 0xae },
};

/* Build "[rep] [66|48] opc" into v. */
static void put_code(struct hx_vec *v, uint8_t rep, unsigned lg, uint8_t opc)
{
	v->len = 0;
	if (rep)
		v->code[v->len++] = rep;
	if (lg == 1)
		v->code[v->len++] = 0x66;
	if (lg == 3)
		v->code[v->len++] = 0x48;
	v->code[v->len++] = lg ? (uint8_t)(opc + 1) : opc;
}

/* Every kind, size and direction, once and with REP (count 5). */
static void strings_vs_host(void **state)
{
	static const uint8_t reps[] = { 0, 0xf3, 0xf2 };

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (unsigned lg = 0; lg < 4; lg++)
			for (int df = 0; df < 2; df++)
				for (size_t r = 0; r < sizeof(reps); r++) {
					struct hx_vec v = { .name = kinds[k].name };

					put_code(&v, reps[r], lg, kinds[k].opc);
					v.r[R_RSI] = 0x200;
					v.r[R_RDI] = 0x800;
					v.r[R_RCX] = 5;
					v.r[R_RAX] = 0x1122334455667788ull;
					v.ptr = P(R_RSI) | P(R_RDI);
					v.flags = df ? RFLAGS_DF : 0;
					hx_check(&v);
				}
}

/* REPE/REPNE CMPS and SCAS stop at the right element (SDM Vol. 2 "REP":
 * the count is decremented before ZF is tested). */
static void rep_termination_vs_host(void **state)
{
	(void)state;
	for (unsigned lg = 0; lg < 4; lg++) {
		unsigned sz = 1u << lg;

		for (int df = 0; df < 2; df++) {
			uint64_t si = df ? 0x200 + 15 * sz : 0x200, di = df ? 0x800 + 15 * sz : 0x800;
			struct hx_vec v[6] = {
				/* REPE CMPS over a copied run with one byte changed. */
				{ "repe cmps mismatch", .cp_src = 0x200, .cp_dst = 0x800, .cp_len = 256,
				  .poke_off = (uint16_t)(0x800 + 9 * sz), .poke_len = 1, .poke_val = 0xee },
				/* REPE CMPS that runs out of count with ZF = 1. */
				{ "repe cmps equal", .cp_src = 0x200, .cp_dst = 0x800, .cp_len = 256 },
				/* REPNE CMPS stopping at the first equal element. */
				{ "repne cmps", .cp_src = (uint16_t)(0x200 + 6 * sz), .cp_dst = (uint16_t)(0x800 + 6 * sz),
				  .cp_len = (uint16_t)sz },
				/* REPNE SCAS finding the accumulator. */
				{ "repne scas", .fill_off = (uint16_t)(0x800 + 7 * sz), .fill_len = (uint16_t)sz,
				  .fill_val = 0x3c },
				/* REPE SCAS over a filled run. */
				{ "repe scas", .fill_off = 0x800 - 0x100, .fill_len = 0x200, .fill_val = 0x3c,
				  .poke_off = (uint16_t)(0x800 + 11 * sz), .poke_len = 1, .poke_val = 0x3d },
				{ .name = "repne scas none" },
			};
			static const uint8_t opc[6] = { 0xa6, 0xa6, 0xa6, 0xae, 0xae, 0xae };
			static const uint8_t rep[6] = { 0xf3, 0xf3, 0xf2, 0xf2, 0xf3, 0xf2 };

			for (int i = 0; i < 6; i++) {
				put_code(&v[i], rep[i], lg, opc[i]);
				v[i].r[R_RSI] = si;
				v[i].r[R_RDI] = di;
				v[i].r[R_RCX] = 16;
				v[i].r[R_RAX] = 0x3c3c3c3c3c3c3c3cull;
				v[i].ptr = P(R_RSI) | P(R_RDI);
				v[i].flags = df ? RFLAGS_DF : 0;
			}
			hx_check_all(v, 6);
		}
	}
}

/* Overlapping REP MOVS copies element by element, REP with a zero count
 * does nothing, and a long REP STOS/MOVS runs past the per-call bound. */
static void rep_overlap_and_long_vs_host(void **state)
{
	struct hx_vec v[] = {
		{ "rep movsb overlap up", HX_CODE(0xf3, 0xa4),
		  .r = { [R_RSI] = 0x100, [R_RDI] = 0x101, [R_RCX] = 40 },
		  .ptr = P(R_RSI) | P(R_RDI) },
		{ "rep movsd overlap up", HX_CODE(0xf3, 0xa5),
		  .r = { [R_RSI] = 0x100, [R_RDI] = 0x102, [R_RCX] = 40 },
		  .ptr = P(R_RSI) | P(R_RDI) },
		{ "rep movsb overlap down", HX_CODE(0xf3, 0xa4),
		  .r = { [R_RSI] = 0x181, [R_RDI] = 0x180, [R_RCX] = 40 },
		  .ptr = P(R_RSI) | P(R_RDI), .flags = RFLAGS_DF },
		{ "rep movsq count 0", HX_CODE(0xf3, 0x48, 0xa5),
		  .r = { [R_RSI] = 0x100, [R_RDI] = 0x800 },
		  .ptr = P(R_RSI) | P(R_RDI) },
		{ "rep stosb 3000", HX_CODE(0xf3, 0xaa),
		  .r = { [R_RAX] = 0x5a, [R_RDI] = 0x10, [R_RCX] = 3000 },
		  .ptr = P(R_RDI) },
		{ "rep movsb 4000", HX_CODE(0xf3, 0xa4),
		  .r = { [R_RSI] = 0x10, [R_RDI] = 0x11, [R_RCX] = 4000 },
		  .ptr = P(R_RSI) | P(R_RDI) },
		{ "rep lodsw", HX_CODE(0xf3, 0x66, 0xad),
		  .r = { [R_RAX] = ~0ull, [R_RSI] = 0x10, [R_RCX] = 9 },
		  .ptr = P(R_RSI) },
	};

	(void)state;
	hx_check_all(v, sizeof(v) / sizeof(v[0]));
}

/* The handler does at most STR_CHUNK (4096) iterations per call and then
 * leaves RIP at the instruction, so a budget of one instruction stops in
 * the middle with consistent registers. */
static void rep_bounded_per_call(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = { 0xf3, 0xaa, 0xf4 }; /* rep stosb; hlt */

	(void)state;
	tm->cpu->gpr[R_RDI] = TM_DATA;
	tm->cpu->gpr[R_RCX] = 10000;
	tm->cpu->gpr[R_RAX] = 0xa5;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	/* 4096 iterations at C_STR each, plus page walks. */
	assert_true(tm->cpu->cycles >= 4096 * C_STR && tm->cpu->cycles < 4096 * C_STR + 200);
	assert_int_equal(tm->cpu->rip, TM_CODE);
	assert_int_equal(tm->cpu->gpr[R_RCX], 10000 - 4096);
	assert_int_equal(tm->cpu->gpr[R_RDI], TM_DATA + 4096);
	assert_int_equal(tm_read(tm, TM_DATA + 4095, 1), 0xa5);
	assert_int_not_equal(tm_read(tm, TM_DATA + 4096, 1), 0xa5);
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0);
	assert_int_equal(tm->cpu->gpr[R_RDI], TM_DATA + 10000);
	assert_int_equal(tm_read(tm, TM_DATA + 9999, 1), 0xa5);
	assert_int_not_equal(tm_read(tm, TM_DATA + 10000, 1), 0xa5);
	tm_free(tm);
}

/* With TF set each call performs one iteration and leaves RIP at the
 * instruction, so the single-step trap comes after every iteration. */
static void rep_single_step(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t stosb[] = { 0xf3, 0xaa };

	(void)state;
	flags_write(tm->cpu, RFLAGS_TF);
	tm->cpu->gpr[R_RDI] = TM_DATA;
	tm->cpu->gpr[R_RCX] = 3;
	assert_int_equal(hx_exec1(tm, stosb, sizeof(stosb)), X_JUMP);
	assert_int_equal(tm->cpu->gpr[R_RCX], 2);
	assert_int_equal(tm->cpu->gpr[R_RDI], TM_DATA + 1);
	assert_int_equal(tm->cpu->rip, TM_CODE);
	tm->cpu->gpr[R_RCX] = 1;
	assert_int_equal(hx_exec1(tm, stosb, sizeof(stosb)), X_OK);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0);
	tm_free(tm);
}

/* REP STOS over the instructions that follow it in the same decoded
 * block: the stores reach the decode cache, so the new bytes run. */
static void rep_stos_over_own_block(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	/* rep stosb; mov al,1; hlt  -- the MOV becomes two NOPs */
	static const uint8_t code[] = { 0xf3, 0xaa, 0xb0, 0x01, 0xf4 };

	(void)state;
	tm->cpu->gpr[R_RDI] = TM_CODE + 2;
	tm->cpu->gpr[R_RCX] = 2;
	tm->cpu->gpr[R_RAX] = 0x90;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm_read(tm, TM_CODE + 2, 2), 0x9090);
	assert_int_equal(tm->cpu->gpr[R_RAX], 0x90);
	assert_int_equal(tm->cpu->rip, TM_CODE + sizeof(code));
	tm_free(tm);
}

/* 67h in 64-bit mode: ESI/EDI/ECX, written back zero-extended. */
static void addr32_in_64(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t code[] = { 0x67, 0xf3, 0xa4, 0xf4 }; /* rep movsb (a32) */

	(void)state;
	tm->cpu->gpr[R_RSI] = 0xdead000000000000ull | TM_DATA;
	tm->cpu->gpr[R_RDI] = 0xbeef000000000000ull | (TM_DATA + 0x100);
	tm->cpu->gpr[R_RCX] = 0x7700000000000003ull;
	tm_write(tm, TM_DATA, 4, 0x44332211);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RSI], TM_DATA + 3);
	assert_int_equal(tm->cpu->gpr[R_RDI], TM_DATA + 0x103);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0);
	assert_int_equal(tm_read(tm, TM_DATA + 0x100, 4), 0x332211);
	tm_free(tm);
}

/* 16-bit addressing wraps SI/DI at 64 KiB and keeps the upper halves;
 * a segment override applies to the source only. */
static void addr16_wrap_and_override(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	/* rep movsb with an ES override on the source: es: rep movsb */
	static const uint8_t code[] = { 0x26, 0xf3, 0xa4, 0xf4 };

	(void)state;
	tm->cpu->seg[SEG_DS].base = 0x10000; /* must not be used */
	tm->cpu->seg[SEG_ES].base = 0x20000;
	tm->cpu->gpr[R_RSI] = 0x1234ffff;
	tm->cpu->gpr[R_RDI] = 0x5678fffe;
	tm->cpu->gpr[R_RCX] = 0xabcd0003;
	tm_write(tm, 0x2ffff, 1, 0x11);
	tm_write(tm, 0x20000, 1, 0x22);
	tm_write(tm, 0x20001, 1, 0x33);
	tm_write(tm, 0x1ffff, 1, 0x99);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RSI], 0x12340002);
	assert_int_equal(tm->cpu->gpr[R_RDI], 0x56780001);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0xabcd0000);
	/* ES:FFFE <- ES:FFFF, ES:FFFF <- ES:0000 (wrapped), ES:0000 <- ES:0001 */
	assert_int_equal(tm_read(tm, 0x2fffe, 1), 0x11);
	assert_int_equal(tm_read(tm, 0x2ffff, 1), 0x22);
	assert_int_equal(tm_read(tm, 0x20000, 1), 0x33);
	tm_free(tm);
}

/* Real mode, segment bases that are not page aligned: REP STOSW and
 * REP MOVSD across several pages (the TLB fast path must split runs at
 * linear page boundaries, not at offset ones). */
static void real_mode_unaligned_bases(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	struct cpu *cpu = tm->cpu;
	static const uint8_t stosw[] = { 0xf3, 0xab, 0xf4 }, movsd[] = { 0xf3, 0x66, 0xa5, 0xf4 };

	(void)state;
	cpu->seg[SEG_ES].sel = 0x1234;
	cpu->seg[SEG_ES].base = 0x12340;
	cpu->gpr[R_RDI] = 0x10;
	cpu->gpr[R_RCX] = 0x1900;
	cpu->gpr[R_RAX] = 0xa55a;
	tm_code(tm, stosw, sizeof(stosw));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(cpu->gpr[R_RDI], 0x10 + 0x3200);
	assert_int_equal(cpu->gpr[R_RCX], 0);
	for (uint64_t a = 0x12350; a < 0x12350 + 0x3200; a += 2)
		if (tm_read(tm, a, 2) != 0xa55a)
			fail_msg("word at %#llx not stored", (unsigned long long)a);
	assert_int_equal(tm_read(tm, 0x12350 + 0x3200, 2), 0);

	for (uint64_t i = 0; i < 0x2000; i += 4)
		tm_write(tm, 0x40008 + i, 4, 0x01000000 + i);
	cpu->seg[SEG_DS].base = 0x40008;
	cpu->gpr[R_RSI] = 0;
	cpu->gpr[R_RDI] = 0x4000;
	cpu->gpr[R_RCX] = 0x800;
	cpu->halted = false;
	tm_code(tm, movsd, sizeof(movsd));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	for (uint64_t i = 0; i < 0x2000; i += 4)
		if (tm_read(tm, 0x12340 + 0x4000 + i, 4) != 0x01000000 + i)
			fail_msg("dword %#llx not copied", (unsigned long long)i);
	assert_int_equal(cpu->gpr[R_RSI], 0x2000);
	assert_int_equal(cpu->gpr[R_RDI], 0x6000);
	tm_free(tm);
}

/* Replace the 2M mapping of TM_DATA with 4K pages, one of them not
 * present, so that a string operation faults in its middle. */
static void map_data_4k(struct tm *tm, uint64_t hole)
{
	const uint64_t pt = 0x13000;

	for (uint64_t i = 0; i < 512; i++) {
		uint64_t pa = TM_DATA + (i << 12);

		tm_write(tm, pt + 8 * i, 8, pa == hole ? 0 : pa | PTE_P | PTE_W | PTE_U);
	}
	tm_write(tm, 0x12000 + 8 * (TM_DATA >> 21), 8, pt | PTE_P | PTE_W | PTE_U);
	tlb_flush_all(tm->cpu);
}

/* A #PF in the middle of REP MOVS leaves rCX/rSI/rDI at the faulting
 * iteration and RIP at the instruction (SDM Vol. 2 "REP": "the
 * instruction can be restarted"), for both directions and for a fault on
 * the source as well as on the destination. */
static void rep_fault_midway(void **state)
{
	static const uint8_t movsb[] = { 0xf3, 0xa4 }, movsd[] = { 0xf3, 0xa5 };
	const uint64_t hole = TM_DATA + 0x3000;
	struct tm *tm;

	(void)state;
	/* Destination runs into the hole going up. */
	tm = tm_new(TM_LONG64);
	map_data_4k(tm, hole);
	tm->cpu->gpr[R_RSI] = TM_DATA;
	tm->cpu->gpr[R_RDI] = hole - 0x10;
	tm->cpu->gpr[R_RCX] = 0x40;
	tm_write(tm, TM_DATA + 0xf, 1, 0x5c);
	assert_int_equal(hx_exec1(tm, movsb, sizeof(movsb)), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_PF);
	assert_int_equal(tm->cpu->fault.error, PFEC_W);
	assert_int_equal(tm->cpu->fault.cr2, hole);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0x30);
	assert_int_equal(tm->cpu->gpr[R_RSI], TM_DATA + 0x10);
	assert_int_equal(tm->cpu->gpr[R_RDI], hole);
	assert_int_equal(tm->cpu->rip, TM_CODE);
	assert_int_equal(tm_read(tm, hole - 1, 1), 0x5c);
	tm_free(tm);

	/* Source runs into the hole going down (DF = 1), 4 bytes at a time. */
	tm = tm_new(TM_LONG64);
	map_data_4k(tm, hole);
	flags_write(tm->cpu, RFLAGS_DF);
	tm->cpu->gpr[R_RSI] = hole + 0x1000 + 0x8;
	tm->cpu->gpr[R_RDI] = TM_DATA + 0x100;
	tm->cpu->gpr[R_RCX] = 0x10;
	assert_int_equal(hx_exec1(tm, movsd, sizeof(movsd)), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_PF);
	assert_int_equal(tm->cpu->fault.error, 0);
	/* hole+0x1008, +0x1004, +0x1000 succeed; hole+0xffc faults. */
	assert_int_equal(tm->cpu->fault.cr2, hole + 0xffc);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0x10 - 3);
	assert_int_equal(tm->cpu->gpr[R_RSI], hole + 0xffc);
	assert_int_equal(tm->cpu->gpr[R_RDI], TM_DATA + 0x100 - 12);
	tm_free(tm);
}

static uint8_t port_log[64];
static unsigned port_n;
static uint32_t port_ctr = 0x100;

static uint32_t pio_rd(void *opaque, uint16_t port, unsigned size)
{
	(void)opaque; (void)port; (void)size;
	return port_ctr++;
}

static void pio_wr(void *opaque, uint16_t port, unsigned size, uint32_t val)
{
	(void)opaque; (void)port;
	for (unsigned i = 0; i < size && port_n < sizeof(port_log); i++)
		port_log[port_n++] = (uint8_t)(val >> (8 * i));
}

/* REP INSW / REP OUTSB through a port device; INS probes its destination
 * before reading the port, so a faulting store loses no input. */
static void ins_outs(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t outsb[] = { 0xf3, 0x6e }, insw[] = { 0xf3, 0x66, 0x6d },
	                     insd_rexw[] = { 0x48, 0x6d };

	(void)state;
	assert_int_equal(bus_add_pio(tm->bus, 0x90, 0x93, pio_rd, pio_wr, NULL), 0);
	tm->cpu->gpr[R_RDX] = 0x90;
	tm->cpu->gpr[R_RSI] = TM_DATA;
	tm->cpu->gpr[R_RCX] = 3;
	tm_write(tm, TM_DATA, 4, 0x04030201);
	assert_int_equal(hx_exec1(tm, outsb, sizeof(outsb)), X_OK);
	assert_int_equal(port_n, 3);
	assert_int_equal(port_log[0], 1);
	assert_int_equal(port_log[2], 3);
	assert_int_equal(tm->cpu->gpr[R_RSI], TM_DATA + 3);

	tm->cpu->gpr[R_RDI] = TM_DATA + 0x20;
	tm->cpu->gpr[R_RCX] = 2;
	assert_int_equal(hx_exec1(tm, insw, sizeof(insw)), X_OK);
	assert_int_equal(tm_read(tm, TM_DATA + 0x20, 4), 0x01010100);
	assert_int_equal(tm->cpu->gpr[R_RDI], TM_DATA + 0x24);
	/* REX.W does not make INS 64-bit. */
	assert_int_equal(hx_exec1(tm, insd_rexw, sizeof(insd_rexw)), X_OK);
	assert_int_equal(tm->cpu->gpr[R_RDI], TM_DATA + 0x28);
	assert_int_equal(tm_read(tm, TM_DATA + 0x24, 4), 0x102);

	/* Destination not present: no port read happens. */
	map_data_4k(tm, TM_DATA + 0x1000);
	tm->cpu->gpr[R_RDI] = TM_DATA + 0x1000;
	tm->cpu->gpr[R_RCX] = 1;
	assert_int_equal(hx_exec1(tm, insw, sizeof(insw)), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_PF);
	assert_int_equal(port_ctr, 0x103);
	tm_free(tm);
}

/* MOVSD/CMPSD with the 0F escape are SSE2, not string instructions. */
static void sse_movsd_is_not_a_string(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t movsd_xmm[] = { 0xf2, 0x0f, 0x10, 0xc1 };

	(void)state;
	tm->cpu->gpr[R_RCX] = 5;
	assert_int_equal(hx_exec1(tm, movsd_xmm, sizeof(movsd_xmm)), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_UD);
	assert_int_equal(tm->cpu->gpr[R_RCX], 5);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strings_vs_host),
		cmocka_unit_test(rep_termination_vs_host),
		cmocka_unit_test(rep_overlap_and_long_vs_host),
		cmocka_unit_test(rep_bounded_per_call),
		cmocka_unit_test(rep_single_step),
		cmocka_unit_test(rep_stos_over_own_block),
		cmocka_unit_test(addr32_in_64),
		cmocka_unit_test(addr16_wrap_and_override),
		cmocka_unit_test(real_mode_unaligned_bases),
		cmocka_unit_test(rep_fault_midway),
		cmocka_unit_test(ins_outs),
		cmocka_unit_test(sse_movsd_is_not_a_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
