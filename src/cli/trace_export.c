/* softvtx trace-export: the VM entry/exit timeline of a trace as
 * Chrome/Perfetto trace-event JSON (traces/FORMAT.md, "Timeline export").
 *
 * Two tracks of complete events ("ph":"X"): the host (VMX root, thread 1)
 * from each VM exit, or the start of the run, to the next VM entry, named
 * after the exit it handles; the guest (VMX non-root, thread 2) from each
 * entry to the exit that ends it.  Entry failures and VMX aborts are
 * instant events on the host track, exception and interrupt deliveries
 * instant events on the track they happen in.  Timestamps are cycles
 * divided by --cycles-per-us (default 1000: one cycle is shown as one
 * nanosecond). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_cmds.h"

struct exporter {
	FILE *out;
	double per_us;
	bool first;              /* no event written yet (comma handling) */
	bool in_guest;
	uint64_t start;          /* cycles the open interval began at */
	char host_name[64];      /* the open host interval's name */
	char entry_rip[32];      /* the open guest interval's entry RIP */
	unsigned long guest_n, host_n, instants;
};

/* The value of " key=" in rec (up to the next space) copied to out;
 * false if the record has no such key. */
static bool field(const char *rec, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = rec;

	while ((p = strstr(p, key)) != NULL) {
		if (p > rec && p[-1] == ' ' && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " ");

			if (n >= len)
				n = len - 1;
			memcpy(out, p + klen + 1, n);
			out[n] = 0;
			return true;
		}
		p += klen;
	}
	return false;
}

/* A trace token as a JSON string body: trace values are printable ASCII
 * (FORMAT.md); '"' and '\' are escaped all the same. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* why="..." (FORMAT.md escapes: \" \\ \xNN) as a JSON string. */
static void json_why(FILE *f, const char *rec)
{
	const char *p = strstr(rec, " why=\"");

	fputc('"', f);
	if (p) {
		for (p += 6; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
			    isxdigit((unsigned char)p[3])) {
				fprintf(f, "\\u00%c%c", p[2], p[3]);
				p += 3;
			} else if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) {
				fprintf(f, "\\%c", p[1]);
				p++;
			} else if (*p == '\\') {
				fputs("\\\\", f);   /* not a FORMAT.md escape: kept as text */
			} else if ((unsigned char)*p < 0x20) {
				fprintf(f, "\\u%04x", (unsigned char)*p);
			} else {
				fputc(*p, f);
			}
		}
	}
	fputc('"', f);
}

static void begin_event(struct exporter *x, const char *ph, const char *name, unsigned tid,
                        uint64_t ts)
{
	fprintf(x->out, "%s\n{\"ph\":\"%s\",\"pid\":1,\"tid\":%u,\"ts\":%.3f,\"name\":",
	        x->first ? "" : ",", ph, tid, (double)ts / x->per_us);
	json_str(x->out, name);
	x->first = false;
}

static void close_host(struct exporter *x, uint64_t now)
{
	begin_event(x, "X", x->host_name, 1, x->start);
	fprintf(x->out, ",\"cat\":\"host\",\"dur\":%.3f,\"args\":{\"cycles\":%" PRIu64 "}}",
	        (double)(now - x->start) / x->per_us, now - x->start);
	x->host_n++;
}

/* field(), or `dflt` when the record has no such key. */
static void field_or(const char *rec, const char *key, char *out, size_t len, const char *dflt)
{
	if (!field(rec, key, out, len))
		snprintf(out, len, "%s", dflt);
}

/* ,"key":"value" */
static void json_arg(struct exporter *x, const char *key, const char *value)
{
	fprintf(x->out, ",\"%s\":", key);
	json_str(x->out, value);
}

static void on_vmentry(struct exporter *x, const char *rec, uint64_t cycles)
{
	if (x->in_guest)
		return;
	close_host(x, cycles);
	field_or(rec, "rip", x->entry_rip, sizeof(x->entry_rip), "?");
	x->in_guest = true;
	x->start = cycles;
}

/* Ends the guest interval (if one is open) and opens the host one. */
static void on_vmexit(struct exporter *x, const char *rec, uint64_t cycles)
{
	char name[64], v[32];

	field_or(rec, "name", name, sizeof(name), "?");
	if (x->in_guest) {
		begin_event(x, "X", "guest", 2, x->start);
		fprintf(x->out, ",\"cat\":\"guest\",\"dur\":%.3f,\"args\":{\"cycles\":%" PRIu64,
		        (double)(cycles - x->start) / x->per_us, cycles - x->start);
		json_arg(x, "entry_rip", x->entry_rip);
		json_arg(x, "exit", name);
		field_or(rec, "reason", v, sizeof(v), "?");
		json_arg(x, "reason", v);
		field_or(rec, "qual", v, sizeof(v), "?");
		json_arg(x, "qual", v);
		field_or(rec, "rip", v, sizeof(v), "?");
		json_arg(x, "exit_rip", v);
		fputs("}}", x->out);
		x->guest_n++;
	}
	snprintf(x->host_name, sizeof(x->host_name), "%s", name);
	x->in_guest = false;
	x->start = cycles;
}

/* An exception or interrupt delivery: an instant on its track. */
static void on_event(struct exporter *x, const char *rec, uint64_t cycles)
{
	char type[16], vector[16], guest[4], name[40], v[32];

	field_or(rec, "type", type, sizeof(type), "?");
	field_or(rec, "vector", vector, sizeof(vector), "?");
	field_or(rec, "guest", guest, sizeof(guest), "0");
	snprintf(name, sizeof(name), "%s %s", type, vector);
	begin_event(x, "i", name, strcmp(guest, "1") ? 1 : 2, cycles);
	fputs(",\"s\":\"t\",\"args\":{\"ret\":", x->out);
	field_or(rec, "ret", v, sizeof(v), "?");
	json_str(x->out, v);
	if (field(rec, "err", v, sizeof(v)))
		json_arg(x, "err", v);
	if (field(rec, "cr2", v, sizeof(v)))
		json_arg(x, "cr2", v);
	fputs("}}", x->out);
	x->instants++;
}

/* vmentry-fail and vmabort: an instant on the host track. */
static void on_failure(struct exporter *x, const char *rec, uint64_t cycles, const char *kind)
{
	char check[64], name[96];

	field_or(rec, "check", check, sizeof(check), "");
	snprintf(name, sizeof(name), "%s%s%s", kind, check[0] ? " " : "", check);
	begin_event(x, "i", name, 1, cycles);
	fputs(",\"s\":\"t\",\"args\":{\"why\":", x->out);
	json_why(x->out, rec);
	fputs("}}", x->out);
	x->instants++;
}

/* Other kinds (insn, cr*, efer, vmfail, stop) are not on the timeline. */
static void record(struct exporter *x, const char *rec, uint64_t cycles, const char *kind)
{
	if (!strcmp(kind, "vmentry"))
		on_vmentry(x, rec, cycles);
	else if (!strcmp(kind, "vmexit"))
		on_vmexit(x, rec, cycles);
	else if (!strcmp(kind, "event"))
		on_event(x, rec, cycles);
	else if (!strcmp(kind, "vmentry-fail") || !strcmp(kind, "vmabort"))
		on_failure(x, rec, cycles, kind);
}

static int usage(FILE *f, int rc)
{
	fputs("Usage: softvtx trace-export [--cycles-per-us N] TRACE JSON\n"
	      "\n"
	      "Write the VM entry/exit timeline of TRACE (a softvtx trace, e.g. from\n"
	      "`softvtx run --trace-events`) to JSON in Chrome/Perfetto trace-event\n"
	      "format: guest intervals (entry to exit) and host intervals (exit to\n"
	      "entry) on two tracks.  Timestamps are cycles / N microseconds (default\n"
	      "N = 1000, one cycle shown as one nanosecond).  JSON '-' is stdout.\n"
	      "Open the file in https://ui.perfetto.dev or chrome://tracing.\n"
	      "\n"
	      "Exit status: 0 written, 2 usage or I/O error.\n", f);
	return rc;
}

/* Options into *x; the two paths into paths[0..1].  Returns -1 to go on,
 * else the exit status. */
static int parse_args(int argc, char **argv, struct exporter *x, const char **paths)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		char *end;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout, 0);
		if (strcmp(argv[i], "--cycles-per-us") || i + 1 >= argc) {
			fprintf(stderr, "softvtx: trace-export: unknown option '%s'\n", argv[i]);
			return usage(stderr, 2);
		}
		i++;
		errno = 0;
		x->per_us = strtod(argv[i], &end);
		if (errno || *end || !argv[i][0] || !(x->per_us > 0)) {
			fprintf(stderr, "softvtx: trace-export: invalid scale '%s'\n", argv[i]);
			return 2;
		}
	}
	if (argc - i != 2) {
		fputs("softvtx: trace-export: needs a trace file and an output file\n", stderr);
		return usage(stderr, 2);
	}
	paths[0] = argv[i];
	paths[1] = argv[i + 1];
	return -1;
}

/* The whole JSON document for the trace read from `in`.  Returns false on
 * a read error. */
static bool export(struct exporter *x, FILE *in, const char *in_path)
{
	uint64_t last = 0;
	char *line = NULL;
	size_t cap = 0;
	bool ok;

	fputs("{\"traceEvents\":[", x->out);
	begin_event(x, "M", "process_name", 1, 0);
	fputs(",\"args\":{\"name\":\"softvtx\"}}", x->out);
	begin_event(x, "M", "thread_name", 1, 0);
	fputs(",\"args\":{\"name\":\"host (VMX root)\"}}", x->out);
	begin_event(x, "M", "thread_name", 2, 0);
	fputs(",\"args\":{\"name\":\"guest (VMX non-root)\"}}", x->out);
	while (getline(&line, &cap, in) >= 0) {
		unsigned long long n, cycles;
		char kind[32];

		if (line[0] == '#' || sscanf(line, "%llu %llu %31s", &n, &cycles, kind) != 3)
			continue;
		line[strcspn(line, "\r\n")] = 0;
		last = cycles;
		record(x, line, cycles, kind);
	}
	ok = !ferror(in);
	free(line);
	/* The interval still open when the trace ends. */
	if (x->in_guest) {
		begin_event(x, "X", "guest", 2, x->start);
		fprintf(x->out, ",\"cat\":\"guest\",\"dur\":%.3f,\"args\":{\"cycles\":%" PRIu64,
		        (double)(last - x->start) / x->per_us, last - x->start);
		json_arg(x, "entry_rip", x->entry_rip);
		fputs(",\"exit\":\"(end of trace)\"}}", x->out);
		x->guest_n++;
	} else {
		close_host(x, last);
	}
	fprintf(x->out, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"source\":");
	json_str(x->out, in_path);
	fprintf(x->out, ",\"cycles_per_us\":%g}}\n", x->per_us);
	return ok;
}

int cmd_trace_export(int argc, char **argv)
{
	struct exporter x = { .per_us = 1000.0, .first = true };
	const char *path[2];
	FILE *in;
	int rc = parse_args(argc, argv, &x, path);

	if (rc >= 0)
		return rc;
	rc = 0;
	strcpy(x.host_name, "boot");
	in = !strcmp(path[0], "-") ? stdin : fopen(path[0], "r");
	if (!in) {
		fprintf(stderr, "softvtx: trace-export: %s: %s\n", path[0], strerror(errno));
		return 2;
	}
	x.out = !strcmp(path[1], "-") ? stdout : fopen(path[1], "w");
	if (!x.out) {
		fprintf(stderr, "softvtx: trace-export: %s: %s\n", path[1], strerror(errno));
		if (in != stdin)
			fclose(in);
		return 2;
	}
	if (!export(&x, in, path[0])) {
		fprintf(stderr, "softvtx: trace-export: read error in %s\n", path[0]);
		rc = 2;
	}
	if (in != stdin)
		fclose(in);
	if (x.out != stdout ? fclose(x.out) != 0 : fflush(x.out) != 0) {
		fprintf(stderr, "softvtx: trace-export: %s: write error\n", path[1]);
		rc = 2;
	}
	if (!rc)
		fprintf(stderr, "softvtx: trace-export: %lu guest and %lu host intervals, "
		        "%lu instant events\n", x.guest_n, x.host_n, x.instants);
	return rc;
}
