/*
 * mem.h - reference-counted allocations with destructors.
 *
 * Long-lived objects (messages, connections, transactions, bindings) are
 * allocated with mem_alloc() and a destructor. Whoever keeps a pointer holds
 * a reference (mem_ref) and gives it back with mem_deref, which returns NULL
 * so that `x = mem_deref(x);` both releases and clears. The destructor runs
 * when the last reference goes and must unlink the object from every table,
 * stop its timers and drop its own references.
 *
 * Objects are owned by exactly one thread; the count is not atomic.
 */
#ifndef RTCB_CORE_MEM_H
#define RTCB_CORE_MEM_H

#include <stddef.h>

typedef void(mem_destructor)(void *obj);

/* Zeroed object with one reference, or NULL when out of memory. */
void *mem_alloc(size_t size, mem_destructor *destructor);
void *mem_ref(void *obj);
void *mem_deref(void *obj);
unsigned mem_refcount(const void *obj);
/* Duplicate of bytes as a refcounted NUL-terminated string. */
char *mem_strndup(const char *s, size_t len);

#endif
