/*
 * cache.c - replies by cookie, see ng/cache.h. Each entry is one
 * allocation: the struct, then the cookie, then the reply bytes.
 */
#include "ng/cache.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct ng_cache_entry {
	struct hash_link link; /* in by_cookie */
	struct list age;       /* in by_age */
	uint64_t expires_ms;
	struct slice cookie, reply; /* point into data */
	char data[];
};

static size_t cache_count(const struct ng_cache *cache)
{
	return cache->by_cookie.count;
}

static void entry_drop(struct ng_cache *cache, struct ng_cache_entry *e)
{
	hash_remove(&cache->by_cookie, &e->link);
	list_remove(&e->age);
	free(e);
}

static void expire(struct ng_cache *cache, uint64_t now_ms)
{
	LIST_FOREACH_SAFE(&cache->by_age, it, tmp) {
		struct ng_cache_entry *e = LIST_ENTRY(it, struct ng_cache_entry, age);
		if (e->expires_ms > now_ms && cache_count(cache) <= NG_CACHE_MAX)
			break;
		entry_drop(cache, e);
	}
}

static bool cookie_match(const struct hash_link *link, const void *key)
{
	const struct ng_cache_entry *e = (const struct ng_cache_entry *)link;
	return slice_eq(e->cookie, *(const struct slice *)key);
}

static struct ng_cache_entry *lookup(struct ng_cache *cache, struct slice cookie)
{
	return (struct ng_cache_entry *)hash_lookup(&cache->by_cookie, slice_hash(cookie), cookie_match,
						    &cookie);
}

int ng_cache_init(struct ng_cache *cache)
{
	list_init(&cache->by_age);
	return hash_init(&cache->by_cookie, 64);
}

void ng_cache_free(struct ng_cache *cache)
{
	LIST_FOREACH_SAFE(&cache->by_age, it, tmp)
		entry_drop(cache, LIST_ENTRY(it, struct ng_cache_entry, age));
	hash_free(&cache->by_cookie);
}

struct slice ng_cache_find(struct ng_cache *cache, struct slice cookie, uint64_t now_ms)
{
	expire(cache, now_ms);
	struct ng_cache_entry *e = lookup(cache, cookie);
	return e ? e->reply : SLICE_NULL;
}

void ng_cache_put(struct ng_cache *cache, struct slice cookie, struct slice reply, uint64_t now_ms)
{
	struct ng_cache_entry *old = lookup(cache, cookie), *e;

	if (old)
		entry_drop(cache, old);
	e = malloc(sizeof(*e) + cookie.len + reply.len);
	if (!e)
		return;
	memcpy(e->data, cookie.p, cookie.len);
	memcpy(e->data + cookie.len, reply.p, reply.len);
	e->cookie = slice_make(e->data, cookie.len);
	e->reply = slice_make(e->data + cookie.len, reply.len);
	e->expires_ms = now_ms + NG_CACHE_TTL_MS;
	list_init(&e->age);
	list_append(&cache->by_age, &e->age);
	hash_insert(&cache->by_cookie, &e->link, slice_hash(cookie));
	/* Over the limit: the oldest goes. */
	expire(cache, now_ms);
}
