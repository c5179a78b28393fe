/* softvtx diff-native: run a seeded campaign of single-instruction cases
 * on the host CPU and in softvtx (CPL 3, 64-bit mode) and report where
 * they differ.  The machinery is src/oracle/oracle.h. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff_native.h"
#include "oracle.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: softvtx diff-native [--seed S] [--cases N] [options]\n"
	        "\n"
	        "Run N single-instruction cases (case i uses opcode form i mod the form count,\n"
	        "its operands and initial state are random from S and i) natively on the host\n"
	        "CPU, in a forked sandbox, and in softvtx at CPL 3 in 64-bit mode, and compare\n"
	        "the general registers, the arithmetic flags and DF, the data page and the\n"
	        "fault (vector, error code, CR2, RIP).  Flags and results the SDM leaves\n"
	        "undefined are masked per case; the known Intel/AMD differences there are\n"
	        "listed in tests/silicon/amd-intel-differences.md (and --list-differences).\n"
	        "\n"
	        "Options:\n"
	        "  --seed S        campaign seed (default 1)\n"
	        "  --cases N       number of cases (default 10000)\n"
	        "  --show K        print the first K divergences as reproducers (default 5)\n"
	        "  --form I        only cases of form I (see --list-forms)\n"
	        "  --summary       one line per divergence (all of them) instead\n"
	        "  --all           one line per case, with its verdict\n"
	        "  --compat        run the cases in 32-bit compatibility mode (natively by a far\n"
	        "                  jump to Linux's selector 0x23; EAX..EDI compared)\n"
	        "  --list-forms    print the opcode-form table and exit\n"
	        "  --list-differences  print the documented Intel/AMD difference table\n"
	        "                  (tests/silicon/amd-intel-differences.md)\n"
	        "  -h, --help      show this help\n"
	        "\n"
	        "Every row of the difference table lies in state the SDM declares undefined;\n"
	        "a difference in SDM-defined state is a divergence, printed as a reproducer.\n"
	        "\n"
	        "Exit status: 0 when there was no divergence and no harness error, 1 otherwise,\n"
	        "2 usage error, 10 the sandbox could not be set up.\n");
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

int cmd_diff_native(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"seed", required_argument, NULL, 's'},
		{"cases", required_argument, NULL, 'n'},
		{"show", required_argument, NULL, 'k'},
		{"form", required_argument, NULL, 'f'},
		{"summary", no_argument, NULL, 'S'},
		{"all", no_argument, NULL, 'A'},
		{"compat", no_argument, NULL, 'C'},
		{"list-forms", no_argument, NULL, 'L'},
		{"list-differences", no_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct oc_options o = {.seed = 1, .cases = 10000, .show = 5, .only_form = -1};
	struct oc_stats st;
	uint64_t v;
	int c;
	struct timespec t0, t1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': case 'n': case 'k': case 'f':
			if (parse_u64(optarg, &v)) {
				fprintf(stderr, "softvtx: diff-native: bad number '%s'\n", optarg);
				return 2;
			}
			if (c == 's')
				o.seed = v;
			else if (c == 'n')
				o.cases = v;
			else if (c == 'k')
				o.show = (unsigned)v;
			else if (v < oc_form_count())
				o.only_form = (int)v;
			else {
				fprintf(stderr, "softvtx: diff-native: no form %s\n", optarg);
				return 2;
			}
			break;
		case 'S':
			o.summary = true;
			break;
		case 'A':
			o.verbose = true;
			break;
		case 'C':
			o.compat = true;
			break;
		case 'L':
			for (unsigned i = 0; i < oc_form_count(); i++)
				printf("%3u  %s\n", i, oc_form_name(i));
			return 0;
		case 'D':
			for (unsigned i = 0; i < oc_difference_count(); i++) {
				const struct oc_difference *d = oc_difference(i);

				printf("%s: %s\n    source: %s\n", d->id, d->what, d->source);
			}
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "softvtx: diff-native: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (oc_campaign(&o, &st, stdout))
		return 10;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("diff-native: seed %" PRIu64 ": %" PRIu64 " cases in %s mode over %u opcode forms (%"
	       PRIu64 " faulted natively), %.1f s\n",
	       o.seed, st.cases, o.compat ? "compatibility" : "64-bit", oc_form_count(), st.faults_native,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("  equal                         %" PRIu64 "\n", st.same);
	printf("    of which differ only in SDM-undefined flags/results: %" PRIu64
	       " (%" PRIu64 " not explained by a table row)\n", st.undefined_only, st.unexplained);
	for (unsigned i = 0; i < oc_difference_count() && i < 32; i++)
		if (st.per_difference[i])
			printf("      %-16s %" PRIu64 "\n", oc_difference(i)->id, st.per_difference[i]);
	printf("  #UD for a CPUID feature softvtx does not report: %" PRIu64 "\n", st.absent);
	printf("  divergences                   %" PRIu64 "\n", st.divergent);
	printf("  harness errors                %" PRIu64 "\n", st.harness_errors);
	return st.divergent || st.harness_errors ? 1 : 0;
}
