/* The silicon oracle: single-instruction cases run natively on the host
 * CPU (a sandboxed child process, real silicon for every unprivileged
 * instruction) and in softvtx at CPL 3 in 64-bit mode, then compared.
 *
 *   gen.c      the case generator: a table of opcode forms, encoded here
 *              as bytes (no assembler), with edge-value initial states
 *   native.c   runs cases on the host CPU (fork, mmap, signals)
 *   model.c    runs cases in softvtx (internal CPU API, ring-3 harness)
 *   compare.c  undefined-flag masks, the Intel/AMD difference table,
 *              reproducers, and the campaign
 *
 * Both worlds see the same linear layout: the case's code at OC_CODE, a
 * 4 KiB data page at OC_DATA with unmapped pages on both sides, so that
 * page faults and their addresses line up.
 *
 * This library is not part of libsoftvtx: it forks and handles signals.
 */
#ifndef SOFTVTX_ORACLE_H
#define SOFTVTX_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OC_CODE  0x40000000ull
#define OC_DATA  0x40010000ull
#define OC_PAGE  4096u
#define OC_MAXLEN 24

/* Arithmetic flags and DF: the RFLAGS bits compared. */
#define OC_FLAGS 0xcd5u

/* No fault. */
#define OC_NOFAULT 0xff

/* What the SDM leaves undefined, by instruction family (gen.c's
 * undef_flags() turns the class, size and count into the masks). */
enum oc_class {
	OC_C_ARITH,   /* all six flags defined */
	OC_C_LOGIC,   /* AND OR XOR TEST: AF undefined */
	OC_C_NONE,    /* no flags written */
	OC_C_MUL,     /* MUL IMUL: SF ZF AF PF undefined */
	OC_C_DIV,     /* DIV IDIV: all six undefined */
	OC_C_SHL, OC_C_SHR, OC_C_SAR,   /* shifts: AF; OF unless count 1; CF if count >= width */
	OC_C_ROT,     /* ROL ROR RCL RCR: OF unless count 1 */
	OC_C_SHXD,    /* SHLD SHRD: AF; OF unless count 1; all if count > size */
	OC_C_BT,      /* BT BTS BTR BTC: OF SF AF PF undefined */
	OC_C_BSF,     /* BSF BSR: CF OF SF AF PF; the destination on a zero source */
	OC_C_CNT,     /* LZCNT TZCNT: OF SF AF PF undefined */
	OC_C_BMI,     /* ANDN BLSI BLSMSK BLSR BZHI: AF PF undefined */
	OC_C_BEXTR,   /* BEXTR: AF SF PF undefined */
	OC_C_COUNT
};

struct oc_case {
	uint64_t index;          /* the case's number in its campaign */
	uint8_t code[OC_MAXLEN];
	uint8_t len;
	uint16_t form;           /* index into the form table */
	uint8_t cls;             /* enum oc_class */
	bool compat;             /* run in 32-bit compatibility mode (CS.L = 0, CS.D = 1):
	                            only EAX..EDI exist, and only their low halves
	                            are compared (SDM Vol. 1 §3.4.1.1: the upper
	                            halves are undefined across the mode switch) */
	uint64_t gpr[16];        /* RAX..R15 in encoding order */
	uint64_t rflags;
	uint64_t mem_seed;       /* the data page's initial bytes (oc_mem_init) */
	uint16_t poke_off;       /* then these bytes overwrite [poke_off, +poke_len) */
	uint8_t poke_len;
	uint8_t poke[16];
	/* What the SDM leaves undefined for this case (gen.c computes it
	 * from the form, the operand size and the count/source). */
	uint32_t undef_flags;
	int8_t undef_reg;        /* a GPR whose result is undefined, or -1 */
	uint8_t undef_reg_lg;    /* its operand size (log2 bytes) */
	int16_t undef_mem_off;   /* data-page bytes whose result is undefined, or -1 */
	uint8_t undef_mem_len;
	/* The CPUID feature the form needs (cpuid.h CPUID_FEAT encoding:
	 * leaf << 8 | register << 6 | bit), or 0. */
	uint64_t feat;
};

struct oc_result {
	uint64_t gpr[16];
	uint64_t rflags;
	uint64_t rip;            /* with a fault: the faulting RIP minus the case's start */
	uint8_t fault;           /* vector, or OC_NOFAULT */
	uint32_t error;          /* error code (vectors that push one) */
	uint64_t cr2;            /* #PF address */
	bool harness_error;      /* the runner itself failed (crash, timeout) */
	bool feat_absent;        /* softvtx: the modelled CPU does not report c->feat */
	uint8_t mem[OC_PAGE];
};

/* --- gen.c --- */
unsigned oc_form_count(void);
const char *oc_form_name(unsigned form);
/* Build case `index` of the campaign `seed`: form index % oc_form_count(),
 * operands and initial state from a generator seeded with (seed, index). */
void oc_generate(struct oc_case *c, uint64_t seed, uint64_t index, bool compat);
/* The initial data page of a case. */
void oc_mem_init(const struct oc_case *c, uint8_t *page);

/* --- native.c --- */
/* Run cases [0, n) on the host CPU; results in res[0, n).  Returns 0, or
 * -1 if the sandbox could not be set up (message in err). */
int oc_native_run(const struct oc_case *cases, struct oc_result *res, unsigned n, char *err,
                  size_t errlen);

/* --- model.c --- */
struct oc_model;
struct oc_model *oc_model_new(void);
void oc_model_free(struct oc_model *m);
void oc_model_run(struct oc_model *m, const struct oc_case *c, struct oc_result *r);

/* --- compare.c --- */
enum oc_verdict {
	OC_SAME,         /* equal after masking what the SDM leaves undefined
	                    (oc_explain() names the table rows of what was masked) */
	OC_ABSENT,       /* the modelled CPU lacks the form's CPUID feature, and
	                    softvtx raised #UD as the SDM requires */
	OC_DIVERGENT,    /* SDM-defined state differs: a divergence */
};

/* Compare what the SDM defines: the fault (vector, error code, CR2, RIP),
 * the 16 GPRs, CF PF AF ZF SF DF OF and the data page, less the case's
 * SDM-undefined masks.  Anything else is OC_DIVERGENT. */
enum oc_verdict oc_compare(const struct oc_case *c, const struct oc_result *native,
                           const struct oc_result *model);
/* For results that differ only in SDM-undefined state: the bit set of the
 * difference-table rows that explain it; *unexplained is set if some
 * differing bit or value is covered by no row. */
uint32_t oc_explain(const struct oc_case *c, const struct oc_result *native,
                    const struct oc_result *model, bool *unexplained);
/* Print a reproducer: bytes, disassembly, initial state, both results. */
void oc_print_repro(FILE *f, const struct oc_case *c, const struct oc_result *native,
                    const struct oc_result *model);

/* One line: case, form, bytes, both outcomes, what differs. */
void oc_print_summary(FILE *f, const struct oc_case *c, const struct oc_result *native,
                      const struct oc_result *model);

/* The documented Intel/AMD difference table (compare.c; prose and
 * observations in tests/silicon/amd-intel-differences.md). */
struct oc_difference {
	const char *id;
	const char *what;
	const char *source;
};
unsigned oc_difference_count(void);
const struct oc_difference *oc_difference(unsigned i);

struct oc_stats {
	uint64_t cases, same, divergent, harness_errors;
	uint64_t faults_native;           /* cases that faulted natively */
	uint64_t absent;                  /* OC_ABSENT verdicts */
	uint64_t undefined_only;          /* OC_SAME, but differing in SDM-undefined bits */
	uint64_t unexplained;             /* ... of which no table row explains some part */
	uint64_t per_difference[32];      /* undefined-only cases per table row */
};

struct oc_options {
	uint64_t seed, cases;
	unsigned show;                    /* reproducers to print */
	int only_form;                    /* -1: all forms */
	bool summary;                     /* one line per divergence instead */
	bool verbose;                     /* one line per case, whatever the verdict */
	bool compat;                      /* cases in 32-bit compatibility mode */
};

/* Run a campaign; reproducers and progress go to `out`.  Returns 0, or -1
 * if a runner could not be set up (message printed). */
int oc_campaign(const struct oc_options *opt, struct oc_stats *st, FILE *out);

#endif
