/* The loader's one-line error messages. */
#ifndef SOFTVTX_LOADER_DIAG_H
#define SOFTVTX_LOADER_DIAG_H

#include <stddef.h>

#include "softvtx.h"

/* Format a one-line reason into err[0..errlen) (if err is non-NULL) and
 * return `st`, so a failing check reads `return load_fail(...)`. */
enum vtx_status load_fail(char *err, size_t errlen, enum vtx_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
