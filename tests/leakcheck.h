/*
 * leakcheck.h - how many bytes the program has allocated right now, for the
 * unit tests' per-test leak checks (a fixture records the figure, its
 * teardown asserts the same figure again).
 *
 * Exact, from AddressSanitizer's allocator, in sanitizer builds (`make
 * unit-san`); elsewhere 0, so the check passes trivially there: glibc's own
 * counters include the chunks cached in its per-thread free lists and drift
 * by a few hundred bytes from test to test.
 */
#ifndef RTCB_TESTS_LEAKCHECK_H
#define RTCB_TESTS_LEAKCHECK_H

#include <stddef.h>

size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static inline size_t allocated_bytes(void)
{
	return __sanitizer_get_current_allocated_bytes ? __sanitizer_get_current_allocated_bytes()
						       : 0;
}

#endif
