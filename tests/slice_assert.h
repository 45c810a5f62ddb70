/*
 * slice_assert.h - cmocka assertions on slices (struct slice, core/slice.h)
 * for the unit tests: what a zero-copy parser hands back must be set, hold
 * the expected bytes, and point into the buffer it parsed.
 */
#ifndef RTCB_TESTS_SLICE_ASSERT_H
#define RTCB_TESTS_SLICE_ASSERT_H

#include "core/slice.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* s is set (an empty slice counts, a NULL one does not) and holds exactly
 * the bytes of expected. */
static inline void assert_slice(struct slice s, const char *expected)
{
	if (!slice_is_set(s))
		fail_msg("unset, expected \"%s\"", expected);
	if (!slice_eq_cstr(s, expected))
		fail_msg("got \"%.*s\", expected \"%s\"", SLICE_FMT(s), expected);
}

/* s, when set, lies inside buf[0, len): a view of the input, not a copy. */
static inline void assert_inside(struct slice s, const char *buf, size_t len)
{
	if (slice_is_set(s))
		assert_true(s.p >= buf && s.p + s.len <= buf + len);
}

#endif
