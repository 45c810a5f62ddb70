/*
 * hash.c - bucket array management for the intrusive hash table.
 *
 * The table doubles its bucket array when it holds more than two entries a
 * bucket, so chains stay short from ten entries to millions (a transaction
 * table under load holds hundreds of thousands for Timer J) without
 * reserving the memory up front. Growing relinks every entry once; as the
 * size doubles each time, that is a few milliseconds per million entries,
 * spread over the table's whole growth. If the larger array cannot be
 * allocated the table keeps working with longer chains.
 */
#include "core/hash.h"

#include <errno.h>
#include <stdlib.h>

#define HASH_MAX_LOAD 2               /* entries per bucket before growing */
#define HASH_MAX_BUCKETS (1u << 24)

int hash_init(struct hash *h, uint32_t bucket_count_pow2)
{
	if (bucket_count_pow2 == 0 || (bucket_count_pow2 & (bucket_count_pow2 - 1)))
		return EINVAL;
	h->buckets = calloc(bucket_count_pow2, sizeof(*h->buckets));
	if (!h->buckets)
		return ENOMEM;
	for (uint32_t i = 0; i < bucket_count_pow2; i++)
		list_init(&h->buckets[i]);
	h->mask = bucket_count_pow2 - 1;
	h->count = 0;
	return 0;
}

void hash_free(struct hash *h)
{
	free(h->buckets);
	h->buckets = NULL;
	h->count = 0;
}

static void grow(struct hash *h)
{
	uint32_t old_count = h->mask + 1, new_count = old_count * 2;
	struct list *buckets = calloc(new_count, sizeof(*buckets));
	if (!buckets)
		return;
	for (uint32_t i = 0; i < new_count; i++)
		list_init(&buckets[i]);
	for (uint32_t i = 0; i < old_count; i++) {
		LIST_FOREACH_SAFE(&h->buckets[i], it, tmp) {
			struct hash_link *entry = LIST_ENTRY(it, struct hash_link, link);
			list_remove(&entry->link);
			list_append(&buckets[entry->key_hash & (new_count - 1)], &entry->link);
		}
	}
	free(h->buckets);
	h->buckets = buckets;
	h->mask = new_count - 1;
}

void hash_insert(struct hash *h, struct hash_link *entry, uint32_t key_hash)
{
	if (h->count >= (size_t)(h->mask + 1) * HASH_MAX_LOAD && h->mask + 1 < HASH_MAX_BUCKETS)
		grow(h);
	entry->key_hash = key_hash;
	list_append(hash_bucket(h, key_hash), &entry->link);
	h->count++;
}

void hash_remove(struct hash *h, struct hash_link *entry)
{
	if (!list_linked(&entry->link))
		return;
	list_remove(&entry->link);
	h->count--;
}

struct hash_link *hash_lookup(const struct hash *h, uint32_t key_hash,
			      hash_match_fn *match, const void *key)
{
	LIST_FOREACH(hash_bucket(h, key_hash), it) {
		struct hash_link *entry = LIST_ENTRY(it, struct hash_link, link);
		if (entry->key_hash == key_hash && match(entry, key))
			return entry;
	}
	return NULL;
}
