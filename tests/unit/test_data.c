/* Data movement (ops_data.c): register/memory forms checked against the
 * host CPU (hostexec.h); segment, moffs and fault cases against the SDM. */
#include "hostexec.h"

#include "cpu/insn.h"

#define P(r) (1u << (r))
#define FULL 0x8877665544332211ull
#define NEG  0xfedcba9876543210ull

static const struct hx_vec mov_vecs[] = {
	{ "mov al,cl", HX_CODE(0x88, 0xc8), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "mov ah,cl", HX_CODE(0x88, 0xcc), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "mov ax,cx", HX_CODE(0x66, 0x89, 0xc8), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "mov eax,ecx", HX_CODE(0x89, 0xc8), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "mov rax,rcx", HX_CODE(0x48, 0x89, 0xc8), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "mov r9d,r10d", HX_CODE(0x45, 0x89, 0xd1), .r = { [9] = FULL, [10] = NEG } },
	{ "mov sil,cl", HX_CODE(0x40, 0x88, 0xce), .r = { [R_RSI] = FULL, [R_RCX] = NEG } },
	{ "mov [rsi],eax", HX_CODE(0x89, 0x06),
	  .r = { [R_RAX] = NEG, [R_RSI] = 8 }, .ptr = P(R_RSI) },
	{ "mov [rsi+rcx*2-4],ax", HX_CODE(0x66, 0x89, 0x44, 0x4e, 0xfc),
	  .r = { [R_RAX] = NEG, [R_RSI] = 64, [R_RCX] = 3 }, .ptr = P(R_RSI) },
	{ "mov rax,[rsi+8]", HX_CODE(0x48, 0x8b, 0x46, 0x08),
	  .r = { [R_RSI] = 0x100 }, .ptr = P(R_RSI) },
	{ "mov eax,[rsi]", HX_CODE(0x8b, 0x06),
	  .r = { [R_RAX] = FULL, [R_RSI] = 0x33 }, .ptr = P(R_RSI) },
	{ "mov al,imm", HX_CODE(0xb0, 0x9a), .r = { [R_RAX] = FULL } },
	{ "mov ax,imm", HX_CODE(0x66, 0xb8, 0x34, 0x92), .r = { [R_RAX] = FULL } },
	{ "mov eax,imm", HX_CODE(0xb8, 0x78, 0x56, 0x34, 0x92), .r = { [R_RAX] = FULL } },
	{ "mov rax,imm32 sx", HX_CODE(0x48, 0xc7, 0xc0, 0xfe, 0xff, 0xff, 0xff),
	  .r = { [R_RAX] = 7 } },
	{ "movabs rax,imm64", HX_CODE(0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 0x88) },
	{ "mov byte [rsi],imm", HX_CODE(0xc6, 0x06, 0x55), .r = { [R_RSI] = 9 }, .ptr = P(R_RSI) },
	{ "mov qword [rsi],imm", HX_CODE(0x48, 0xc7, 0x06, 0x00, 0x00, 0x00, 0x80),
	  .r = { [R_RSI] = 16 }, .ptr = P(R_RSI) },
	{ "movzx eax,cl", HX_CODE(0x0f, 0xb6, 0xc1), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "movzx ax,cl", HX_CODE(0x66, 0x0f, 0xb6, 0xc1), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "movzx rax,cx", HX_CODE(0x48, 0x0f, 0xb7, 0xc1), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "movzx eax,ch", HX_CODE(0x0f, 0xb6, 0xc5), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "movzx eax,word [rsi]", HX_CODE(0x0f, 0xb7, 0x06),
	  .r = { [R_RSI] = 0x71 }, .ptr = P(R_RSI) },
	{ "movsx eax,cl", HX_CODE(0x0f, 0xbe, 0xc1), .r = { [R_RAX] = FULL, [R_RCX] = 0x80 } },
	{ "movsx ax,cl", HX_CODE(0x66, 0x0f, 0xbe, 0xc1), .r = { [R_RAX] = FULL, [R_RCX] = 0xf0 } },
	{ "movsx rax,cx", HX_CODE(0x48, 0x0f, 0xbf, 0xc1),
	  .r = { [R_RAX] = FULL, [R_RCX] = 0x8001 } },
	{ "movsx rax,cx +", HX_CODE(0x48, 0x0f, 0xbf, 0xc1),
	  .r = { [R_RAX] = FULL, [R_RCX] = 0x7001 } },
	{ "movsx rax,byte [rsi]", HX_CODE(0x48, 0x0f, 0xbe, 0x06),
	  .r = { [R_RSI] = 0x12 }, .ptr = P(R_RSI) },
	{ "movsxd rax,ecx", HX_CODE(0x48, 0x63, 0xc1),
	  .r = { [R_RAX] = FULL, [R_RCX] = 0x80000000 } },
	{ "movsxd rax,[rsi]", HX_CODE(0x48, 0x63, 0x06), .r = { [R_RSI] = 0x3c }, .ptr = P(R_RSI) },
	{ "movsxd eax,ecx (no W)", HX_CODE(0x63, 0xc1), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "movsxd ax,cx (66)", HX_CODE(0x66, 0x63, 0xc1), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "lea eax,[rcx+rdx]", HX_CODE(0x8d, 0x04, 0x11),
	  .r = { [R_RAX] = FULL, [R_RCX] = NEG, [R_RDX] = FULL } },
	{ "lea eax,[ecx+edx] a32", HX_CODE(0x67, 0x8d, 0x04, 0x11),
	  .r = { [R_RAX] = FULL, [R_RCX] = NEG, [R_RDX] = FULL } },
	{ "lea rax,[ecx+edx] a32", HX_CODE(0x67, 0x48, 0x8d, 0x04, 0x11),
	  .r = { [R_RAX] = FULL, [R_RCX] = NEG, [R_RDX] = FULL } },
	{ "lea ax,[rcx+rdx]", HX_CODE(0x66, 0x8d, 0x04, 0x11),
	  .r = { [R_RAX] = FULL, [R_RCX] = NEG, [R_RDX] = FULL } },
	{ "lea rax,[rcx+rdx*4+16]", HX_CODE(0x48, 0x8d, 0x44, 0x91, 0x10),
	  .r = { [R_RAX] = FULL, [R_RCX] = NEG, [R_RDX] = FULL } },
	{ "xchg eax,ecx", HX_CODE(0x91), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "xchg rax,rcx", HX_CODE(0x48, 0x91), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "xchg ax,cx", HX_CODE(0x66, 0x91), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "xchg eax,r8d", HX_CODE(0x41, 0x90), .r = { [R_RAX] = FULL, [8] = NEG } },
	{ "xchg eax,eax (87)", HX_CODE(0x87, 0xc0), .r = { [R_RAX] = FULL } },
	{ "xchg cl,ah", HX_CODE(0x86, 0xe1), .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
	{ "xchg [rsi],eax", HX_CODE(0x87, 0x06),
	  .r = { [R_RAX] = FULL, [R_RSI] = 4 }, .ptr = P(R_RSI) },
	{ "lock xchg [rsi],rax", HX_CODE(0xf0, 0x48, 0x87, 0x06),
	  .r = { [R_RAX] = FULL, [R_RSI] = 4 },
	  .ptr = P(R_RSI) },
	{ "xadd eax,ecx", HX_CODE(0x0f, 0xc1, 0xc8), .r = { [R_RAX] = 0xffffffff, [R_RCX] = 1 } },
	{ "xadd rax,rcx", HX_CODE(0x48, 0x0f, 0xc1, 0xc8),
	  .r = { [R_RAX] = 0x7fffffffffffffff, [R_RCX] = 1 } },
	{ "xadd al,cl", HX_CODE(0x0f, 0xc0, 0xc8), .r = { [R_RAX] = 0x1288, [R_RCX] = 0x3488 } },
	{ "xadd eax,eax", HX_CODE(0x0f, 0xc1, 0xc0), .r = { [R_RAX] = FULL } },
	{ "lock xadd [rsi],eax", HX_CODE(0xf0, 0x0f, 0xc1, 0x06),
	  .r = { [R_RAX] = NEG, [R_RSI] = 8 },
	  .ptr = P(R_RSI) },
	/* The dword at data offset 0 is 0x160f0801 (hx_pattern). */
	{ "cmpxchg [rsi],ecx eq", HX_CODE(0x0f, 0xb1, 0x0e), .r = { [R_RAX] = 0xaa000000160f0801ull,
	  [R_RCX] = NEG }, .ptr = P(R_RSI) },
	{ "cmpxchg [rsi],ecx ne", HX_CODE(0x0f, 0xb1, 0x0e), .r = { [R_RAX] = FULL, [R_RCX] = NEG },
	  .ptr = P(R_RSI) },
	{ "lock cmpxchg [rsi],rcx ne", HX_CODE(0xf0, 0x48, 0x0f, 0xb1, 0x0e),
	  .r = { [R_RAX] = FULL, [R_RCX] = NEG },
	  .ptr = P(R_RSI) },
	{ "cmpxchg [rsi],cl eq", HX_CODE(0x0f, 0xb0, 0x0e),
	  .r = { [R_RAX] = 0x101, [R_RCX] = 0x77 },
	  .ptr = P(R_RSI) },
	{ "cmpxchg [rsi],cx ne", HX_CODE(0x66, 0x0f, 0xb1, 0x0e),
	  .r = { [R_RAX] = 0x0802, [R_RCX] = 0x77 },
	  .ptr = P(R_RSI) },
	{ "cmpxchg edx,ecx eq", HX_CODE(0x0f, 0xb1, 0xca),
	  .r = { [R_RAX] = 5, [R_RDX] = 0x5, [R_RCX] = NEG } },
	/* Failure with a register destination: RDX keeps its upper half. */
	{ "cmpxchg edx,ecx ne", HX_CODE(0x0f, 0xb1, 0xca),
	  .r = { [R_RAX] = FULL, [R_RDX] = NEG, [R_RCX] = NEG } },
	{ "cmpxchg8b eq", HX_CODE(0x0f, 0xc7, 0x0e),
	  .r = { [R_RAX] = 0x160f0801, [R_RDX] = 0x322b241d,
	  [R_RBX] = FULL, [R_RCX] = NEG }, .ptr = P(R_RSI) },
	{ "cmpxchg8b ne", HX_CODE(0x0f, 0xc7, 0x0e), .r = { [R_RAX] = FULL, [R_RDX] = NEG,
	  [R_RBX] = 1, [R_RCX] = 2 }, .ptr = P(R_RSI), .flags = RFLAGS_CF | RFLAGS_ZF },
	{ "lock cmpxchg16b ne", HX_CODE(0xf0, 0x48, 0x0f, 0xc7, 0x0e),
	  .r = { [R_RAX] = FULL, [R_RDX] = NEG,
	  [R_RBX] = 1, [R_RCX] = 2, [R_RSI] = 0x20 }, .ptr = P(R_RSI), .flags = RFLAGS_SF },
	{ "cbw", HX_CODE(0x66, 0x98), .r = { [R_RAX] = 0x1111111111111180ull } },
	{ "cwde", HX_CODE(0x98), .r = { [R_RAX] = 0x111111111111f000ull } },
	{ "cdqe", HX_CODE(0x48, 0x98), .r = { [R_RAX] = 0x1111111180000000ull } },
	{ "cdqe +", HX_CODE(0x48, 0x98), .r = { [R_RAX] = 0x111111117fffffffull } },
	{ "cwd", HX_CODE(0x66, 0x99), .r = { [R_RAX] = 0x8000, [R_RDX] = FULL } },
	{ "cdq", HX_CODE(0x99), .r = { [R_RAX] = 0x80000000, [R_RDX] = FULL } },
	{ "cdq +", HX_CODE(0x99), .r = { [R_RAX] = 0x7fffffff, [R_RDX] = FULL } },
	{ "cqo", HX_CODE(0x48, 0x99), .r = { [R_RAX] = NEG, [R_RDX] = 0 } },
	{ "xlat", HX_CODE(0xd7), .r = { [R_RAX] = FULL | 0xf0, [R_RBX] = 0x100 }, .ptr = P(R_RBX) },
	{ "movbe eax,[rsi]", HX_CODE(0x0f, 0x38, 0xf0, 0x06),
	  .r = { [R_RAX] = FULL, [R_RSI] = 3 }, .ptr = P(R_RSI) },
	{ "movbe ax,[rsi]", HX_CODE(0x66, 0x0f, 0x38, 0xf0, 0x06),
	  .r = { [R_RAX] = FULL, [R_RSI] = 3 },
	  .ptr = P(R_RSI) },
	{ "movbe [rsi],rax", HX_CODE(0x48, 0x0f, 0x38, 0xf1, 0x06),
	  .r = { [R_RAX] = FULL, [R_RSI] = 3 },
	  .ptr = P(R_RSI) },
};

static void mov_family_vs_host(void **state)
{
	(void)state;
	hx_check_all(mov_vecs, sizeof(mov_vecs) / sizeof(mov_vecs[0]));
}

/* Flag settings that make every condition both true and false somewhere. */
static const uint32_t flag_sets[] = {
	0, RFLAGS_CF, RFLAGS_ZF, RFLAGS_SF, RFLAGS_OF, RFLAGS_SF | RFLAGS_OF, RFLAGS_PF,
	RFLAGS_CF | RFLAGS_ZF, RFLAGS_ZF | RFLAGS_SF, RFLAGS_ARITH,
};

/* SETcc and CMOVcc for all 16 conditions, register and memory forms,
 * including CMOV's zero-extension of a 32-bit destination when false. */
static void setcc_cmovcc_vs_host(void **state)
{
	(void)state;
	for (unsigned cc = 0; cc < 16; cc++) {
		for (size_t f = 0; f < sizeof(flag_sets) / sizeof(flag_sets[0]); f++) {
			struct hx_vec v[] = {
				{ "setcc al", HX_CODE(0x0f, (uint8_t)(0x90 + cc), 0xc0),
				  .r = { [R_RAX] = FULL } },
				{ "setcc [rsi]", HX_CODE(0x0f, (uint8_t)(0x90 + cc), 0x06),
				  .r = { [R_RSI] = 5 },
				  .ptr = P(R_RSI) },
				{ "cmovcc eax,ecx", HX_CODE(0x0f, (uint8_t)(0x40 + cc), 0xc1),
				  .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
				{ "cmovcc rax,[rsi]", HX_CODE(0x48, 0x0f, (uint8_t)(0x40 + cc), 0x06),
				  .r = { [R_RAX] = FULL, [R_RSI] = 0x40 }, .ptr = P(R_RSI) },
				{ "cmovcc ax,cx", HX_CODE(0x66, 0x0f, (uint8_t)(0x40 + cc), 0xc1),
				  .r = { [R_RAX] = FULL, [R_RCX] = NEG } },
			};

			for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
				v[i].flags = flag_sets[f];
			hx_check_all(v, sizeof(v) / sizeof(v[0]));
		}
	}
}

/* CMPXCHG and XADD flags over boundary values (all six flags are defined
 * for both: SDM Vol. 2 "CMPXCHG" and "XADD"). */
static void cmpxchg_xadd_flags_vs_host(void **state)
{
	static const uint64_t vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
	                                 0x80000000, 0xffffffff, 0x7fffffffffffffff,
	                                 0x8000000000000000, ~0ull, 0x0f0f0f0f0f0f0f10 };
	const size_t n = sizeof(vals) / sizeof(vals[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			struct hx_vec v[] = {
				{ "cmpxchg ecx,edx", HX_CODE(0x0f, 0xb1, 0xd1) },
				{ "cmpxchg cl,dl", HX_CODE(0x0f, 0xb0, 0xd1) },
				{ "cmpxchg cx,dx", HX_CODE(0x66, 0x0f, 0xb1, 0xd1) },
				{ "cmpxchg rcx,rdx", HX_CODE(0x48, 0x0f, 0xb1, 0xd1) },
				{ "xadd ecx,edx", HX_CODE(0x0f, 0xc1, 0xd1) },
				{ "xadd cl,dl", HX_CODE(0x0f, 0xc0, 0xd1) },
				{ "xadd rcx,rdx", HX_CODE(0x48, 0x0f, 0xc1, 0xd1) },
			};

			for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
				v[k].r[R_RAX] = vals[i];
				/* Equal and unequal comparisons both occur. */
				v[k].r[R_RCX] = (j & 1) ? vals[i] : vals[j];
				v[k].r[R_RDX] = vals[j] ^ 0x5a5a;
			}
			hx_check_all(v, sizeof(v) / sizeof(v[0]));
		}
	}
}

/* MOV to/from segment registers (SDM Vol. 2 "MOV"). */
static void mov_sreg(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	/* mov ax,0x1234; mov ds,ax; mov bx,ds; mov [0x10],ds; mov ss,ax */
	static const uint8_t code[] = { 0xb8, 0x34, 0x12, 0x8e, 0xd8, 0x8c, 0xdb, 0x8c, 0x1e, 0x10, 0x00,
	                                0x8e, 0xd0, 0xf4 };
	static const uint8_t mov_cs[] = { 0x8e, 0xc8 };

	(void)state;
	tm->cpu->gpr[R_RBX] = 0xabcd0000;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 4), STOP_BUDGET);
	assert_int_equal(tm->cpu->seg[SEG_DS].sel, 0x1234);
	assert_int_equal(tm->cpu->seg[SEG_DS].base, 0x12340);
	/* 16-bit destination merges. */
	assert_int_equal(tm->cpu->gpr[R_RBX], 0xabcd1234);
	assert_int_equal(tm_read(tm, 0x12340 + 0x10, 2), 0x1234);
	assert_int_equal(tm_run(tm, 1), STOP_BUDGET);
	assert_int_equal(tm->cpu->seg[SEG_SS].base, 0x12340);
	assert_int_equal(tm->cpu->intr_shadow, 1);
	/* MOV CS is #UD. */
	assert_int_equal(hx_exec1(tm, mov_cs, sizeof(mov_cs)), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_UD);
	tm_free(tm);

	/* 64-bit mode: a 32- or 64-bit destination is zero-extended, a 16-bit
	 * one merges. */
	tm = tm_new(TM_LONG64);
	{
		static const uint8_t m32[] = { 0x8c, 0xd8 }, m64[] = { 0x48, 0x8c, 0xd9 },
		                     m16[] = { 0x66, 0x8c, 0xda };

		tm->cpu->gpr[R_RAX] = tm->cpu->gpr[R_RCX] = tm->cpu->gpr[R_RDX] = FULL;
		assert_int_equal(hx_exec1(tm, m32, sizeof(m32)), X_OK);
		assert_int_equal(hx_exec1(tm, m64, sizeof(m64)), X_OK);
		assert_int_equal(hx_exec1(tm, m16, sizeof(m16)), X_OK);
		assert_int_equal(tm->cpu->gpr[R_RAX], TM_SEL_DATA);
		assert_int_equal(tm->cpu->gpr[R_RCX], TM_SEL_DATA);
		assert_int_equal(tm->cpu->gpr[R_RDX], (FULL & ~0xffffull) | TM_SEL_DATA);
	}
	tm_free(tm);
}

/* MOV to/from CR and DR share X86_INS_MOV and are dispatched to cr.c; a
 * CR write leaves the block (X_JUMP past the instruction). */
static void mov_cr_dispatch(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t from_cr0[] = { 0x0f, 0x20, 0xc0 }, to_cr0[] = { 0x0f, 0x22, 0xc0 };
	static const uint8_t from_dr7[] = { 0x0f, 0x21, 0xf9 }, to_cr1[] = { 0x0f, 0x22, 0xc8 };

	(void)state;
	assert_int_equal(hx_exec1(tm, from_cr0, sizeof(from_cr0)), X_OK);
	assert_int_equal(tm->cpu->gpr[R_RAX], tm->cpu->cr0);
	assert_int_equal(hx_exec1(tm, to_cr0, sizeof(to_cr0)), X_JUMP);
	assert_int_equal(tm->cpu->rip, TM_CODE + 3);
	tm->cpu->dr[7] = 0x400;
	assert_int_equal(hx_exec1(tm, from_dr7, sizeof(from_dr7)), X_OK);
	assert_int_equal(tm->cpu->gpr[R_RCX], 0x400);
	/* CR1 does not exist: #UD. */
	assert_int_equal(hx_exec1(tm, to_cr1, sizeof(to_cr1)), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_UD);
	tm_free(tm);
}

/* moffs forms: the offset is an absolute effective address at the
 * address size (SDM Vol. 2 "MOV", A0-A3). */
static void mov_moffs(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	/* movabs rax,[TM_DATA+8]; mov [TM_DATA] (a32),eax; mov al,[TM_DATA+2] (a32) */
	static const uint8_t code[] = {
		0x48, 0xa1, 0x08, 0x00, 0x20, 0, 0, 0, 0, 0,
		0x67, 0xa3, 0x00, 0x00, 0x20, 0x00,
		0x67, 0xa0, 0x12, 0x00, 0x20, 0x00,
		0xf4,
	};

	(void)state;
	tm_write(tm, TM_DATA + 8, 8, 0x1122334455667788ull);
	tm_write(tm, TM_DATA + 0x12, 1, 0x99);
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	assert_int_equal(tm_read(tm, TM_DATA, 8), 0x55667788ull);
	assert_int_equal(tm->cpu->gpr[R_RAX], 0x1122334455667799ull);
	tm_free(tm);
}

/* CMPXCHG16B: #GP(0) for an operand not 16-byte aligned, with nothing
 * changed (SDM Vol. 2 "CMPXCHG8B/CMPXCHG16B"); CMPXCHG8B has no such
 * rule. */
static void cmpxchg16b_alignment(void **state)
{
	struct tm *tm = tm_new(TM_LONG64);
	static const uint8_t c16[] = { 0x48, 0x0f, 0xc7, 0x0e }, c8[] = { 0x0f, 0xc7, 0x0e };

	(void)state;
	tm->cpu->gpr[R_RSI] = TM_DATA + 8;
	tm->cpu->gpr[R_RAX] = 1;
	tm_write(tm, TM_DATA + 8, 8, 1);
	assert_int_equal(hx_exec1(tm, c16, sizeof(c16)), X_FAULT);
	assert_int_equal(tm->cpu->fault.vector, EXC_GP);
	assert_int_equal(tm->cpu->fault.error, 0);
	assert_int_equal(tm->cpu->gpr[R_RAX], 1);
	assert_int_equal(tm_read(tm, TM_DATA + 8, 8), 1);
	tm->cpu->gpr[R_RSI] = TM_DATA + 4;
	assert_int_equal(hx_exec1(tm, c8, sizeof(c8)), X_OK);
	/* Success case for CMPXCHG16B at an aligned address. */
	tm->cpu->gpr[R_RSI] = TM_DATA + 0x40;
	tm_write(tm, TM_DATA + 0x40, 8, 0x1111);
	tm_write(tm, TM_DATA + 0x48, 8, 0x2222);
	tm->cpu->gpr[R_RAX] = 0x1111;
	tm->cpu->gpr[R_RDX] = 0x2222;
	tm->cpu->gpr[R_RBX] = 0x3333;
	tm->cpu->gpr[R_RCX] = 0x4444;
	assert_int_equal(hx_exec1(tm, c16, sizeof(c16)), X_OK);
	assert_int_equal(tm_read(tm, TM_DATA + 0x40, 8), 0x3333);
	assert_int_equal(tm_read(tm, TM_DATA + 0x48, 8), 0x4444);
	assert_true(flags_zf(tm->cpu));
	tm_free(tm);
}

/* 16-bit code: LEA truncation and CBW/CWD, checked against the SDM. */
static void data_16bit(void **state)
{
	struct tm *tm = tm_new(TM_REAL);
	/* lea ax,[bx+si+0x10]; cwd; cwde (66h) */
	static const uint8_t code[] = { 0x8d, 0x40, 0x10, 0x99, 0x66, 0x98, 0xf4 };

	(void)state;
	tm->cpu->gpr[R_RBX] = 0xfff8;
	tm->cpu->gpr[R_RSI] = 0x8000;
	tm->cpu->gpr[R_RAX] = 0x12340000;
	tm->cpu->gpr[R_RDX] = 0x5555;
	tm_code(tm, code, sizeof(code));
	assert_int_equal(tm_run(tm, 10), STOP_HALT);
	/* (0xfff8 + 0x8000 + 0x10) & 0xffff = 0x8008: negative as a word. */
	assert_int_equal(tm->cpu->gpr[R_RDX], 0xffff);
	assert_int_equal(tm->cpu->gpr[R_RAX] & 0xffffffff, 0xffff8008);
	tm_free(tm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mov_family_vs_host),
		cmocka_unit_test(setcc_cmovcc_vs_host),
		cmocka_unit_test(cmpxchg_xadd_flags_vs_host),
		cmocka_unit_test(mov_sreg),
		cmocka_unit_test(mov_moffs),
		cmocka_unit_test(mov_cr_dispatch),
		cmocka_unit_test(cmpxchg16b_alignment),
		cmocka_unit_test(data_16bit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
