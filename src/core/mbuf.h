/*
 * mbuf.h - a growable byte buffer for building outgoing messages.
 *
 * Builders append; on allocation failure the buffer remembers the error and
 * further appends are no-ops, so a message can be built with a run of calls
 * and checked once at the end (mbuf_failed).
 */
#ifndef RTCB_CORE_MBUF_H
#define RTCB_CORE_MBUF_H

#include "core/slice.h"

#include <stdbool.h>
#include <stddef.h>

struct mbuf {
	char *data;
	size_t len, cap;
	bool failed;
};

void mbuf_init(struct mbuf *b);
void mbuf_reset(struct mbuf *b);
void mbuf_free(struct mbuf *b);
bool mbuf_reserve(struct mbuf *b, size_t extra);
void mbuf_append(struct mbuf *b, const void *data, size_t len);
void mbuf_append_slice(struct mbuf *b, struct slice s);
void mbuf_append_str(struct mbuf *b, const char *s);
void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool mbuf_failed(const struct mbuf *b)
{
	return b->failed;
}
static inline struct slice mbuf_slice(const struct mbuf *b)
{
	return slice_make(b->data, b->len);
}

#endif
