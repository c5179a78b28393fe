/* Whole-file reads for the loader.  Kept apart from the CPU headers:
 * <unistd.h> defines X_OK, which is also an enum xstatus name. */
#include "diag.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAX (1ull << 31)


/* Read a whole regular file.  *buf is malloc'd (at least 1 byte). */
enum vtx_status file_read_all(const char *path, uint8_t **buf, size_t *len, char *err,
                                 size_t errlen)
{
	struct stat sb;
	size_t got = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return load_fail(err, errlen, VTX_ERR_FILE, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return load_fail(err, errlen, VTX_ERR_FILE, "%s: not a regular file", path);
	}
	if ((unsigned long long)sb.st_size > FILE_MAX) {
		close(fd);
		return load_fail(err, errlen, VTX_ERR_FILE, "%s: file too large", path);
	}
	*buf = malloc((size_t)sb.st_size + 1);
	if (!*buf) {
		close(fd);
		return load_fail(err, errlen, VTX_ERR_NOMEM, "%s: out of host memory", path);
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			free(*buf);
			*buf = NULL;
			return load_fail(err, errlen, VTX_ERR_FILE, "%s: %s", path, strerror(e));
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return VTX_OK;
}

