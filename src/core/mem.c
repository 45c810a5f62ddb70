/*
 * mem.c - the header in front of each refcounted object.
 *
 * Layout: [struct mem_header][object...]. The header is padded to
 * max_align_t so the object is aligned for any type.
 */
#include "core/mem.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

struct mem_header {
	alignas(max_align_t) unsigned refs;
	mem_destructor *destructor;
};

static struct mem_header *header_of(const void *obj)
{
	return (struct mem_header *)((char *)obj - sizeof(struct mem_header));
}

void *mem_alloc(size_t size, mem_destructor *destructor)
{
	struct mem_header *h = calloc(1, sizeof(*h) + size);
	if (!h)
		return NULL;
	h->refs = 1;
	h->destructor = destructor;
	return h + 1;
}

void *mem_ref(void *obj)
{
	if (obj)
		header_of(obj)->refs++;
	return obj;
}

void *mem_deref(void *obj)
{
	if (!obj)
		return NULL;
	struct mem_header *h = header_of(obj);
	if (--h->refs > 0)
		return NULL;
	if (h->destructor)
		h->destructor(obj);
	free(h);
	return NULL;
}

unsigned mem_refcount(const void *obj)
{
	return obj ? header_of(obj)->refs : 0;
}

char *mem_strndup(const char *s, size_t len)
{
	char *copy = mem_alloc(len + 1, NULL);
	if (copy && len)
		memcpy(copy, s, len);
	return copy;
}
