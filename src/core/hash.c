/*
 * hash.c - bucket array management for the intrusive hash table.
 */
#include "core/hash.h"

#include <errno.h>
#include <stdlib.h>

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

void hash_insert(struct hash *h, struct hash_link *entry, uint32_t key_hash)
{
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
