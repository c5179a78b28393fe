/* The softvtx command: argument parsing, then vtx_* calls only.  This is
 * the one place that prints and chooses the process exit status. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff_native.h"
#include "softvtx.h"
#include "trace_cmds.h"

/* Exit statuses.  Debug-exit statuses are (v << 1) | 1, always odd, so the
 * machine's own outcomes use even numbers and never collide with them. */
enum {
	EXIT_HALT = 0,
	EXIT_USAGE = 2,
	EXIT_LOAD = 4,
	EXIT_TRIPLE_FAULT = 6,
	EXIT_BUDGET = 8,
	EXIT_INTERNAL = 10,
};

static const char exit_table[] =
	"Exit status:\n"
	"  odd  the guest wrote v to isa-debug-exit (port 0xF4): status (v << 1) | 1\n"
	"       (the low 8 bits, as the shell sees it)\n"
	"  0    the guest executed HLT with nothing to wake it (clean halt)\n"
	"  2    usage error\n"
	"  4    the image or a module could not be loaded\n"
	"  6    triple fault (shutdown)\n"
	"  8    the instruction budget (--max-insns) ran out\n"
	"  10   internal error (e.g. out of host memory)\n"
	"Every non-zero status that is not a debug-exit status comes with a one-line\n"
	"reason on stderr.\n";

static void usage_main(FILE *f)
{
	fprintf(f,
	        "Usage: softvtx COMMAND [options]\n"
	        "       softvtx --help | --version\n"
	        "\n"
	        "Commands:\n"
	        "  run [options] IMAGE   boot a Multiboot v1 kernel (ELF32, ELF64 or flat)\n"
	        "                        as qemu-system-x86_64 -kernel would\n"
	        "  diff-native [options] compare single instructions on the host CPU and in\n"
	        "                        softvtx (the silicon oracle; see diff-native --help)\n"
	        "  trace-diff A B        first divergence between two traces, with context\n"
	        "  trace-export TRACE JSON\n"
	        "                        VM entry/exit timeline as Perfetto/Chrome JSON\n"
	        "\n"
	        "Run `softvtx run --help` for the options.\n\n%s",
	        exit_table);
}

static void usage_run(FILE *f)
{
	fprintf(f,
	        "Usage: softvtx run [options] IMAGE\n"
	        "\n"
	        "Boot the Multiboot v1 kernel IMAGE.  Guest output on COM1 (0x3F8) and the\n"
	        "debug console (0xE9) goes to stdout.\n"
	        "\n"
	        "Options:\n"
	        "  -m MIB                  guest RAM in MiB (default 128; suffix M or G allowed)\n"
	        "  --append STR            kernel command line; the guest sees \"IMAGE STR\"\n"
	        "  --module 'FILE [ARGS]'  load FILE as a Multiboot module whose command\n"
	        "                          line is the whole string (repeatable)\n"
	        "  --max-insns N           stop after N instructions (exit status 8)\n"
	        "  --stats                 print instructions, cycles, wall time, MIPS and\n"
	        "                          decode-cache counters on stderr at the end\n"
	        "  --trace[=FIRST[,COUNT]] trace retired instructions FIRST .. FIRST+COUNT-1\n"
	        "                          (default: all) to stderr: index, cycles, CS:RIP,\n"
	        "                          bytes, disassembly, changed registers; plus the\n"
	        "                          whole run's events: VM entries, exits and\n"
	        "                          failures, CR0/CR3/CR4/EFER writes, exceptions and\n"
	        "                          interrupts (format: traces/FORMAT.md)\n"
	        "  --trace-events          trace the events only (same as --trace=0,0)\n"
	        "  --trace-file FILE       write the trace to FILE instead of stderr\n"
	        "  --cpu-profile NAME|FILE VMX capabilities the CPU reports: a built-in\n"
	        "                          profile or a profile file (docs/cpu-profiles.md)\n"
	        "  --feature-control N     IA32_FEATURE_CONTROL as the firmware leaves it\n"
	        "                          (default 0x5: locked, VMXON allowed; 0: unlocked)\n"
	        "  -h, --help              show this help\n"
	        "\n");
	fputs("CPU profiles:", f);
	for (size_t i = 0; vtx_cpu_profile_name(i); i++)
		fprintf(f, " %s%s", vtx_cpu_profile_name(i), i == 0 ? " (default)" : "");
	fprintf(f, "\n\n%s", exit_table);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("softvtx: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (try `softvtx run --help')\n", stderr);
	return EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/* QEMU's -m: a number of MiB, or with a suffix M or G. */
static int parse_ram(const char *s, uint64_t *bytes)
{
	char *end;
	uint64_t v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end == 'G' || *end == 'g') {
		v *= 1024;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		end++;
	}
	if (*end || v < 2 || v > 65536)
		return -1;
	*bytes = v << 20;
	return 0;
}

/* FIRST[,COUNT] */
static int parse_trace(const char *s, uint64_t *first, uint64_t *count)
{
	const char *comma = strchr(s, ',');
	char buf[64];

	*first = 0;
	*count = VTX_RUN_FOREVER;
	if (!comma)
		return parse_u64(s, first);
	if ((size_t)(comma - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(comma - s));
	buf[comma - s] = 0;
	if (parse_u64(buf, first) || parse_u64(comma + 1, count))
		return -1;
	return 0;
}

static void trace_line(void *opaque, const char *line, size_t len)
{
	FILE *f = opaque;

	fwrite(line, 1, len, f);
	fputc('\n', f);
}

static const char *exc_name(unsigned v)
{
	static const char *const names[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9",
		"#TS", "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM",
		"#VE", "#CP",
	};

	return v < 32 && names[v] ? names[v] : "an interrupt";
}

struct run_opts {
	uint64_t ram, max_insns, trace_first, trace_count;
	const char *append, *image, *trace_file, *cpu_profile;
	uint64_t feature_control;
	const char *feature_control_arg; /* NULL: the default */
	const char **modules;
	size_t nmodules;
	int stats, trace;
};

enum { OPT_APPEND = 256, OPT_MODULE, OPT_MAX_INSNS, OPT_STATS, OPT_TRACE, OPT_TRACE_FILE,
       OPT_CPU_PROFILE, OPT_FEATURE_CONTROL, OPT_TRACE_EVENTS };

static int parse_run(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {
		{ "append", required_argument, NULL, OPT_APPEND },
		{ "module", required_argument, NULL, OPT_MODULE },
		{ "max-insns", required_argument, NULL, OPT_MAX_INSNS },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "trace", optional_argument, NULL, OPT_TRACE },
		{ "trace-file", required_argument, NULL, OPT_TRACE_FILE },
		{ "trace-events", no_argument, NULL, OPT_TRACE_EVENTS },
		{ "cpu-profile", required_argument, NULL, OPT_CPU_PROFILE },
		{ "feature-control", required_argument, NULL, OPT_FEATURE_CONTROL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_ram(optarg, &o->ram))
				return usage_error("invalid RAM size '%s' (MiB, 2 .. 65536)", optarg);
			break;
		case OPT_APPEND:
			o->append = optarg;
			break;
		case OPT_MODULE: {
			const char **m = realloc(o->modules, (o->nmodules + 1) * sizeof(*m));

			if (!m) {
				fputs("softvtx: out of memory\n", stderr);
				return EXIT_INTERNAL;
			}
			o->modules = m;
			o->modules[o->nmodules++] = optarg;
			break;
		}
		case OPT_MAX_INSNS:
			if (parse_u64(optarg, &o->max_insns))
				return usage_error("invalid instruction count '%s'", optarg);
			break;
		case OPT_STATS:
			o->stats = 1;
			break;
		case OPT_TRACE:
			o->trace = 1;
			if (optarg && parse_trace(optarg, &o->trace_first, &o->trace_count))
				return usage_error("invalid trace window '%s' (FIRST[,COUNT])", optarg);
			if (!optarg) {
				o->trace_first = 0;
				o->trace_count = VTX_RUN_FOREVER;
			}
			break;
		case OPT_TRACE_EVENTS:
			o->trace = 1;
			o->trace_first = 0;
			o->trace_count = 0;
			break;
		case OPT_TRACE_FILE:
			o->trace_file = optarg;
			break;
		case OPT_CPU_PROFILE:
			o->cpu_profile = optarg;
			break;
		case OPT_FEATURE_CONTROL:
			if (parse_u64(optarg, &o->feature_control))
				return usage_error("invalid IA32_FEATURE_CONTROL value '%s'", optarg);
			o->feature_control_arg = optarg;
			break;
		case 'h':
			usage_run(stdout);
			return -1;
		case ':':
			return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_error("%s", optind >= argc ? "no IMAGE given" : "more than one IMAGE given");
	o->image = argv[optind];
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_stats(const vtx_t *vtx, double wall)
{
	struct vtx_stats st;

	vtx_get_stats(vtx, &st);
	fprintf(stderr,
	        "softvtx: stats: %" PRIu64 " instructions, %" PRIu64 " cycles, %.6f s wall, "
	        "%.2f MIPS\n",
	        st.instructions, st.cycles, wall,
	        wall > 0 ? (double)st.instructions / wall / 1e6 : 0.0);
	fprintf(stderr,
	        "softvtx: decode cache: %" PRIu64 " lookups, %" PRIu64 " jump-cache hits, %" PRIu64
	        " hash hits, %" PRIu64 " misses, %" PRIu64 " decoded, %" PRIu64
	        " invalidated, %" PRIu64 " flushes\n",
	        st.icache_lookups, st.icache_jc_hits, st.icache_hash_hits, st.icache_misses,
	        st.icache_decoded, st.icache_invalidated, st.icache_flushes);
	if (st.vm_entries || st.vm_exits[33] || st.vm_exits[34]) {
		fprintf(stderr, "softvtx: vmx: %" PRIu64 " VM entries; VM exits by reason:",
		        st.vm_entries);
		for (unsigned r = 0; r < VTX_EXIT_REASONS; r++)
			if (st.vm_exits[r])
				fprintf(stderr, " %u=%" PRIu64, r, st.vm_exits[r]);
		fputc('\n', stderr);
	}
}

/* Every VM-entry failure is named on stderr with its check ID: no CPU
 * tells a hypervisor author which rule failed, softvtx does. */
static void vmx_note(void *opaque, const struct vtx_vmx_event *ev)
{
	(void)opaque;
	if (ev->kind != VTX_VMX_ENTRY_FAIL)
		return;
	if (ev->reason)
		fprintf(stderr, "softvtx: VM entry failed at %" PRIu64 ": %s -> exit %u (0x%08x) "
		        "qual %" PRIu64 "\n", ev->icount, ev->explanation ? ev->explanation : "?",
		        ev->reason & 0xffff, ev->reason, ev->qual);
	else
		fprintf(stderr, "softvtx: VM entry failed at %" PRIu64 ": %s -> VMfailValid(%u)\n",
		        ev->icount, ev->explanation ? ev->explanation : "?", ev->error);
}

/* The one-line reason for the outcome, and the process exit status. */
static int report(const vtx_t *vtx, enum vtx_stop stop)
{
	struct vtx_stats st;
	char mnem[32];
	uint64_t lin;
	uint64_t rip = 0;
	uint16_t cs = 0;
	uint8_t vec = 0;

	if (vtx_unimplemented(vtx, mnem, sizeof(mnem), &lin))
		fprintf(stderr,
		        "softvtx: unimplemented instruction '%s' at %08" PRIx64 " raised #UD\n", mnem,
		        lin);
	switch (stop) {
	case VTX_STOP_DEBUG_EXIT:
		return vtx_exit_status(vtx) & 0xff;
	case VTX_STOP_HALT:
		return EXIT_HALT;
	case VTX_STOP_SHUTDOWN:
		vtx_shutdown_info(vtx, &cs, &rip, &vec);
		/* The exception in cpu->fault at shutdown is the one that
		 * could not be delivered while delivering #DF. */
		fprintf(stderr, "softvtx: triple fault at %04x:%08" PRIx64 " (%s during #DF delivery)\n",
		        cs, rip, exc_name(vec));
		return EXIT_TRIPLE_FAULT;
	case VTX_STOP_BUDGET:
		vtx_get_stats(vtx, &st);
		fprintf(stderr, "softvtx: instruction budget exhausted after %" PRIu64
		        " instructions\n", st.instructions);
		return EXIT_BUDGET;
	default:
		fputs("softvtx: internal error: the run stopped unexpectedly\n", stderr);
		return EXIT_INTERNAL;
	}
}

/* The trace's last record: how and when the run ended (traces/FORMAT.md,
 * "stop"), so that a golden trace also pins the end of the run. */
static void trace_stop(FILE *f, const vtx_t *vtx, enum vtx_stop stop)
{
	static const char *const why[] = {
		[VTX_STOP_BUDGET] = "budget", [VTX_STOP_HALT] = "halt",
		[VTX_STOP_SHUTDOWN] = "shutdown", [VTX_STOP_DEBUG_EXIT] = "debug-exit",
		[VTX_STOP_BREAK] = "break", [VTX_STOP_ERROR] = "error",
	};
	struct vtx_stats st;

	vtx_get_stats(vtx, &st);
	fprintf(f, "%" PRIu64 " %" PRIu64 " stop reason=%s", st.instructions, st.cycles,
	        (unsigned)stop <= VTX_STOP_ERROR ? why[stop] : "?");
	if (stop == VTX_STOP_DEBUG_EXIT)
		fprintf(f, " value=0x%x", vtx_exit_status(vtx) >> 1);
	fputc('\n', f);
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .ram = 128ull << 20, .max_insns = VTX_RUN_FOREVER };
	struct vtx_config cfg = { 0 };
	FILE *trace_out = stderr;
	char err[512];
	enum vtx_status st;
	enum vtx_stop stop;
	vtx_t *vtx = NULL;
	double t0;
	int rc;

	rc = parse_run(argc, argv, &o);
	if (rc) {
		free(o.modules);
		return rc < 0 ? 0 : rc;
	}
	cfg.ram_bytes = o.ram;
	st = vtx_open(&cfg, &vtx);
	if (st != VTX_OK) {
		fprintf(stderr, "softvtx: cannot create the machine: %s\n", vtx_strerror(st));
		free(o.modules);
		return st == VTX_ERR_NOMEM ? EXIT_INTERNAL : EXIT_USAGE;
	}
	if (o.cpu_profile) {
		st = vtx_set_cpu_profile(vtx, o.cpu_profile, err, sizeof(err));
		if (st != VTX_OK) {
			fprintf(stderr, "softvtx: %s\n", err[0] ? err : vtx_strerror(st));
			free(o.modules);
			vtx_close(vtx);
			return st == VTX_ERR_NOMEM ? EXIT_INTERNAL : EXIT_USAGE;
		}
	}
	if (o.feature_control_arg && vtx_set_feature_control(vtx, o.feature_control) != VTX_OK) {
		free(o.modules);
		vtx_close(vtx);
		return usage_error("IA32_FEATURE_CONTROL value '%s' sets bits the CPU does not have "
		                   "(0x1 lock, 0x4 VMXON outside SMX)", o.feature_control_arg);
	}
	st = vtx_load_multiboot(vtx, o.image, o.append, o.modules, o.nmodules, err, sizeof(err));
	free(o.modules);
	if (st != VTX_OK) {
		fprintf(stderr, "softvtx: %s\n", err[0] ? err : vtx_strerror(st));
		vtx_close(vtx);
		return st == VTX_ERR_NOMEM ? EXIT_INTERNAL : EXIT_LOAD;
	}
	if (o.trace) {
		if (o.trace_file) {
			trace_out = fopen(o.trace_file, "w");
			if (!trace_out) {
				fprintf(stderr, "softvtx: %s: %s\n", o.trace_file, strerror(errno));
				vtx_close(vtx);
				return EXIT_USAGE;
			}
		}
		fprintf(trace_out, "%s\n", VTX_TRACE_HEADER);
		if (vtx_set_trace(vtx, o.trace_first, o.trace_count, trace_line, trace_out) != VTX_OK) {
			fputs("softvtx: cannot start the disassembler for --trace\n", stderr);
			vtx_close(vtx);
			return EXIT_INTERNAL;
		}
	}
	vtx_set_vmx_hook(vtx, vmx_note, NULL);
	t0 = now_seconds();
	stop = vtx_run(vtx, o.max_insns);
	fflush(stdout);
	if (o.trace)
		trace_stop(trace_out, vtx, stop);
	if (trace_out != stderr)
		fclose(trace_out);
	if (o.stats)
		print_stats(vtx, now_seconds() - t0);
	rc = report(vtx, stop);
	vtx_close(vtx);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("softvtx 0.1");
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "diff-native"))
		return cmd_diff_native(argc - 1, argv + 1);
	if (!strcmp(argv[1], "trace-diff"))
		return cmd_trace_diff(argc - 1, argv + 1);
	if (!strcmp(argv[1], "trace-export"))
		return cmd_trace_export(argc - 1, argv + 1);
	fprintf(stderr, "softvtx: unknown command '%s' (try `softvtx --help')\n", argv[1]);
	return EXIT_USAGE;
}
