/*
 * hash.h - intrusive chained hash table.
 *
 * Entries embed a struct hash_link (a list link plus the key's hash). Lookup
 * walks one bucket and lets the caller compare keys, so the table does not
 * know key types. The bucket count starts at what hash_init is given (a
 * power of two) and doubles as entries are added, so chains stay short;
 * each table belongs to one thread, which is what lets them be sharded
 * later. Inserting may move entries between buckets: do not insert while
 * walking a bucket.
 */
#ifndef RTCB_CORE_HASH_H
#define RTCB_CORE_HASH_H

#include "core/list.h"

#include <stdbool.h>
#include <stdint.h>

struct hash_link {
	struct list link;
	uint32_t key_hash;
};

struct hash {
	struct list *buckets;
	uint32_t mask;
	size_t count;
};

int hash_init(struct hash *h, uint32_t bucket_count_pow2);
void hash_free(struct hash *h);
void hash_insert(struct hash *h, struct hash_link *entry, uint32_t key_hash);
void hash_remove(struct hash *h, struct hash_link *entry);

static inline struct list *hash_bucket(const struct hash *h, uint32_t key_hash)
{
	return &h->buckets[key_hash & h->mask];
}

typedef bool(hash_match_fn)(const struct hash_link *entry, const void *key);

/* First entry with this hash for which match() says yes, or NULL. */
struct hash_link *hash_lookup(const struct hash *h, uint32_t key_hash,
			      hash_match_fn *match, const void *key);

#endif
