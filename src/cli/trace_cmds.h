/* The trace commands of the softvtx CLI (format: traces/FORMAT.md). */
#ifndef SOFTVTX_CLI_TRACE_CMDS_H
#define SOFTVTX_CLI_TRACE_CMDS_H

/* softvtx trace-diff [--ignore-counters] [--context N] A B
 * Exit 0 identical, 1 different, 2 usage or I/O error (trace_diff.c). */
int cmd_trace_diff(int argc, char **argv);

/* softvtx trace-export [--cycles-per-us N] TRACE JSON
 * The VM entry/exit timeline as Chrome/Perfetto trace-event JSON.  Exit 0
 * written, 2 usage or I/O error (trace_export.c). */
int cmd_trace_export(int argc, char **argv);

#endif
