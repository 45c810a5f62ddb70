/*
 * slice.h - pointer+length views into buffers owned by someone else.
 *
 * The SIP parser never copies: every token it finds is a slice into the
 * receive buffer, and that buffer lives as long as the message that refers to
 * it. A slice is never NUL-terminated; use the helpers here (or print it with
 * "%.*s", SLICE_FMT(s)) instead of the C string functions.
 */
#ifndef RTCB_CORE_SLICE_H
#define RTCB_CORE_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slice {
	const char *p;
	size_t len;
};

#define SLICE_LIT(s) ((struct slice){ (s), sizeof(s) - 1 })
#define SLICE_NULL ((struct slice){ NULL, 0 })
/* for printf: printf("%.*s", SLICE_FMT(s)) */
#define SLICE_FMT(s) (int)(s).len, (s).p

static inline struct slice slice_make(const char *p, size_t len)
{
	return (struct slice){ p, len };
}

static inline bool slice_is_set(struct slice s)
{
	return s.p != NULL;
}

struct slice slice_from_cstr(const char *s);
bool slice_eq(struct slice a, struct slice b);
bool slice_eq_case(struct slice a, struct slice b);
bool slice_eq_cstr(struct slice a, const char *s);
bool slice_eq_cstr_case(struct slice a, const char *s);
bool slice_starts_with_case(struct slice s, const char *prefix);
/* Does s hold needle anywhere, ASCII case folded? An empty needle: yes. */
bool slice_contains_case(struct slice s, const char *needle);
struct slice slice_trim(struct slice s);
/* Index of the first c in s, or -1. */
long slice_index(struct slice s, char c);
/* Strict unsigned decimal: digits only, no sign, no overflow past max. */
int slice_to_u32(struct slice s, uint32_t *out);
int slice_to_u64(struct slice s, uint64_t *out);
/* Copy into a NUL-terminated buffer; returns ENOSPC when it does not fit. */
int slice_to_cstr(struct slice s, char *buf, size_t size);
/* 0-15 for a hex digit (either case), -1 for anything else. */
int hex_digit_value(char c);
/* Hash of the bytes, ASCII case folded, for case-insensitive tables. */
uint32_t slice_hash_case(struct slice s);
uint32_t slice_hash(struct slice s);

#endif
