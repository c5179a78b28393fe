/* Native runner: cases on the host CPU.
 *
 * A forked child maps the case code page at OC_CODE, the data page at
 * OC_DATA (with unmapped pages on both sides) and a state page at
 * OC_STATE, then for each case writes
 *
 *   prologue: save the host's callee-saved registers and RSP; load RFLAGS
 *             (PUSH [in.rflags]; POPFQ) and all 16 GPRs from the state page
 *   the case's instruction
 *   epilogue: store the 16 GPRs, switch to a scratch stack, PUSHFQ, CLD,
 *             restore the host registers, RET
 *
 * and calls it.  A fault arrives as a signal on the alternate stack; the
 * handler takes the architectural facts from the ucontext (REG_TRAPNO is
 * the vector, REG_ERR the error code, REG_CR2 the #PF address, the GPRs
 * and RFLAGS at the fault) and siglongjmps back.  Results go to shared
 * memory; if the child dies, the parent marks that case as a harness error
 * and forks again for the rest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "oracle.h"

#define OC_STATE 0x40020000ull
#define ST_IN     0x000   /* 16 GPRs */
#define ST_INFL   0x080
#define ST_OUT    0x100   /* 16 GPRs */
#define ST_OUTFL  0x180
#define ST_HOSTSP 0x200
#define ST_HOST   0x208   /* RBX RBP R12 R13 R14 R15 */
#define ST_STACK  0x1000  /* scratch stack top (the page's end) */

static const uint8_t host_saved[6] = {3, 5, 12, 13, 14, 15};

/* MOV [disp32], reg64 (store) or MOV reg64, [disp32] (load), absolute. */
static uint8_t *emit_abs(uint8_t *p, int load, unsigned reg, uint32_t addr)
{
	*p++ = (uint8_t)(0x48 | (reg >= 8 ? 4 : 0));
	*p++ = load ? 0x8b : 0x89;
	*p++ = (uint8_t)(((reg & 7) << 3) | 4);
	*p++ = 0x25;
	memcpy(p, &addr, 4);
	return p + 4;
}

/* 32-bit code (compatibility mode): MOV [disp32], r32 / MOV r32, [disp32]. */
static uint8_t *emit_abs32(uint8_t *p, int load, unsigned reg, uint32_t addr)
{
	*p++ = load ? 0x8b : 0x89;
	*p++ = (uint8_t)(((reg & 7) << 3) | 5);
	memcpy(p, &addr, 4);
	return p + 4;
}

static uint8_t *emit_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

#define ST_FARPTR 0x240   /* m16:32 for the jump into compatibility mode */
#define SEL_CODE32 0x23   /* Linux x86-64: __USER32_CS */
#define SEL_CODE64 0x33   /* __USER_CS */

/* Where the case's instruction starts, set by build_page. */
static uint64_t case_start;

static size_t build_page(uint8_t *page, const struct oc_case *c)
{
	uint8_t *p = page;
	uint32_t st = (uint32_t)OC_STATE;

	for (unsigned i = 0; i < 6; i++)
		p = emit_abs(p, 0, host_saved[i], st + ST_HOST + 8 * i);
	p = emit_abs(p, 0, 4, st + ST_HOSTSP);
	if (c->compat) {
		/* JMP FAR [farptr] to CS 0x23; there: ESP on the scratch stack,
		 * PUSH [in.rflags]; POPFD, load the 8 GPRs, the case, store
		 * them, PUSHFD, and JMP FAR 0x33:back to 64-bit mode. */
		uint8_t *farptr = (uint8_t *)(uintptr_t)(OC_STATE + ST_FARPTR);
		uint32_t entry, back;

		/* A 64-bit Linux process runs with DS = ES = 0, which
		 * compatibility mode cannot use: load __USER_DS (0x2b). */
		*p++ = 0xb8;                         /* MOV EAX, 0x2b */
		p = emit_u32(p, 0x2b);
		*p++ = 0x8e;                         /* MOV DS, EAX */
		*p++ = 0xd8;
		*p++ = 0x8e;                         /* MOV ES, EAX */
		*p++ = 0xc0;
		*p++ = 0xff;
		*p++ = 0x2c;
		*p++ = 0x25;
		p = emit_u32(p, st + ST_FARPTR);
		entry = (uint32_t)(OC_CODE + (uint64_t)(p - page));
		memcpy(farptr, &entry, 4);
		farptr[4] = SEL_CODE32;
		farptr[5] = 0;
		*p++ = 0xbc;                         /* MOV ESP, imm32 */
		p = emit_u32(p, st + ST_STACK);
		*p++ = 0xff;                         /* PUSH dword [in.rflags] */
		*p++ = 0x35;
		p = emit_u32(p, st + ST_INFL);
		*p++ = 0x9d;                         /* POPFD */
		for (unsigned r = 0; r < 8; r++)
			p = emit_abs32(p, 1, r, st + ST_IN + 8 * r);
		case_start = OC_CODE + (uint64_t)(p - page);
		memcpy(p, c->code, c->len);
		p += c->len;
		for (unsigned r = 0; r < 8; r++)
			p = emit_abs32(p, 0, r, st + ST_OUT + 8 * r);
		*p++ = 0xbc;
		p = emit_u32(p, st + ST_STACK);
		*p++ = 0x9c;                         /* PUSHFD */
		*p++ = 0x58;                         /* POP EAX */
		p = emit_abs32(p, 0, 0, st + ST_OUTFL);
		*p++ = 0xea;                         /* JMP FAR ptr16:32 */
		back = (uint32_t)(OC_CODE + (uint64_t)(p - page) + 6);
		p = emit_u32(p, back);
		*p++ = SEL_CODE64;
		*p++ = 0;
	} else {
		*p++ = 0xff;                         /* PUSH qword [in.rflags] */
		*p++ = 0x34;
		*p++ = 0x25;
		p = emit_u32(p, st + ST_INFL);
		*p++ = 0x9d;                         /* POPFQ */
		for (unsigned r = 0; r < 16; r++)
			p = emit_abs(p, 1, r, st + ST_IN + 8 * r);
		case_start = OC_CODE + (uint64_t)(p - page);
		memcpy(p, c->code, c->len);
		p += c->len;
		for (unsigned r = 0; r < 16; r++)
			p = emit_abs(p, 0, r, st + ST_OUT + 8 * r);
		*p++ = 0xbc;                         /* MOV ESP, imm32 */
		p = emit_u32(p, st + ST_STACK);
		*p++ = 0x9c;                         /* PUSHFQ */
		*p++ = 0x58;                         /* POP RAX */
		p = emit_abs(p, 0, 0, st + ST_OUTFL);
	}
	*p++ = 0xfc;                         /* CLD */
	p = emit_abs(p, 1, 4, st + ST_HOSTSP);
	for (unsigned i = 0; i < 6; i++)
		p = emit_abs(p, 1, host_saved[i], st + ST_HOST + 8 * i);
	*p++ = 0xc3;                         /* RET */
	return (size_t)(p - page);
}

static sigjmp_buf fault_env;
static struct oc_result *fault_res;

static void on_signal(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;
	static const int map[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
	                            REG_RSI, REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11,
	                            REG_R12, REG_R13, REG_R14, REG_R15};
	struct oc_result *r = fault_res;

	(void)sig;
	for (unsigned i = 0; i < 16; i++)
		r->gpr[i] = (uint64_t)g[map[i]];
	r->rflags = (uint64_t)g[REG_EFL];
	r->rip = (uint64_t)g[REG_RIP] - case_start;
	r->fault = (uint8_t)g[REG_TRAPNO];
	r->error = (uint32_t)g[REG_ERR];
	r->cr2 = r->fault == 14 ? (uint64_t)si->si_addr : 0;
	siglongjmp(fault_env, 1);
}

static int map_fixed(uint64_t addr, int prot)
{
	void *p = mmap((void *)addr, OC_PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
	               -1, 0);

	return p == (void *)addr ? 0 : -1;
}

static void child(const struct oc_case *cases, struct oc_result *res, unsigned first, unsigned n,
                  volatile unsigned *done)
{
	static uint8_t altstack[65536];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa;
	uint8_t *code = (uint8_t *)OC_CODE, *data = (uint8_t *)OC_DATA;
	uint64_t *state = (uint64_t *)OC_STATE;

	if (map_fixed(OC_CODE, PROT_READ | PROT_WRITE | PROT_EXEC) ||
	    map_fixed(OC_DATA, PROT_READ | PROT_WRITE) || map_fixed(OC_STATE, PROT_READ | PROT_WRITE))
		_exit(3);
	/* The neighbours of the data page must be unmapped: probe them. */
	if (msync((void *)(OC_DATA - OC_PAGE), OC_PAGE, MS_ASYNC) == 0 ||
	    msync((void *)(OC_DATA + OC_PAGE), OC_PAGE, MS_ASYNC) == 0)
		_exit(4);
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	alarm(20);
	for (volatile unsigned i = first; i < n; i++) {
		const struct oc_case *c = &cases[i];
		struct oc_result *r = &res[i];

		memset(r, 0, offsetof(struct oc_result, mem));
		build_page(code, c);
		oc_mem_init(c, data);
		memcpy(state + ST_IN / 8, c->gpr, sizeof(c->gpr));
		state[ST_INFL / 8] = c->rflags;
		fault_res = r;
		if (sigsetjmp(fault_env, 1) == 0) {
			((void (*)(void))OC_CODE)();
			memcpy(r->gpr, state + ST_OUT / 8, sizeof(r->gpr));
			if (c->compat)
				memcpy(r->gpr + 8, c->gpr + 8, 8 * sizeof(r->gpr[0]));
			r->rflags = state[ST_OUTFL / 8];
			r->fault = OC_NOFAULT;
		}
		memcpy(r->mem, data, OC_PAGE);
		*done = i + 1;
	}
	_exit(0);
}

int oc_native_run(const struct oc_case *cases, struct oc_result *res, unsigned n, char *err,
                  size_t errlen)
{
	size_t bytes = sizeof(*res) * (size_t)n;
	struct oc_result *shared;
	volatile unsigned *done;
	unsigned first = 0;

	shared = mmap(NULL, bytes + OC_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
	              0);
	if (shared == MAP_FAILED) {
		snprintf(err, errlen, "mmap of %zu shared bytes: %s", bytes, strerror(errno));
		return -1;
	}
	done = (volatile unsigned *)((uint8_t *)shared + bytes);
	while (first < n) {
		int status;
		pid_t pid;

		*done = first;
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			snprintf(err, errlen, "fork: %s", strerror(errno));
			munmap(shared, bytes + OC_PAGE);
			return -1;
		}
		if (pid == 0)
			child(cases, shared, first, n, done);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status) && (WEXITSTATUS(status) == 3 || WEXITSTATUS(status) == 4)) {
			snprintf(err, errlen, "cannot map the fixed pages at 0x%llx..0x%llx",
			         (unsigned long long)OC_CODE, (unsigned long long)OC_STATE + OC_PAGE);
			munmap(shared, bytes + OC_PAGE);
			return -1;
		}
		first = *done;
		if (first < n && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			/* The child died inside this case. */
			memset(&shared[first], 0, sizeof(shared[first]));
			shared[first].harness_error = true;
			first++;
		}
	}
	memcpy(res, shared, bytes);
	munmap(shared, bytes + OC_PAGE);
	return 0;
}
