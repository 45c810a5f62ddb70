/*
 * leakcheck_glibc.c - live heap bytes for the leak check in plain builds
 * (`make unit`), by wrapping glibc's malloc.
 *
 * This file defines malloc, free and the rest of the family the glibc
 * manual lists for a replacement malloc; the program's own calls, the
 * libraries' (OpenSSL, SQLite, cmocka) and glibc's internal ones (stdio,
 * strdup, reallocarray) all come here. Each hands the work to glibc's own
 * allocator through its exported __libc_* entry points and adds or takes
 * away the block's malloc_usable_size, which stays fixed while a block is
 * live: the sum is exact, unlike glibc's mallinfo figures, which also count
 * the chunks held in its free lists.
 *
 * Sanitizer builds link leakcheck_asan.c instead (the Makefile chooses):
 * ASan brings its own malloc and must keep it.
 */
#ifndef __has_feature /* GCC before 14 */
#define __has_feature(feature) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#error "leakcheck_glibc.c replaces malloc; ASan builds link leakcheck_asan.c"
#endif

#include "leakcheck.h"

#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

/* glibc's allocator under its own names (exported, not in any header) */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *block, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);
void __libc_free(void *block);

/* usable bytes of every block handed out and not yet freed; the media
 * engine's worker threads allocate too */
static atomic_size_t live;

static void *counted(void *block)
{
	if (block)
		atomic_fetch_add_explicit(&live, malloc_usable_size(block), memory_order_relaxed);
	return block;
}

static void uncount(void *block)
{
	if (block)
		atomic_fetch_sub_explicit(&live, malloc_usable_size(block), memory_order_relaxed);
}

size_t leak_heap_bytes(void)
{
	return atomic_load(&live);
}

void *malloc(size_t size)
{
	return counted(__libc_malloc(size));
}

void *calloc(size_t count, size_t size)
{
	return counted(__libc_calloc(count, size));
}

/* glibc's realloc(block, 0) frees the block and returns NULL; any other
 * NULL leaves the block as it was. */
void *realloc(void *block, size_t size)
{
	size_t before = block ? malloc_usable_size(block) : 0;
	void *moved = __libc_realloc(block, size);
	if (moved || size == 0)
		atomic_fetch_sub_explicit(&live, before, memory_order_relaxed);
	return counted(moved);
}

void free(void *block)
{
	uncount(block);
	__libc_free(block);
}

void *aligned_alloc(size_t alignment, size_t size)
{
	return counted(__libc_memalign(alignment, size));
}

void *memalign(size_t alignment, size_t size)
{
	return counted(__libc_memalign(alignment, size));
}

/* The checks and results of glibc's own posix_memalign, which leaves errno
 * alone. */
int posix_memalign(void **out, size_t alignment, size_t size)
{
	if (alignment == 0 || alignment % sizeof(void *) ||
	    (alignment & (alignment - 1)))
		return EINVAL;
	int saved = errno;
	void *block = counted(__libc_memalign(alignment, size));
	errno = saved;
	if (!block)
		return ENOMEM;
	*out = block;
	return 0;
}

void *valloc(size_t size)
{
	return counted(__libc_valloc(size));
}

void *pvalloc(size_t size)
{
	return counted(__libc_pvalloc(size));
}
