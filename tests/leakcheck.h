/*
 * leakcheck.h - how many bytes the program has allocated right now, for the
 * unit tests' per-test leak checks (a fixture records the figure, its
 * teardown asserts the same figure again).
 *
 * Exact in every build: tests/leakcheck_glibc.c counts the blocks it hands
 * out through glibc's malloc in plain builds (`make unit`), and
 * tests/leakcheck_asan.c asks AddressSanitizer's allocator in sanitizer
 * builds (`make unit-san`); the Makefile links one of them.
 */
#ifndef RTCB_TESTS_LEAKCHECK_H
#define RTCB_TESTS_LEAKCHECK_H

#include <stddef.h>

/* Bytes in heap blocks allocated and not yet freed, by any thread. */
size_t leak_heap_bytes(void);

static inline size_t allocated_bytes(void)
{
	return leak_heap_bytes();
}

#endif
