/*
 * cache.h - the last replies of the ng control socket, by cookie, so a
 * retransmitted request is answered with the reply it already got instead
 * of being run twice (Kamailio's rtpengine module resends a request it got
 * no reply to within its timeout, with the same cookie; a second "offer"
 * must not allocate a second set of ports).
 *
 * An entry lives NG_CACHE_TTL_MS; at most NG_CACHE_MAX entries are kept,
 * the oldest going first when it is full. Entries are kept in arrival
 * order, so expiry walks from the front and stops at the first live one.
 * One owner thread (the signalling thread); nothing here locks.
 */
#ifndef RTCB_NG_CACHE_H
#define RTCB_NG_CACHE_H

#include "core/hash.h"
#include "core/list.h"
#include "core/slice.h"

#include <stddef.h>
#include <stdint.h>

#define NG_CACHE_TTL_MS 30000
#define NG_CACHE_MAX 4096

struct ng_cache {
	struct hash by_cookie; /* of struct ng_cache_entry */
	struct list by_age;    /* oldest first */
};

int ng_cache_init(struct ng_cache *cache);
void ng_cache_free(struct ng_cache *cache);

/* The reply cached for cookie, or SLICE_NULL. The slice stays valid until
 * the next ng_cache_put() or ng_cache_free(). */
struct slice ng_cache_find(struct ng_cache *cache, struct slice cookie, uint64_t now_ms);

/* Keep a copy of reply under cookie (replacing an older one); when memory
 * runs out the reply is just not cached. */
void ng_cache_put(struct ng_cache *cache, struct slice cookie, struct slice reply, uint64_t now_ms);

#endif
