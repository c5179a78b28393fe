/* Differential oracle for unit tests: run the same instruction bytes on
 * the host CPU (x86-64) and in softvtx's 64-bit mode, from the same
 * registers, flags and data, and compare.
 *
 * The host side copies the bytes into an executable page followed by an
 * absolute jump back, loads every GPR except RSP and RFLAGS from a state
 * block, and stores them back afterwards.  Registers named in a vector's
 * `ptr` mask hold offsets into a 4 KiB data area: the host adds the
 * address of its buffer, the guest adds TM_DATA, and results are compared
 * after subtracting the base again.  Instructions under test must not
 * touch RSP or reach outside the data area.
 *
 * Header-only (static functions) because every tests/unit/test_*.c is its
 * own program. */
#ifndef SOFTVTX_TESTS_HOSTEXEC_H
#define SOFTVTX_TESTS_HOSTEXEC_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "cpu/decode.h"
#include "cpu/flags.h"
#include "fakebus.h"

#define HX_DATA 4096

struct hx_state {
	uint64_t gpr[16];
	uint64_t rflags;
};

struct hx_vec {
	const char *name;
	uint8_t code[15];
	uint8_t len;
	uint64_t r[16];       /* initial GPRs (RSP ignored) */
	uint16_t ptr;         /* bit i: r[i] is an offset into the data area */
	uint32_t flags;       /* initial arithmetic flags and DF */
	uint32_t fmask;       /* flags compared afterwards (0: all six + DF) */
	/* Data set-up on top of the pattern, applied on both sides in this
	 * order: fill, copy, poke (a length of 0 skips the step). */
	uint16_t fill_off, fill_len;
	uint8_t fill_val;
	uint16_t cp_src, cp_dst, cp_len;
	uint16_t poke_off, poke_len;
	uint8_t poke_val;
};

/* Globals shared with the assembly trampoline (RIP-relative). */
__attribute__((used)) struct hx_state *hx_st;
__attribute__((used)) void *hx_code;
__attribute__((used)) uint64_t hx_saved_rsp;

void hx_enter(void);
__asm__(
	".text\n"
	".globl hx_enter\n"
	"hx_enter:\n"
	"  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"  mov %rsp, hx_saved_rsp(%rip)\n"
	"  mov hx_st(%rip), %rax\n"
	"  pushq 128(%rax)\n popfq\n"
	"  mov 8(%rax), %rcx\n mov 16(%rax), %rdx\n mov 24(%rax), %rbx\n"
	"  mov 40(%rax), %rbp\n mov 48(%rax), %rsi\n mov 56(%rax), %rdi\n"
	"  mov 64(%rax), %r8\n mov 72(%rax), %r9\n mov 80(%rax), %r10\n mov 88(%rax), %r11\n"
	"  mov 96(%rax), %r12\n mov 104(%rax), %r13\n mov 112(%rax), %r14\n mov 120(%rax), %r15\n"
	"  mov 0(%rax), %rax\n"
	"  jmp *hx_code(%rip)\n"
	".globl hx_back\n"
	"hx_back:\n"
	"  pushfq\n"
	"  push %rax\n"
	"  mov hx_st(%rip), %rax\n"
	"  popq 0(%rax)\n"
	"  popq 128(%rax)\n"
	"  mov %rcx, 8(%rax)\n mov %rdx, 16(%rax)\n mov %rbx, 24(%rax)\n"
	"  mov %rbp, 40(%rax)\n mov %rsi, 48(%rax)\n mov %rdi, 56(%rax)\n"
	"  mov %r8, 64(%rax)\n mov %r9, 72(%rax)\n mov %r10, 80(%rax)\n mov %r11, 88(%rax)\n"
	"  mov %r12, 96(%rax)\n mov %r13, 104(%rax)\n mov %r14, 112(%rax)\n mov %r15, 120(%rax)\n"
	"  cld\n"
	"  mov hx_saved_rsp(%rip), %rsp\n"
	"  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
	"  ret\n");
void hx_back(void);

static __attribute__((unused)) uint8_t hx_buf[HX_DATA] __attribute__((aligned(4096)));

/* The data area's initial contents: no two bytes in the same 256-byte
 * window are equal, and different windows differ too. */
static __attribute__((unused)) uint8_t hx_pat(unsigned i)
{
	return (uint8_t)(i * 7 + (i >> 8) * 13 + 1);
}

static __attribute__((unused)) void hx_pattern(uint8_t *p, const struct hx_vec *v)
{
	for (unsigned i = 0; i < HX_DATA; i++)
		p[i] = hx_pat(i);
	if (v->fill_len)
		memset(p + v->fill_off, v->fill_val, v->fill_len);
	if (v->cp_len)
		memmove(p + v->cp_dst, p + v->cp_src, v->cp_len);
	if (v->poke_len)
		memset(p + v->poke_off, v->poke_val, v->poke_len);
}

/* Run on the host; the data area ends in hx_buf. */
static __attribute__((unused)) void hx_host(const struct hx_vec *v, struct hx_state *out)
{
	static uint8_t *page;
	uint64_t back = (uint64_t)(uintptr_t)hx_back;

	if (!page) {
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(page != MAP_FAILED);
	}
	memcpy(page, v->code, v->len);
	/* jmp qword ptr [rip+0]; .quad hx_back */
	page[v->len] = 0xff;
	page[v->len + 1] = 0x25;
	memset(page + v->len + 2, 0, 4);
	memcpy(page + v->len + 6, &back, 8);
	__builtin___clear_cache((char *)page, (char *)page + 64);
	hx_pattern(hx_buf, v);
	for (int i = 0; i < 16; i++)
		out->gpr[i] = v->r[i] + ((v->ptr >> i & 1) ? (uint64_t)(uintptr_t)hx_buf : 0);
	out->rflags = 0x202 | v->flags;
	hx_st = out;
	hx_code = page;
	hx_enter();
	for (int i = 0; i < 16; i++)
		if (v->ptr >> i & 1)
			out->gpr[i] -= (uint64_t)(uintptr_t)hx_buf;
}

/* Run in softvtx (64-bit mode); returns the machine for inspection. */
static __attribute__((unused)) struct tm *hx_guest(const struct hx_vec *v, struct hx_state *out)
{
	struct tm *tm = tm_new(TM_LONG64);
	uint8_t code[20], data[HX_DATA];

	memcpy(code, v->code, v->len);
	code[v->len] = 0xf4; /* HLT */
	tm_code(tm, code, v->len + 1u);
	hx_pattern(data, v);
	bus_write_bytes(tm->bus, TM_DATA, data, HX_DATA);
	for (int i = 0; i < 16; i++)
		if (i != R_RSP)
			tm->cpu->gpr[i] = v->r[i] + ((v->ptr >> i & 1) ? TM_DATA : 0);
	flags_write(tm->cpu, 0x2 | v->flags);
	assert_int_equal(tm_run(tm, 100000), STOP_HALT);
	for (int i = 0; i < 16; i++)
		out->gpr[i] = tm->cpu->gpr[i] - ((v->ptr >> i & 1) ? TM_DATA : 0);
	out->rflags = flags_read(tm->cpu);
	return tm;
}

/* Run one vector both ways and compare registers, flags and data. */
static __attribute__((unused)) void hx_check(const struct hx_vec *v)
{
	struct hx_state h, g;
	uint32_t fm = v->fmask ? v->fmask : (RFLAGS_ARITH | RFLAGS_DF);
	uint8_t gdata[HX_DATA];
	struct tm *tm;

	hx_host(v, &h);
	tm = hx_guest(v, &g);
	bus_read_bytes(tm->bus, TM_DATA, gdata, HX_DATA);
	for (int i = 0; i < 16; i++) {
		if (i == R_RSP)
			continue;
		if (h.gpr[i] != g.gpr[i]) {
			print_error("%s: gpr%d host %#llx softvtx %#llx\n", v->name, i,
			            (unsigned long long)h.gpr[i], (unsigned long long)g.gpr[i]);
			fail();
		}
	}
	if ((h.rflags & fm) != (g.rflags & fm)) {
		print_error("%s: rflags host %#llx softvtx %#llx (mask %#x)\n", v->name,
		            (unsigned long long)h.rflags, (unsigned long long)g.rflags, fm);
		fail();
	}
	for (unsigned i = 0; i < HX_DATA; i++) {
		if (gdata[i] != hx_buf[i]) {
			print_error("%s: data[%#x] host %#x softvtx %#x\n", v->name, i, hx_buf[i],
			            gdata[i]);
			fail();
		}
	}
	tm_free(tm);
}

/* Decode `code` for the current mode, point RIP at it and call its handler
 * once, as the run loop would after the central checks.  Returns the
 * handler's status; a fault is in tm->cpu->fault with nothing delivered,
 * so tests see exactly what the handler committed. */
static __attribute__((unused)) int hx_exec1(struct tm *tm, const uint8_t *code, size_t len)
{
	static struct decoder *d;
	struct insn in;

	if (!d)
		d = decode_new();
	tm_code(tm, code, len);
	assert_int_equal(decode_one(d, code, len, tm->cpu->code_size, &in), DEC_OK);
	return in.fn(tm->cpu, &in);
}

/* Instruction bytes and their count, for vector initialisers. */
#define HX_CODE(...) .code = { __VA_ARGS__ }, .len = sizeof((uint8_t[]){ __VA_ARGS__ })

static __attribute__((unused)) void hx_check_all(const struct hx_vec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hx_check(&v[i]);
}

#endif
