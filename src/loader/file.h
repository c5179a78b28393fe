/* Reading image and module files. */
#ifndef SOFTVTX_LOADER_FILE_H
#define SOFTVTX_LOADER_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "softvtx.h"

/* Read the whole regular file `path` into a malloc'd *buf (free() it) of
 * *len bytes.  FILE (missing, not a regular file, unreadable, above 2 GiB)
 * or NOMEM, with "<path>: <reason>" in err[0..errlen). */
enum vtx_status file_read_all(const char *path, uint8_t **buf, size_t *len, char *err,
                              size_t errlen);

#endif
