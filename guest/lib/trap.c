/* Exception dispatch: record and recover, or report and bail out. */
#include "guest.h"

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;   /* pushed by the CPU */
};

int trap_call(void (*fn)(void *), void *arg);
void enter_user(void (*fn)(void *), void *arg, uint64_t rsp, uint64_t rflags);

uint64_t trap_resume_rip, trap_resume_rsp;
int trap_armed;
static struct trap_info last;
static uint8_t user_stack[STACK_SIZE] __attribute__((aligned(16)));

void trap_dispatch(struct trap_frame *f)
{
	struct trap_info t = {
		.vector = (int)f->vector, .error = f->error, .rip = f->rip,
		.cs = f->cs, .rflags = f->rflags, .rsp = f->rsp,
		.cr2 = f->vector == EXC_PF ? read_cr2() : 0,
		.rax = f->rax, .rcx = f->rcx, .rdx = f->rdx, .rbx = f->rbx,
		.rsi = f->rsi, .rdi = f->rdi, .frame = (uintptr_t)&f->rip,
	};

	if (!trap_armed)
		tap_bail("unexpected exception %d error 0x%lx at cs:rip %lx:%lx cr2 0x%lx",
			 t.vector, t.error, t.cs, t.rip, t.cr2);
	last = t;
	trap_armed = 0;
	f->rip = trap_resume_rip;
	f->rsp = trap_resume_rsp;
	f->cs = SEL_KCODE64;
	f->ss = SEL_KDATA;
	f->rflags = RFLAGS_FIXED1;
	f->rax = f->vector;
}

int trap_try(void (*fn)(void *), void *arg, struct trap_info *out)
{
	int v = trap_call(fn, arg);
	if (out) {
		if (v < 0) {
			memset(out, 0, sizeof(*out));
			out->vector = -1;
		} else {
			*out = last;
		}
	}
	return v;
}

struct user_req {
	void (*fn)(void *);
	void *arg;
	uint64_t rflags;
};

static void user_enter(void *p)
{
	struct user_req *r = p;
	enter_user(r->fn, r->arg, (uintptr_t)(user_stack + sizeof(user_stack) - 8),
		   r->rflags | RFLAGS_FIXED1);
}

int user_try(void (*fn)(void *), void *arg, uint64_t rflags, struct trap_info *out)
{
	struct user_req r = { fn, arg, rflags };
	return trap_try(user_enter, &r, out);
}
