/* A minimal vsnprintf: enough for TAP lines and diagnostics. */
#include "console.h"
#include <stdint.h>
#include <stdbool.h>

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, bool neg,
		    int width, char pad, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		width--;
	if (neg && pad == '0')
		put(o, '-');
	for (int i = n; i < width; i++)
		put(o, pad);
	if (neg && pad != '0')
		put(o, '-');
	while (n)
		put(o, tmp[--n]);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, lng = 0;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, v < 0, width, pad, false);
			break;
		}
		case 'u':
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10,
				false, width, pad, false);
			break;
		case 'x':
		case 'X':
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16,
				false, width, pad, *fmt == 'X');
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, width, pad, false);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n = 0;
			if (!s)
				s = "(null)";
			for (const char *p = s; *p; p++)
				n++;
			for (int i = n; i < width; i++)
				put(&o, ' ');
			while (*s)
				put(&o, *s++);
			break;
		}
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '%');
			if (*fmt)
				put(&o, *fmt);
			else
				fmt--;
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void puts_raw(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

int printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	puts_raw(buf);
	return n;
}
