/* Console output over COM1 and printf-like formatting. */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

void serial_init(void);
void serial_putc(char c);

/* Supports %d %i %u %x %X %p %s %c %%, the l and ll length modifiers,
 * zero padding and a field width.  Returns the length it would write. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void puts_raw(const char *s);

#endif
