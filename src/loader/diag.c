/* The loader's one-line error messages (diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

enum vtx_status load_fail(char *err, size_t errlen, enum vtx_status st, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return st;
}
