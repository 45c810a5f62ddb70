/*
 * fuzz_slices.h - the check every parser target makes: a slice the parser
 * returns must lie inside the bytes it was given (or be unset).
 */
#ifndef RTCB_FUZZ_SLICES_H
#define RTCB_FUZZ_SLICES_H

#include "core/slice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is s unset, or within [start, start + len)? Written without forming a
 * pointer past the buffer, so that a wild slice cannot overflow the test. */
static inline bool fuzz_slice_inside(struct slice s, const void *start, size_t len)
{
	uintptr_t p = (uintptr_t)s.p, b = (uintptr_t)start;
	return !slice_is_set(s) || (p >= b && s.len <= len && p - b <= len - s.len);
}

#endif
