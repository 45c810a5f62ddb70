/*
 * test_hash.c - the intrusive hash table: lookups stay right while the
 * table grows from a few buckets to many, and removal undoes insertion.
 */
#include "core/hash.h"
#include "leakcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

struct item {
	struct hash_link link;
	uint32_t key;
};

static bool item_match(const struct hash_link *entry, const void *key)
{
	return ((const struct item *)entry)->key == *(const uint32_t *)key;
}

/* A poor hash on purpose: neighbours collide in the low bits until the
 * table is large. */
static uint32_t key_hash(uint32_t key)
{
	return key * 2654435761u;
}

static struct item *find(struct hash *h, uint32_t key)
{
	return (struct item *)hash_lookup(h, key_hash(key), item_match, &key);
}

static void test_grows_and_finds(void **state)
{
	enum { N = 100000 };
	struct hash h;
	struct item *items = calloc(N, sizeof(*items));
	(void)state;
	assert_non_null(items);
	assert_int_equal(hash_init(&h, 4), 0);
	for (uint32_t i = 0; i < N; i++) {
		items[i].key = i;
		hash_insert(&h, &items[i].link, key_hash(i));
		/* what was inserted before the last growth is still found */
		if ((i & (i - 1)) == 0)
			for (uint32_t j = 0; j <= i; j += 1 + i / 64)
				assert_ptr_equal(find(&h, j), &items[j]);
	}
	assert_int_equal(h.count, N);
	assert_true(h.mask + 1 >= N / 2); /* at most two entries a bucket */
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(find(&h, i), &items[i]);
	uint32_t absent = N + 7;
	assert_null(find(&h, absent));
	for (uint32_t i = 0; i < N; i += 2)
		hash_remove(&h, &items[i].link);
	assert_int_equal(h.count, N / 2);
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(find(&h, i), i % 2 ? &items[i] : NULL);
	hash_remove(&h, &items[0].link); /* removing twice is harmless */
	assert_int_equal(h.count, N / 2);
	hash_free(&h);
	free(items);
}

static void test_bad_sizes(void **state)
{
	struct hash h;
	(void)state;
	assert_int_not_equal(hash_init(&h, 0), 0);
	assert_int_not_equal(hash_init(&h, 12), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		leak_test(test_grows_and_finds, NULL),
		leak_test(test_bad_sizes, NULL),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
