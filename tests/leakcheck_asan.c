/*
 * leakcheck_asan.c - live heap bytes for the leak check in sanitizer builds
 * (`make unit-san`): AddressSanitizer's allocator counts them exactly.
 * Plain builds link leakcheck_glibc.c instead (the Makefile chooses).
 */
#include "leakcheck.h"

/* from the sanitizer runtime; GCC ships no header that declares it */
size_t __sanitizer_get_current_allocated_bytes(void);

size_t leak_heap_bytes(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
