/*
 * mbuf.c - growable buffer with sticky failure.
 */
#include "core/mbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mbuf_init(struct mbuf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

void mbuf_reset(struct mbuf *b)
{
	b->len = 0;
	b->failed = false;
}

void mbuf_free(struct mbuf *b)
{
	free(b->data);
	mbuf_init(b);
}

bool mbuf_reserve(struct mbuf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 512;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *data = realloc(b->data, cap);
	if (!data) {
		b->failed = true;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}

void mbuf_append(struct mbuf *b, const void *data, size_t len)
{
	if (!len || !mbuf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void mbuf_append_slice(struct mbuf *b, struct slice s)
{
	mbuf_append(b, s.p, s.len);
}

void mbuf_append_str(struct mbuf *b, const char *s)
{
	mbuf_append(b, s, strlen(s));
}

void mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->failed)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !mbuf_reserve(b, (size_t)n)) {
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
