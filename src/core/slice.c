/*
 * slice.c - comparisons, trimming and strict number conversion on slices.
 *
 * Number conversion is strict on purpose: SIP scalars such as CSeq and
 * Content-Length are attack surface (RFC 4475 3.1.2.3/3.1.2.4), so anything
 * that is not plain digits within range is an error, never a wrapped value.
 */
#include "core/slice.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

struct slice slice_from_cstr(const char *s)
{
	return slice_make(s, s ? strlen(s) : 0);
}

bool slice_eq(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool slice_eq_case(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.p, b.p, a.len) == 0);
}

bool slice_eq_cstr(struct slice a, const char *s)
{
	return slice_eq(a, slice_from_cstr(s));
}

bool slice_eq_cstr_case(struct slice a, const char *s)
{
	return slice_eq_case(a, slice_from_cstr(s));
}

bool slice_starts_with_case(struct slice s, const char *prefix)
{
	size_t n = strlen(prefix);
	return s.len >= n && strncasecmp(s.p, prefix, n) == 0;
}

bool slice_contains_case(struct slice s, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= s.len; i++)
		if (strncasecmp(s.p + i, needle, n) == 0)
			return true;
	return false;
}

int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct slice slice_trim(struct slice s)
{
	while (s.len && is_lws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_lws(s.p[s.len - 1]))
		s.len--;
	return s;
}

long slice_index(struct slice s, char c)
{
	const char *hit = s.len ? memchr(s.p, c, s.len) : NULL;
	return hit ? hit - s.p : -1;
}

int slice_to_u64(struct slice s, uint64_t *out)
{
	uint64_t v = 0;
	if (s.len == 0)
		return EINVAL;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return EINVAL;
		unsigned d = (unsigned)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int slice_to_u32(struct slice s, uint32_t *out)
{
	uint64_t v;
	int err = slice_to_u64(s, &v);
	if (err)
		return err;
	if (v > UINT32_MAX)
		return ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int slice_to_cstr(struct slice s, char *buf, size_t size)
{
	if (size == 0 || s.len >= size)
		return ENOSPC;
	if (s.len)
		memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return 0;
}

/* FNV-1a: short keys (Call-IDs, branches, user names), good spread. */
uint32_t slice_hash_case(struct slice s)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < s.len; i++) {
		h ^= (uint8_t)tolower((unsigned char)s.p[i]);
		h *= 16777619u;
	}
	return h;
}

uint32_t slice_hash(struct slice s)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < s.len; i++) {
		h ^= (uint8_t)s.p[i];
		h *= 16777619u;
	}
	return h;
}
