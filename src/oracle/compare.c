/* Comparison, the documented Intel/AMD difference table, reproducers and
 * the campaign.  See tests/silicon/amd-intel-differences.md for the table
 * in prose; the rows below are the same table as data. */
#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

/* What a comparison ignores. */
struct mask {
	uint32_t flags;
	int reg;              /* -1 none */
	unsigned reg_lg;
	int mem_off;          /* -1 none */
	unsigned mem_len;
};

static uint64_t lg_mask(unsigned lg)
{
	return lg >= 3 ? ~0ull : (1ull << (8u << lg)) - 1;
}

static bool fault_has_error(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
}

static bool equal_under(const struct oc_case *c, const struct oc_result *a,
                        const struct oc_result *b, const struct mask *m)
{
	unsigned nregs = c->compat ? 8 : 16;
	uint64_t width = c->compat ? 0xffffffffull : ~0ull;

	if (a->harness_error || b->harness_error)
		return false;
	if (a->fault != b->fault)
		return false;
	if (a->fault != OC_NOFAULT) {
		if (a->rip != b->rip)
			return false;
		if (fault_has_error(a->fault) && a->error != b->error)
			return false;
		if (a->fault == 14 && a->cr2 != b->cr2)
			return false;
	}
	for (unsigned i = 0; i < nregs; i++) {
		uint64_t x = (a->gpr[i] ^ b->gpr[i]) & width;

		if ((int)i == m->reg) {
			/* The destination's bits beyond its size follow the
			 * ordinary write rules (a 32-bit write zero-extends). */
			x &= m->reg_lg == 2 ? 0 : ~lg_mask(m->reg_lg);
		}
		if (x)
			return false;
	}
	if ((a->rflags ^ b->rflags) & OC_FLAGS & ~m->flags)
		return false;
	for (unsigned i = 0; i < OC_PAGE; i++) {
		if (m->mem_off >= 0 && i >= (unsigned)m->mem_off && i < m->mem_off + m->mem_len)
			continue;
		if (a->mem[i] != b->mem[i])
			return false;
	}
	return true;
}

/* --- the documented Intel/AMD difference table ------------------------
 * softvtx models Intel; the oracle runs on AMD (Zen 4).  Each row is a
 * place where the two vendors' processors are known to leave different
 * values, with its sources; the prose version, with what the oracle
 * observed, is tests/silicon/amd-intel-differences.md.  Every row so far
 * lies in state the SDM itself declares undefined, which the per-case
 * masks (gen.c, undef_flags) already leave out of the verdict: the table
 * attributes each such masked difference to its row, so a campaign
 * reports how often each known difference showed up, and flags masked
 * differences that no row explains.  No row excuses SDM-defined state:
 * any difference there is a divergence. */

#define CL(x) (1u << OC_C_##x)

struct row {
	struct oc_difference d;
	uint32_t classes;   /* the enum oc_class values it applies to */
	uint32_t flags;     /* the RFLAGS bits it covers */
	bool result;        /* it covers the destination's value */
};

static const struct row rows[] = {
	{{"LOGIC-AF", "AND/OR/XOR/TEST: AF",
	  "SDM Vol. 2 AND, OR, XOR, TEST: \"The state of the AF flag is undefined\"; "
	  "AMD APM Vol. 3 rFLAGS tables: AF U (undefined)"},
	 CL(LOGIC), 0x10, false},
	{{"MUL-SZAP", "MUL/IMUL (all forms): SF, ZF, AF, PF",
	  "SDM Vol. 2 MUL, IMUL: \"The SF, ZF, AF, and PF flags are undefined\"; "
	  "AMD APM Vol. 3 MUL, IMUL: SF ZF AF PF U"},
	 CL(MUL), 0xd4, false},
	{{"DIV-FLAGS", "DIV/IDIV: CF, OF, SF, ZF, AF, PF",
	  "SDM Vol. 2 DIV, IDIV: \"The CF, OF, SF, ZF, AF, and PF flags are undefined\"; "
	  "AMD APM Vol. 3 DIV, IDIV: all six U"},
	 CL(DIV), 0x8d5, false},
	{{"SHIFT-AF", "SHL/SHR/SAR with a nonzero count: AF",
	  "SDM Vol. 2 SAL/SAR/SHL/SHR: \"For a non-zero count, the AF flag is undefined\"; "
	  "AMD APM Vol. 3 SHL, SHR, SAR: AF U"},
	 CL(SHL) | CL(SHR) | CL(SAR), 0x10, false},
	{{"SHIFT-OF", "SHL/SHR/SAR with a count other than 0 or 1: OF",
	  "SDM Vol. 2 SAL/SAR/SHL/SHR: \"The OF flag is affected only on 1-bit shifts\" "
	  "(undefined otherwise); AMD APM Vol. 3 SHL: OF undefined for counts > 1"},
	 CL(SHL) | CL(SHR) | CL(SAR), 0x800, false},
	{{"SHIFT-CF-WIDE", "SHL/SHR of an 8/16-bit operand by a count >= its width: CF",
	  "SDM Vol. 2 SAL/SAR/SHL/SHR: CF \"is undefined for SHL and SHR instructions where "
	  "the count is greater than or equal to the size (in bits) of the destination\"; "
	  "AMD APM Vol. 3 SHL, SHR: CF undefined for such counts"},
	 CL(SHL) | CL(SHR), 0x1, false},
	{{"ROT-OF", "ROL/ROR/RCL/RCR with a masked count above 1: OF",
	  "SDM Vol. 2 RCL/RCR/ROL/ROR: \"The OF flag is defined only for the 1-bit rotates; "
	  "it is undefined in all other cases\"; AMD APM Vol. 3 ROL etc.: OF U for count > 1"},
	 CL(ROT), 0x800, false},
	{{"SHXD-FLAGS", "SHLD/SHRD: AF; OF for counts above 1; all flags for a count above "
	  "the operand size (16-bit forms, count 17..31)",
	  "SDM Vol. 2 SHLD, SHRD: \"If the count is greater than the operand size, the flags "
	  "are undefined\", OF \"undefined\" for counts > 1, AF undefined; AMD APM Vol. 3 "
	  "SHLD, SHRD: the same flags U"},
	 CL(SHXD), 0x8d5, false},
	{{"SHXD-RESULT", "SHLD/SHRD 16-bit with a count of 17..31: the result",
	  "SDM Vol. 2 SHLD, SHRD: \"If the count operand is greater than the operand size, "
	  "the result is undefined\"; AMD APM Vol. 3 SHLD: \"the result in the destination "
	  "register is undefined\".  Intel silicon shifts through the 32-bit concatenation "
	  "(Bochs models that); Zen 4 leaves a different value"},
	 CL(SHXD), 0, true},
	{{"BT-FLAGS", "BT/BTS/BTR/BTC: OF, SF, AF, PF",
	  "SDM Vol. 2 BT, BTS, BTR, BTC: \"The ZF flag is unaffected. The OF, SF, AF, and PF "
	  "flags are undefined\"; AMD APM Vol. 3 BT: OF SF AF PF U"},
	 CL(BT), 0x894, false},
	{{"BSF-FLAGS", "BSF/BSR: CF, OF, SF, AF, PF",
	  "SDM Vol. 2 BSF, BSR: \"The CF, OF, SF, AF, and PF flags are undefined\"; "
	  "AMD APM Vol. 3 BSF, BSR: the same U"},
	 CL(BSF), 0x895, false},
	{{"BSF-ZERO", "BSF/BSR with a zero source: the destination",
	  "SDM Vol. 2 BSF, BSR: \"If the content of the source operand is 0, the content of "
	  "the destination operand is undefined\"; AMD APM Vol. 3 BSF, BSR: \"If the second "
	  "operand contains 0, the instruction sets ZF to 1 and does not change the contents "
	  "of the destination register\""},
	 CL(BSF), 0, true},
	{{"CNT-FLAGS", "LZCNT/TZCNT: OF, SF, AF, PF",
	  "SDM Vol. 2 LZCNT, TZCNT: \"The OF, SF, PF and AF flags are undefined\"; "
	  "AMD APM Vol. 3 LZCNT, TZCNT: the same U"},
	 CL(CNT), 0x894, false},
	{{"BMI-FLAGS", "ANDN/BLSI/BLSMSK/BLSR/BZHI: AF, PF; BEXTR: AF, SF, PF",
	  "SDM Vol. 2 ANDN, BLSI, BLSMSK, BLSR, BZHI: \"AF and PF flags are undefined\", "
	  "BEXTR: \"AF, SF, and PF flags are undefined\"; AMD APM Vol. 3: the same U"},
	 CL(BMI) | CL(BEXTR), 0x94, false},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

unsigned oc_difference_count(void)
{
	return NROWS;
}

const struct oc_difference *oc_difference(unsigned i)
{
	return i < NROWS ? &rows[i].d : NULL;
}

uint32_t oc_explain(const struct oc_case *c, const struct oc_result *native,
                    const struct oc_result *model, bool *unexplained)
{
	uint32_t flags = (uint32_t)((native->rflags ^ model->rflags) & OC_FLAGS), hit = 0;
	bool result = memcmp(native->mem, model->mem, OC_PAGE) != 0, result_covered = false;
	uint32_t covered = 0;

	for (unsigned i = 0; i < (c->compat ? 8u : 16u); i++)
		result |= ((native->gpr[i] ^ model->gpr[i]) & (c->compat ? 0xffffffffull : ~0ull)) != 0;

	for (unsigned i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];

		if (!(r->classes & (1u << c->cls)))
			continue;
		if ((flags & r->flags) || (result && r->result)) {
			hit |= 1u << i;
			covered |= flags & r->flags;
			result_covered |= result && r->result;
		}
	}
	*unexplained = (flags & ~covered) || (result && !result_covered);
	return hit;
}

enum oc_verdict oc_compare(const struct oc_case *c, const struct oc_result *native,
                           const struct oc_result *model)
{
	struct mask m = {c->undef_flags, c->undef_reg, c->undef_reg_lg, c->undef_mem_off,
	                 c->undef_mem_len};

	if (model->feat_absent) {
		/* The modelled CPU does not report the feature: the SDM's
		 * answer is #UD, with nothing changed. */
		struct oc_result want = *model;

		memcpy(want.gpr, c->gpr, sizeof(want.gpr));
		want.rflags = c->rflags;
		want.fault = 6;
		want.rip = 0;
		oc_mem_init(c, want.mem);
		return equal_under(c, &want, model, &m) ? OC_ABSENT : OC_DIVERGENT;
	}
	return equal_under(c, native, model, &m) ? OC_SAME : OC_DIVERGENT;
}

/* --- reproducers ------------------------------------------------------ */

static const char *const regname[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};

static void print_fault(FILE *f, const char *who, const struct oc_result *r)
{
	static const char *const names[32] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD",
	                                      "#NM", "#DF", "?", "#TS", "#NP", "#SS", "#GP",
	                                      "#PF", "?", "#MF", "#AC", "#MC", "#XM"};

	if (r->harness_error) {
		fprintf(f, "  %-8s harness error (the runner crashed or timed out)\n", who);
		return;
	}
	if (r->fault == OC_NOFAULT) {
		fprintf(f, "  %-8s completed\n", who);
		return;
	}
	fprintf(f, "  %-8s %s (vector %u) at +%" PRIu64, who,
	        r->fault < 32 && names[r->fault] ? names[r->fault] : "?", r->fault, r->rip);
	if (fault_has_error(r->fault))
		fprintf(f, " error 0x%x", r->error);
	if (r->fault == 14)
		fprintf(f, " cr2 0x%" PRIx64, r->cr2);
	fputc('\n', f);
}

static void flags_str(char *buf, uint64_t fl)
{
	static const struct { uint32_t bit; char c; } fs[] = {
		{0x800, 'O'}, {0x400, 'D'}, {0x80, 'S'}, {0x40, 'Z'}, {0x10, 'A'}, {0x4, 'P'}, {0x1, 'C'}};

	for (unsigned i = 0; i < 7; i++)
		buf[i] = (fl & fs[i].bit) ? fs[i].c : '-';
	buf[7] = 0;
}

void oc_print_repro(FILE *f, const struct oc_case *c, const struct oc_result *n,
                    const struct oc_result *m)
{
	csh h;
	cs_insn *insn = NULL;
	char fb[3][8];
	uint8_t init[OC_PAGE];

	fprintf(f, "  form     %s\n  bytes   ", oc_form_name(c->form));
	for (unsigned i = 0; i < c->len; i++)
		fprintf(f, " %02x", c->code[i]);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK) {
		if (cs_disasm(h, c->code, c->len, OC_CODE, 1, &insn) == 1) {
			fprintf(f, "   (%s %s)", insn->mnemonic, insn->op_str);
			cs_free(insn, 1);
		}
		cs_close(&h);
	}
	fputc('\n', f);
	if (c->undef_flags || c->undef_reg >= 0 || c->undef_mem_off >= 0) {
		flags_str(fb[0], c->undef_flags);
		fprintf(f, "  SDM-undefined: flags %s", fb[0]);
		if (c->undef_reg >= 0)
			fprintf(f, ", %s", regname[c->undef_reg]);
		if (c->undef_mem_off >= 0)
			fprintf(f, ", data+0x%x..+%u", c->undef_mem_off, c->undef_mem_len);
		fputc('\n', f);
	}
	print_fault(f, "native", n);
	print_fault(f, "softvtx", m);
	fprintf(f, "  %-4s %-18s %-18s %-18s\n", "", "initial", "native (Zen 4)", "softvtx");
	for (unsigned i = 0; i < 16; i++)
		fprintf(f, "  %-4s %016" PRIx64 "   %016" PRIx64 "   %016" PRIx64 "%s\n", regname[i],
		        c->gpr[i], n->gpr[i], m->gpr[i], n->gpr[i] != m->gpr[i] ? "  <--" : "");
	flags_str(fb[0], c->rflags);
	flags_str(fb[1], n->rflags);
	flags_str(fb[2], m->rflags);
	fprintf(f, "  %-4s %-18s %-18s %-18s%s\n", "fl", fb[0], fb[1], fb[2],
	        (n->rflags ^ m->rflags) & OC_FLAGS ? "  <--" : "");
	oc_mem_init(c, init);
	unsigned shown = 0;
	for (unsigned i = 0; i < OC_PAGE && shown < 4; i += 8) {
		if (memcmp(n->mem + i, m->mem + i, 8) && ++shown) {
			uint64_t a, b, z;

			memcpy(&z, init + i, 8);
			memcpy(&a, n->mem + i, 8);
			memcpy(&b, m->mem + i, 8);
			fprintf(f, "  mem  data+0x%03x: initial %016" PRIx64 " native %016" PRIx64
			        " softvtx %016" PRIx64 "\n", i, z, a, b);
		}
	}
	if (c->poke_len)
		fprintf(f, "  (initial data page: seed 0x%" PRIx64 ", %u bytes poked at +0x%x)\n",
		        c->mem_seed, c->poke_len, c->poke_off);
}

static void outcome(char *buf, size_t len, const struct oc_result *r)
{
	if (r->harness_error)
		snprintf(buf, len, "harness-error");
	else if (r->fault == OC_NOFAULT)
		snprintf(buf, len, "ok");
	else if (r->fault == 14)
		snprintf(buf, len, "#PF(%x,cr2=%" PRIx64 ")@%" PRIu64, r->error, r->cr2, r->rip);
	else
		snprintf(buf, len, "vec%u(%x)@%" PRIu64, r->fault, r->error, r->rip);
}

void oc_print_summary(FILE *f, const struct oc_case *c, const struct oc_result *n,
                      const struct oc_result *m)
{
	char a[64], b[64];

	outcome(a, sizeof(a), n);
	outcome(b, sizeof(b), m);
	fprintf(f, "case %" PRIu64 " | %s |", c->index, oc_form_name(c->form));
	for (unsigned i = 0; i < c->len; i++)
		fprintf(f, " %02x", c->code[i]);
	fprintf(f, " | native %s | softvtx %s |", a, b);
	for (unsigned i = 0; i < 16; i++)
		if (n->gpr[i] != m->gpr[i])
			fprintf(f, " %s", regname[i]);
	if ((n->rflags ^ m->rflags) & OC_FLAGS)
		fprintf(f, " flags^%" PRIx64, (n->rflags ^ m->rflags) & OC_FLAGS);
	if (memcmp(n->mem, m->mem, OC_PAGE))
		fprintf(f, " mem");
	fputc('\n', f);
}

/* --- the campaign ----------------------------------------------------- */

#define BATCH 2048u

int oc_campaign(const struct oc_options *opt, struct oc_stats *st, FILE *out)
{
	struct oc_case *cases = malloc(sizeof(*cases) * BATCH);
	struct oc_result *nat = malloc(sizeof(*nat) * BATCH);
	struct oc_result mod;
	struct oc_model *model = oc_model_new();
	unsigned shown = 0;
	char err[200];
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (!cases || !nat || !model) {
		fprintf(out, "diff-native: out of memory\n");
		rc = -1;
		goto done;
	}
	for (uint64_t first = 0; first < opt->cases; first += BATCH) {
		unsigned n = 0;

		for (uint64_t i = first; i < opt->cases && n < BATCH; i++) {
			if (opt->only_form >= 0 && i % oc_form_count() != (unsigned)opt->only_form)
				continue;
			oc_generate(&cases[n++], opt->seed, i, opt->compat);
		}
		if (n == 0)
			continue;
		if (oc_native_run(cases, nat, n, err, sizeof(err))) {
			fprintf(out, "diff-native: native runner: %s\n", err);
			rc = -1;
			goto done;
		}
		for (unsigned k = 0; k < n; k++) {
			enum oc_verdict v;

			oc_model_run(model, &cases[k], &mod);
			st->cases++;
			if (nat[k].fault != OC_NOFAULT)
				st->faults_native++;
			if (nat[k].harness_error || mod.harness_error)
				st->harness_errors++;
			v = oc_compare(&cases[k], &nat[k], &mod);
			if (opt->verbose) {
				fputs(v == OC_SAME ? "same " : v == OC_ABSENT ? "absent " : "DIVERGENT ",
				      out);
				oc_print_summary(out, &cases[k], &nat[k], &mod);
			}
			if (v == OC_SAME) {
				static const struct mask none = {0, -1, 0, -1, 0};

				st->same++;
				if (!equal_under(&cases[k], &nat[k], &mod, &none)) {
					bool unexplained;
					uint32_t hit = oc_explain(&cases[k], &nat[k], &mod, &unexplained);

					st->undefined_only++;
					st->unexplained += unexplained;
					for (unsigned r = 0; r < NROWS && r < 32; r++)
						st->per_difference[r] += (hit >> r) & 1;
					if (opt->summary) {
						fputs(unexplained ? "undefined-only (no row) " :
						      "undefined-only ", out);
						oc_print_summary(out, &cases[k], &nat[k], &mod);
					}
				}
			} else if (v == OC_ABSENT) {
				st->absent++;
			} else {
				st->divergent++;
				if (opt->summary)
					oc_print_summary(out, &cases[k], &nat[k], &mod);
				else if (shown < opt->show) {
					shown++;
					fprintf(out, "DIVERGENCE %u (seed %" PRIu64 ", case %" PRIu64 "):\n",
					        shown, opt->seed, cases[k].index);
					oc_print_repro(out, &cases[k], &nat[k], &mod);
				}
			}
		}
	}
done:
	oc_model_free(model);
	free(cases);
	free(nat);
	return rc;
}
