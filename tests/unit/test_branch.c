/* Near branches (ops_branch.c): conditions and counts against the host CPU
 * (hostexec.h); CALL/RET, operand-size truncation, CS-limit and canonical
 * checks against SDM Vol. 2 "JMP", "Jcc", "CALL", "RET", "LOOP/LOOPcc". */
#include "hostexec.h"

#include "cpu/insn.h"

static const uint32_t flag_sets[] = {
	0, RFLAGS_CF, RFLAGS_ZF, RFLAGS_SF, RFLAGS_OF, RFLAGS_SF | RFLAGS_OF, RFLAGS_PF,
	RFLAGS_CF | RFLAGS_ZF, RFLAGS_ZF | RFLAGS_SF, RFLAGS_ARITH,
};

/* "jcc +2; mov al,1": AL tells whether the branch was taken. */
static void jcc_vs_host(void **state)
{
	(void)state;
	for (unsigned cc = 0; cc < 16; cc++)
		for (size_t f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++) {
			struct hx_vec v[] = {
				{ "jcc rel8", HX_CODE((uint8_t)(0x70 + cc), 0x02, 0xb0, 0x01) },
				{ "jcc rel32", HX_CODE(0x0f, (uint8_t)(0x80 + cc), 0x02, 0, 0, 0, 0xb0, 0x01) },
				{ "setcc then jcc", HX_CODE(0x0f, (uint8_t)(0x90 + cc), 0xc1,
				                            (uint8_t)(0x70 + (cc ^ 1)), 0x02, 0xb0, 0x01) },
			};

			for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
				v[i].flags = flag_sets[f];
			hx_check_all(v, sizeof(v) / sizeof(v[0]));
		}
}

/* LOOP/LOOPE/LOOPNE and JRCXZ/JECXZ with 64- and 32-bit counts. */
static void loop_jrcxz_vs_host(void **state)
{
	static const uint64_t counts[] = { 0, 1, 2, 0x100000000ull, 0x100000001ull, ~0ull };
	static const uint8_t opc[] = { 0xe0, 0xe1, 0xe2, 0xe3 };

	(void)state;
	for (size_t o = 0; o < sizeof(opc); o++)
		for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
			for (int zf = 0; zf < 2; zf++) {
				struct hx_vec v[] = {
					{ "loop/jrcxz", HX_CODE(opc[o], 0x02, 0xb0, 0x01) },
					{ "loop/jecxz a32", HX_CODE(0x67, opc[o], 0x02, 0xb0, 0x01) },
				};

				for (int i = 0; i < 2; i++) {
					v[i].r[R_RCX] = counts[c];
					v[i].flags = zf ? RFLAGS_ZF : 0;
				}
				hx_check_all(v, 2);
			}
}

/* A counted loop through the run loop: sum 1..10 with LEA and LOOP. */
static void loop_program(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	/* mov ecx,10; xor-free: mov eax,0; l: lea eax,[rax+rcx]; loop l; hlt */
	static const uint8_t code[] = { 0xb9, 0x0a, 0, 0, 0, 0xb8, 0, 0, 0, 0,
	                                0x8d, 0x04, 0x08, 0xe2, 0xfb, 0xf4 };

	(void)state;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 100), STOP_HALT);
	assert_int_equal(tm->cpu->gpr[R_RAX], 55);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0);
	assert_int_equal(tm->cpu->icount, 2 + 20 + 1);
	tm_free(tm);
}

/* CALL and RET in 64-bit mode, relative and indirect, with RET imm16;
 * 66h does not shrink them (Intel). */
static void call_ret_64(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t call_rel[] = { 0xe8, 0x10, 0x00, 0x00, 0x00 };
	static const uint8_t call_rax[] = { 0xff, 0xd0 }, call_rax16[] = { 0x66, 0xff, 0xd0 };
	static const uint8_t call_mem[] = { 0xff, 0x16 };
	static const uint8_t ret[] = { 0xc3 }, ret16[] = { 0x66, 0xc3 }, ret_imm[] = { 0xc2, 0x10, 0x00 };
	static const uint8_t jmp_rax[] = { 0xff, 0xe0 }, jmp_mem[] = { 0xff, 0x26 };
	static const uint8_t jmp_rel8[] = { 0xeb, 0x80 };

	(void)state;
	assert_int_equal(hx_exec1(tm, call_rel, sizeof(call_rel)), X_JUMP);
	assert_int_equal(cpu->rip, TM_CODE + 5 + 0x10);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK - 8);
	assert_int_equal(tm_read(tm, TM_STACK - 8, 8), TM_CODE + 5);

	cpu->gpr[R_RAX] = 0x123456789a;
	assert_int_equal(hx_exec1(tm, call_rax, sizeof(call_rax)), X_JUMP);
	assert_int_equal(cpu->rip, 0x123456789a);
	assert_int_equal(tm_read(tm, TM_STACK - 16, 8), TM_CODE + 2);
	assert_int_equal(hx_exec1(tm, call_rax16, sizeof(call_rax16)), X_JUMP);
	assert_int_equal(cpu->rip, 0x123456789a);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK - 24);

	cpu->gpr[R_RSI] = TM_DATA;
	tm_write(tm, TM_DATA, 8, 0x4000);
	assert_int_equal(hx_exec1(tm, call_mem, sizeof(call_mem)), X_JUMP);
	assert_int_equal(cpu->rip, 0x4000);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK - 32);

	assert_int_equal(hx_exec1(tm, ret, sizeof(ret)), X_JUMP);
	assert_int_equal(cpu->rip, TM_CODE + 2);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK - 24);
	assert_int_equal(hx_exec1(tm, ret16, sizeof(ret16)), X_JUMP);
	assert_int_equal(cpu->rip, TM_CODE + 3);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK - 16);
	assert_int_equal(hx_exec1(tm, ret_imm, sizeof(ret_imm)), X_JUMP);
	assert_int_equal(cpu->rip, TM_CODE + 2);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK - 8 + 0x10);

	assert_int_equal(hx_exec1(tm, jmp_rax, sizeof(jmp_rax)), X_JUMP);
	assert_int_equal(cpu->rip, 0x123456789a);
	assert_int_equal(hx_exec1(tm, jmp_mem, sizeof(jmp_mem)), X_JUMP);
	assert_int_equal(cpu->rip, 0x4000);
	assert_int_equal(hx_exec1(tm, jmp_rel8, sizeof(jmp_rel8)), X_JUMP);
	assert_int_equal(cpu->rip, TM_CODE + 2 - 0x80);
	tm_free(tm);
}

/* 66h on near CALL/JMP/Jcc in 64-bit mode: Intel ignores it (rel32
 * displacement, 64-bit return address, no truncation); the decoder widens
 * Capstone's AMD-style rel16. */
static void o16_branches_64_follow_intel(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t call[] = { 0x66, 0xe8, 0x10, 0x00, 0x01, 0x00 };
	static const uint8_t jmp[] = { 0x66, 0xe9, 0xf0, 0xff, 0xff, 0xff };
	static const uint8_t je[] = { 0x66, 0x0f, 0x84, 0x00, 0x10, 0x00, 0x00 };

	(void)state;
	assert_int_equal(hx_exec1(tm, call, sizeof(call)), X_JUMP);
	assert_int_equal(cpu->rip, TM_CODE + 6 + 0x10010);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK - 8);
	assert_int_equal(tm_read(tm, TM_STACK - 8, 8), TM_CODE + 6);
	assert_int_equal(hx_exec1(tm, jmp, sizeof(jmp)), X_JUMP);
	assert_int_equal(cpu->rip, TM_CODE + 6 - 0x10);
	flags_write(cpu, RFLAGS_ZF);
	assert_int_equal(hx_exec1(tm, je, sizeof(je)), X_JUMP);
	assert_int_equal(cpu->rip, TM_CODE + 7 + 0x1000);
	tm_free(tm);
}

/* Non-canonical targets raise #GP(0) with nothing committed (SDM Vol. 2
 * "JMP"/"CALL"/"RET", 64-bit mode exceptions). */
static void noncanonical_targets(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	struct cpu *cpu = tm->cpu;
	static const uint8_t jmp_rax[] = { 0xff, 0xe0 }, call_rax[] = { 0xff, 0xd0 }, ret[] = { 0xc3 };

	(void)state;
	cpu->gpr[R_RAX] = 0x0000800000000000ull;
	assert_int_equal(hx_exec1(tm, jmp_rax, sizeof(jmp_rax)), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_GP);
	assert_int_equal(cpu->rip, TM_CODE);
	assert_int_equal(hx_exec1(tm, call_rax, sizeof(call_rax)), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_GP);
	assert_int_equal(cpu->rip, TM_CODE);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK);
	assert_int_equal(tm_read(tm, TM_STACK - 8, 8), 0);
	tm_write(tm, TM_STACK, 8, 0xffff7fffffffffffull);
	assert_int_equal(hx_exec1(tm, ret, sizeof(ret)), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_GP);
	assert_int_equal(cpu->gpr[R_RSP], TM_STACK);
	/* A CALL whose push faults leaves RIP where it was. */
	cpu->gpr[R_RAX] = 0x1000;
	cpu->gpr[R_RSP] = 0x40000008;
	assert_int_equal(hx_exec1(tm, call_rax, sizeof(call_rax)), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_PF);
	assert_int_equal(cpu->rip, TM_CODE);
	assert_int_equal(cpu->gpr[R_RSP], 0x40000008);
	tm_free(tm);
}

/* 16-bit code: IP wraps at 64 KiB; with 66h the 32-bit EIP is checked
 * against the CS limit instead; CALL pushes 2 bytes; LOOP uses CX. */
static void branches_16bit(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	struct cpu *cpu = tm->cpu;
	static const uint8_t jmp_back[] = { 0xeb, 0xfd };                    /* jmp $-1 */
	static const uint8_t jmp32[] = { 0x66, 0xe9, 0xfd, 0xff, 0x00, 0x00 }; /* jmp rel32 */
	static const uint8_t call16[] = { 0xe8, 0xfd, 0xff };                /* call to 0 */
	static const uint8_t ret16[] = { 0xc3 };
	static const uint8_t loop16[] = { 0xe2, 0xfe };
	static const uint8_t loop_a32[] = { 0x67, 0xe2, 0xfd };

	(void)state;
	assert_int_equal(hx_exec1(tm, jmp_back, sizeof(jmp_back)), X_JUMP);
	assert_int_equal(cpu->rip, 0xffff);

	/* 0 + 6 + 0xfffd = 0x10003: beyond the 64 KiB limit, not wrapped. */
	assert_int_equal(hx_exec1(tm, jmp32, sizeof(jmp32)), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_GP);
	assert_int_equal(cpu->rip, 0);

	cpu->seg[SEG_SS].base = 0x30000;
	cpu->gpr[R_RSP] = 0x100;
	assert_int_equal(hx_exec1(tm, call16, sizeof(call16)), X_JUMP);
	assert_int_equal(cpu->rip, 0);
	assert_int_equal(cpu->gpr[R_RSP], 0xfe);
	assert_int_equal(tm_read(tm, 0x300fe, 2), 3);
	tm_write(tm, 0x300fe, 2, 0x1234);
	assert_int_equal(hx_exec1(tm, ret16, sizeof(ret16)), X_JUMP);
	assert_int_equal(cpu->rip, 0x1234);
	assert_int_equal(cpu->gpr[R_RSP], 0x100);

	cpu->gpr[R_RCX] = 0xabcd0000;
	assert_int_equal(hx_exec1(tm, loop16, sizeof(loop16)), X_JUMP);
	assert_int_equal(cpu->gpr[R_RCX], 0xabcdffff);
	assert_int_equal(cpu->rip, 0);
	cpu->gpr[R_RCX] = 0x10000;
	assert_int_equal(hx_exec1(tm, loop_a32, sizeof(loop_a32)), X_JUMP);
	assert_int_equal(cpu->gpr[R_RCX], 0xffff);
	tm_free(tm);
}

/* 32-bit code: targets beyond the CS limit are #GP(0) (SDM Vol. 2 "JMP":
 * "IF tempEIP is beyond code segment limit THEN #GP(0)"). */
static void cs_limit_32(void **state)
{
	struct tm *tm = tm_new(TM_PROT32);
	struct cpu *cpu = tm->cpu;
	static const uint8_t jmp_far_ahead[] = { 0xe9, 0x00, 0x00, 0x10, 0x00 };
	static const uint8_t jcc_not_taken[] = { 0x0f, 0x85, 0x00, 0x00, 0x10, 0x00 };

	(void)state;
	cpu->seg[SEG_CS].limit = 0x1fffff;
	assert_int_equal(hx_exec1(tm, jmp_far_ahead, sizeof(jmp_far_ahead)), X_FAULT);
	assert_int_equal(cpu->fault.vector, EXC_GP);
	flags_write(cpu, RFLAGS_ZF);
	/* Not taken: no check, no fault. */
	assert_int_equal(hx_exec1(tm, jcc_not_taken, sizeof(jcc_not_taken)), X_OK);
	cpu->seg[SEG_CS].limit = 0xffffffff;
	assert_int_equal(hx_exec1(tm, jmp_far_ahead, sizeof(jmp_far_ahead)), X_JUMP);
	assert_int_equal(cpu->rip, TM_CODE + 5 + 0x100000);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jcc_vs_host),
		cmocka_unit_test(loop_jrcxz_vs_host),
		cmocka_unit_test(loop_program),
		cmocka_unit_test(call_ret_64),
		cmocka_unit_test(o16_branches_64_follow_intel),
		cmocka_unit_test(noncanonical_targets),
		cmocka_unit_test(branches_16bit),
		cmocka_unit_test(cs_limit_32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
