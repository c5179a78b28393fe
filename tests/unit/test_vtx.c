/* The public API end to end: a flat Multiboot image that drives the UART
 * and the debug console, the console sink, instruction budgets, the trace
 * window, registers and physical memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "softvtx.h"

#define LOAD 0x100000u

static char tmpdir[64];
static char image[128];

struct capture {
	char buf[4096];
	size_t len;
	int lines;
	char line[8][160];
};

static void capture_out(void *opaque, const uint8_t *bytes, size_t len)
{
	struct capture *c = opaque;

	for (size_t i = 0; i < len && c->len + 1 < sizeof(c->buf); i++)
		c->buf[c->len++] = (char)bytes[i];
}

static void capture_trace(void *opaque, const char *line, size_t len)
{
	struct capture *c = opaque;

	assert_int_equal(strlen(line), len);
	if (c->lines < 8)
		snprintf(c->line[c->lines], sizeof(c->line[0]), "%s", line);
	c->lines++;
}

/* Guest program (32-bit code at LOAD + 32):
 *   mov edx, 0x3fb ; mov al, 0x80 ; out dx, al     LCR: DLAB=1
 *   mov dx, 0x3f8  ; mov al, 0x01 ; out dx, al     DLL = 1
 *   mov dx, 0x3fb  ; mov al, 0x03 ; out dx, al     LCR: 8N1
 *   mov dx, 0x3fd  ; in al, dx    ; mov bl, al     BL = LSR
 *   mov dx, 0x3f8  ; mov al, 'H'  ; out dx, al
 *   mov al, 'i' ; out dx, al ; mov al, '!' ; out 0xe9, al
 *   mov al, bl ; out 0xf4, al                    exit with LSR value
 */
static const uint8_t prog[] = {
	0xba, 0xfb, 0x03, 0x00, 0x00, 0xb0, 0x80, 0xee,
	0x66, 0xba, 0xf8, 0x03, 0xb0, 0x01, 0xee,
	0x66, 0xba, 0xfb, 0x03, 0xb0, 0x03, 0xee,
	0x66, 0xba, 0xfd, 0x03, 0xec, 0x88, 0xc3,
	0x66, 0xba, 0xf8, 0x03, 0xb0, 'H', 0xee,
	0xb0, 'i', 0xee, 0xb0, '!', 0xe6, 0xe9,
	0x88, 0xd8, 0xe6, 0xf4,
};
#define PROG_INSNS 21

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static int setup(void **state)
{
	uint8_t img[32 + sizeof(prog)];
	uint32_t flags = 0x10000;
	FILE *f;

	(void)state;
	strcpy(tmpdir, "/tmp/softvtx-vtx-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	put32(img, 0x1BADB002);
	put32(img + 4, flags);
	put32(img + 8, -(0x1BADB002u + flags));
	put32(img + 12, LOAD);       /* header_addr */
	put32(img + 16, LOAD);       /* load_addr */
	put32(img + 20, 0);          /* to end of file */
	put32(img + 24, 0);
	put32(img + 28, LOAD + 32);  /* entry */
	memcpy(img + 32, prog, sizeof(prog));
	snprintf(image, sizeof(image), "%s/prog.bin", tmpdir);
	f = fopen(image, "wb");
	if (!f)
		return -1;
	fwrite(img, 1, sizeof(img), f);
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(image);
	rmdir(tmpdir);
	return 0;
}

static vtx_t *boot(struct capture *cap)
{
	struct vtx_config cfg = { .ram_bytes = 8u << 20, .output = capture_out,
	                          .output_opaque = cap };
	vtx_t *vtx = NULL;
	char err[200];

	assert_int_equal(vtx_open(&cfg, &vtx), VTX_OK);
	assert_int_equal(vtx_load_multiboot(vtx, image, NULL, NULL, 0, err, sizeof(err)), VTX_OK);
	return vtx;
}

static void console_and_exit(void **state)
{
	struct capture cap = { 0 };
	vtx_t *vtx = boot(&cap);
	struct vtx_stats st;

	(void)state;
	assert_int_equal(vtx_run(vtx, VTX_RUN_FOREVER), VTX_STOP_DEBUG_EXIT);
	assert_int_equal(cap.len, 3);
	assert_memory_equal(cap.buf, "Hi!", 3);
	/* The guest exits with the LSR it read: 0x60 -> (0x60 << 1) | 1. */
	assert_int_equal(vtx_exit_status(vtx), 0xc1);
	vtx_get_stats(vtx, &st);
	assert_int_equal(st.instructions, PROG_INSNS);
	assert_true(st.cycles >= st.instructions);
	assert_true(st.icache_decoded >= PROG_INSNS);
	/* A stopped machine stays stopped. */
	assert_int_equal(vtx_run(vtx, 10), VTX_STOP_DEBUG_EXIT);
	vtx_get_stats(vtx, &st);
	assert_int_equal(st.instructions, PROG_INSNS);
	assert_false(vtx_unimplemented(vtx, NULL, 0, NULL));
	vtx_close(vtx);
}

static void budget_slices(void **state)
{
	struct capture cap = { 0 };
	vtx_t *vtx = boot(&cap);
	struct vtx_stats st;

	(void)state;
	assert_int_equal(vtx_run(vtx, 0), VTX_STOP_BUDGET);
	assert_int_equal(vtx_run(vtx, 5), VTX_STOP_BUDGET);
	vtx_get_stats(vtx, &st);
	assert_int_equal(st.instructions, 5);
	assert_int_equal(vtx_run(vtx, 7), VTX_STOP_BUDGET);
	vtx_get_stats(vtx, &st);
	assert_int_equal(st.instructions, 12);
	assert_int_equal(vtx_run(vtx, 100), VTX_STOP_DEBUG_EXIT);
	vtx_close(vtx);
}

/* The window [1, 3) gives exactly instructions 1 and 2, and splitting the
 * budget at the window edges does not change what runs. */
static void trace_window(void **state)
{
	struct capture cap = { 0 }, tr = { 0 };
	vtx_t *vtx = boot(&cap);

	(void)state;
	assert_int_equal(vtx_set_trace(vtx, 1, 2, capture_trace, &tr), VTX_OK);
	assert_int_equal(vtx_run(vtx, VTX_RUN_FOREVER), VTX_STOP_DEBUG_EXIT);
	assert_int_equal(tr.lines, 2);
	/* mov al, 0x80 replaces AL of EAX = 0x2BADB002 (Multiboot magic). */
	assert_non_null(strstr(tr.line[0], "0010:00100025 b080 mov al, 0x80 ; rax=000000002badb080"));
	assert_int_equal(strncmp(tr.line[0], "1 ", 2), 0);
	/* OUT writes no register: nothing after the disassembly. */
	assert_non_null(strstr(tr.line[1], "0010:00100027 ee out dx, al"));
	assert_null(strchr(tr.line[1], ';'));
	assert_int_equal(strncmp(tr.line[1], "2 ", 2), 0);
	assert_int_equal(vtx_exit_status(vtx), 0xc1);
	assert_memory_equal(cap.buf, "Hi!", 3);
	vtx_close(vtx);
}

/* The trace's cycle column equals what an untraced run counts. */
static void trace_does_not_perturb(void **state)
{
	struct capture c1 = { 0 }, c2 = { 0 }, tr = { 0 };
	vtx_t *a = boot(&c1), *b = boot(&c2);
	struct vtx_stats sa, sb;

	(void)state;
	assert_int_equal(vtx_set_trace(b, 0, VTX_RUN_FOREVER, capture_trace, &tr), VTX_OK);
	assert_int_equal(vtx_run(a, VTX_RUN_FOREVER), VTX_STOP_DEBUG_EXIT);
	assert_int_equal(vtx_run(b, VTX_RUN_FOREVER), VTX_STOP_DEBUG_EXIT);
	vtx_get_stats(a, &sa);
	vtx_get_stats(b, &sb);
	assert_int_equal(tr.lines, PROG_INSNS);
	assert_int_equal(sa.instructions, sb.instructions);
	assert_int_equal(sa.cycles, sb.cycles);
	vtx_close(a);
	vtx_close(b);
}

static void registers(void **state)
{
	struct capture cap = { 0 };
	vtx_t *vtx = boot(&cap);
	uint64_t v;

	(void)state;
	assert_int_equal(vtx_reg_set(vtx, VTX_REG_R13, 0x1122334455667788ull), VTX_OK);
	assert_int_equal(vtx_reg_get(vtx, VTX_REG_R13, &v), VTX_OK);
	assert_int_equal(v, 0x1122334455667788ull);
	/* Bit 1 of RFLAGS always reads 1 (SDM Vol. 1 §3.4.3). */
	assert_int_equal(vtx_reg_set(vtx, VTX_REG_RFLAGS, 0x1), VTX_OK);
	assert_int_equal(vtx_reg_get(vtx, VTX_REG_RFLAGS, &v), VTX_OK);
	assert_int_equal(v, 0x3);
	assert_int_equal(vtx_reg_set(vtx, VTX_REG_CR0, 0), VTX_ERR_READONLY);
	assert_int_equal(vtx_reg_get(vtx, VTX_REG_COUNT, &v), VTX_ERR_INVALID_ARG);
	assert_int_equal(vtx_reg_get(vtx, VTX_REG_CS_BASE, &v), VTX_OK);
	assert_int_equal(v, 0);
	vtx_close(vtx);
}

static void phys_memory(void **state)
{
	struct capture cap = { 0 };
	vtx_t *vtx = boot(&cap);
	uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, r[8];
	uint64_t ram = vtx_ram_size(vtx);

	(void)state;
	assert_int_equal(ram, 8u << 20);
	assert_int_equal(vtx_phys_write(vtx, ram - 8, b, 8), VTX_OK);
	assert_int_equal(vtx_phys_read(vtx, ram - 8, r, 8), VTX_OK);
	assert_memory_equal(b, r, 8);
	assert_int_equal(vtx_phys_read(vtx, ram - 7, r, 8), VTX_ERR_RANGE);
	assert_int_equal(vtx_phys_write(vtx, ~0ull - 2, b, 8), VTX_ERR_RANGE);
	vtx_close(vtx);
}

/* Writing over code the CPU has already decoded takes effect: patch the
 * exit value (mov al, bl -> mov al, 0x05) after a partial run. */
static void phys_write_invalidates_code(void **state)
{
	struct capture cap = { 0 };
	vtx_t *vtx = boot(&cap);
	static const uint8_t patch[2] = { 0xb0, 0x05 };

	(void)state;
	assert_int_equal(vtx_run(vtx, 3), VTX_STOP_BUDGET);
	assert_int_equal(vtx_phys_write(vtx, LOAD + 32 + sizeof(prog) - 4, patch, 2), VTX_OK);
	assert_int_equal(vtx_run(vtx, VTX_RUN_FOREVER), VTX_STOP_DEBUG_EXIT);
	assert_int_equal(vtx_exit_status(vtx), 11);
	vtx_close(vtx);
}

static void open_rejects_bad_args(void **state)
{
	struct vtx_config cfg = { .ram_bytes = 1ull << 40 };
	vtx_t *vtx = (vtx_t *)1;

	(void)state;
	assert_int_equal(vtx_open(NULL, NULL), VTX_ERR_INVALID_ARG);
	assert_int_equal(vtx_open(&cfg, &vtx), VTX_ERR_INVALID_ARG);
	assert_null(vtx);
	vtx_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(console_and_exit),
		cmocka_unit_test(budget_slices),
		cmocka_unit_test(trace_window),
		cmocka_unit_test(trace_does_not_perturb),
		cmocka_unit_test(registers),
		cmocka_unit_test(phys_memory),
		cmocka_unit_test(phys_write_invalidates_code),
		cmocka_unit_test(open_rejects_bad_args),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
