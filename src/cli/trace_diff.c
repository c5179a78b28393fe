/* softvtx trace-diff: the first divergence between two traces, with the
 * records that led to it (traces/FORMAT.md, "Comparing traces").
 *
 * Records are compared byte for byte.  The only normalisations, all
 * reported in the summary: comment lines ('#') and empty lines are not
 * records (both files' header versions must agree), a trailing CR is
 * dropped (serial logs), and with --ignore-counters the leading
 * "<n> <cycles> " of each record is left out of the comparison. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_cmds.h"

#define MAX_CONTEXT 50

struct tfile {
	const char *path;
	FILE *f;
	char *buf;              /* the current line (getline) */
	size_t cap;
	unsigned long line;     /* its line number, from 1 */
	unsigned long skipped;  /* comment and empty lines */
	char version[32];       /* from the header, "" if none */
};

/* The next record, or NULL at the end of the file (*err set on a read
 * error). */
static char *next_record(struct tfile *t, bool *err)
{
	for (;;) {
		ssize_t n;

		errno = 0;
		n = getline(&t->buf, &t->cap, t->f);
		if (n < 0) {
			if (ferror(t->f) || errno == ENOMEM)
				*err = true;
			return NULL;
		}
		t->line++;
		while (n > 0 && (t->buf[n - 1] == '\n' || t->buf[n - 1] == '\r'))
			t->buf[--n] = 0;
		if (n == 0) {
			t->skipped++;
			continue;
		}
		if (t->buf[0] == '#') {
			const char *h = "# softvtx-trace ";

			if (!strncmp(t->buf, h, strlen(h)) && !t->version[0])
				snprintf(t->version, sizeof(t->version), "%s", t->buf + strlen(h));
			else
				t->skipped++;
			continue;
		}
		return t->buf;
	}
}

/* The part of a record that is compared: without "<n> <cycles> " when
 * counters are ignored (only if both are decimal numbers). */
static const char *key_of(const char *rec, bool ignore_counters)
{
	const char *p = rec;

	if (!ignore_counters)
		return rec;
	for (int field = 0; field < 2; field++) {
		const char *start = p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == start || *p != ' ')
			return rec;
		p++;
	}
	return p;
}

static int usage(FILE *f, int rc)
{
	fputs("Usage: softvtx trace-diff [--ignore-counters] [--context N] A B\n"
	      "\n"
	      "Compare two traces (traces/FORMAT.md) record by record and report the\n"
	      "first divergence: the N records before it (default 5) and the two\n"
	      "differing records.  Comment lines ('#') and empty lines are not records;\n"
	      "the '# softvtx-trace V' headers must agree.  --ignore-counters leaves\n"
	      "the leading instruction count and cycle count out of the comparison.\n"
	      "\n"
	      "Exit status: 0 identical, 1 different, 2 usage or I/O error.\n", f);
	return rc;
}

struct ctx {
	char *line[MAX_CONTEXT];
	unsigned long lineno[MAX_CONTEXT];
	unsigned n, head, cap;
};

static int ctx_push(struct ctx *c, const char *rec, unsigned long lineno)
{
	unsigned slot;
	char *copy;

	if (!c->cap)
		return 0;
	copy = strdup(rec);
	if (!copy)
		return -1;
	slot = (c->head + c->n) % c->cap;
	if (c->n == c->cap) {
		free(c->line[c->head]);
		c->head = (c->head + 1) % c->cap;
		slot = (c->head + c->n - 1) % c->cap;
	} else {
		c->n++;
	}
	c->line[slot] = copy;
	c->lineno[slot] = lineno;
	return 0;
}

static void ctx_print(const struct ctx *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		unsigned s = (c->head + i) % c->cap;

		printf("    %6lu  %s\n", c->lineno[s], c->line[s]);
	}
}

static void ctx_free(struct ctx *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->line[(c->head + i) % c->cap]);
}

static void summary(const struct tfile *a, const struct tfile *b, unsigned long records,
                    bool ignore_counters)
{
	printf("  %lu records compared%s; not compared: %lu comment/empty lines in A, %lu in B\n",
	       records, ignore_counters ? " (counters ignored)" : "", a->skipped, b->skipped);
}

/* The first divergence: record `records` + 1, ra or rb NULL at the end of
 * its trace. */
static void report(const struct tfile *a, const struct tfile *b, const char *ra, const char *rb,
                   const struct ctx *ctx, unsigned long records)
{
	printf("traces differ at record %lu (%s line %lu, %s line %lu)\n", records + 1, a->path,
	       a->line, b->path, b->line);
	if (ctx->n) {
		printf("  preceding records (line in A):\n");
		ctx_print(ctx);
	}
	if (ra)
		printf("  A %6lu  %s\n", a->line, ra);
	else
		printf("  A         (end of trace after %lu records)\n", records);
	if (rb)
		printf("  B %6lu  %s\n", b->line, rb);
	else
		printf("  B         (end of trace after %lu records)\n", records);
	if (strcmp(a->version, b->version))
		printf("  note: header version '%s' in A, '%s' in B\n", a->version, b->version);
}

static int compare(struct tfile *a, struct tfile *b, bool ignore_counters, unsigned context)
{
	struct ctx ctx = { .cap = context };
	unsigned long records = 0;
	bool err = false;
	int rc = 2;

	for (;;) {
		char *ra = next_record(a, &err);
		char *rb = err ? NULL : next_record(b, &err);

		if (err) {
			fprintf(stderr, "softvtx: trace-diff: read error in %s\n",
			        ferror(a->f) ? a->path : b->path);
			break;
		}
		if (ra && rb && !strcmp(key_of(ra, ignore_counters), key_of(rb, ignore_counters))) {
			records++;
			if (ctx_push(&ctx, ra, a->line)) {
				fputs("softvtx: trace-diff: out of memory\n", stderr);
				break;
			}
			continue;
		}
		if (!ra && !rb && !strcmp(a->version, b->version)) {
			printf("traces identical: %s and %s\n", a->path, b->path);
			rc = 0;
		} else if (!ra && !rb) {
			printf("traces differ: header version '%s' in %s, '%s' in %s\n", a->version,
			       a->path, b->version, b->path);
			rc = 1;
		} else {
			report(a, b, ra, rb, &ctx, records);
			rc = 1;
		}
		summary(a, b, records, ignore_counters);
		break;
	}
	ctx_free(&ctx);
	return rc;
}

int cmd_trace_diff(int argc, char **argv)
{
	struct tfile t[2] = { { 0 }, { 0 } };
	bool ignore_counters = false;
	unsigned long context = 5;
	int i = 1, rc;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		char *end;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout, 0);
		if (!strcmp(argv[i], "--ignore-counters")) {
			ignore_counters = true;
		} else if (!strcmp(argv[i], "--context") && i + 1 < argc) {
			i++;
			errno = 0;
			context = strtoul(argv[i], &end, 10);
			if (errno || *end || !argv[i][0] || context > MAX_CONTEXT) {
				fprintf(stderr, "softvtx: trace-diff: invalid context '%s' (0 .. %d)\n",
				        argv[i], MAX_CONTEXT);
				return 2;
			}
		} else {
			fprintf(stderr, "softvtx: trace-diff: unknown option '%s'\n", argv[i]);
			return usage(stderr, 2);
		}
	}
	if (argc - i != 2) {
		fputs("softvtx: trace-diff: needs two trace files\n", stderr);
		return usage(stderr, 2);
	}
	for (int k = 0; k < 2; k++) {
		t[k].path = argv[i + k];
		t[k].f = !strcmp(t[k].path, "-") ? stdin : fopen(t[k].path, "r");
		if (!t[k].f) {
			fprintf(stderr, "softvtx: trace-diff: %s: %s\n", t[k].path, strerror(errno));
			if (k && t[0].f != stdin)
				fclose(t[0].f);
			free(t[0].buf);
			return 2;
		}
	}
	rc = compare(&t[0], &t[1], ignore_counters, (unsigned)context);
	for (int k = 0; k < 2; k++) {
		if (t[k].f != stdin)
			fclose(t[k].f);
		free(t[k].buf);
	}
	fflush(stdout);
	return rc;
}
