/*
 * test_localnames.c - the names this machine answers to: loopback names and
 * addresses are there, nothing twice, no link-local or bracketed IPv6, and
 * localnames_add's de-duplication, canonical IPv6 form and limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/localnames.h"
#include "leakcheck.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool contains(const struct localnames *ln, const char *name)
{
	for (size_t i = 0; i < ln->count; i++)
		if (strcasecmp(ln->names[i], name) == 0)
			return true;
	return false;
}

static void test_collect_has_loopback(void **state)
{
	static struct localnames ln;
	(void)state;
	assert_int_equal(localnames_collect(&ln), 0);
	assert_true(contains(&ln, "localhost"));
	assert_true(contains(&ln, "127.0.0.1"));
}

static void test_collect_is_clean(void **state)
{
	static struct localnames ln;
	(void)state;
	assert_int_equal(localnames_collect(&ln), 0);
	assert_true(ln.count >= 2);
	for (size_t i = 0; i < ln.count; i++) {
		assert_true(ln.names[i][0] != '\0');
		assert_null(strchr(ln.names[i], '['));
		if (strncasecmp(ln.names[i], "fe8", 3) == 0 || strncasecmp(ln.names[i], "fe9", 3) == 0 ||
		    strncasecmp(ln.names[i], "fea", 3) == 0 || strncasecmp(ln.names[i], "feb", 3) == 0)
			fail_msg("link-local address %s listed", ln.names[i]);
		for (size_t j = i + 1; j < ln.count; j++)
			if (strcasecmp(ln.names[i], ln.names[j]) == 0)
				fail_msg("%s listed twice", ln.names[i]);
	}
}

/* A second collect starts over instead of appending. */
static void test_collect_twice(void **state)
{
	static struct localnames ln;
	(void)state;
	assert_int_equal(localnames_collect(&ln), 0);
	size_t first = ln.count;
	assert_int_equal(localnames_collect(&ln), 0);
	assert_int_equal(ln.count, first);
}

static void test_add_dedups_case_and_ipv6_form(void **state)
{
	static struct localnames ln;
	(void)state;
	assert_int_equal(localnames_add(&ln, "Example.ORG"), 0);
	assert_int_equal(localnames_add(&ln, "example.org"), 0);
	assert_int_equal(localnames_add(&ln, "0:0:0:0:0:0:0:1"), 0);
	assert_int_equal(localnames_add(&ln, "::1"), 0);
	assert_int_equal(localnames_add(&ln, "2001:DB8::A"), 0);
	assert_int_equal(localnames_add(&ln, "2001:db8:0::a"), 0);
	assert_int_equal(ln.count, 3);
	assert_string_equal(ln.names[0], "Example.ORG");
	assert_string_equal(ln.names[1], "::1");
	assert_string_equal(ln.names[2], "2001:db8::a");
}

static void test_add_limits(void **state)
{
	static struct localnames ln;
	char name[LOCALNAME_LEN + 1];
	(void)state;
	assert_int_equal(localnames_add(&ln, ""), EINVAL);
	assert_int_equal(localnames_add(&ln, NULL), EINVAL);
	memset(name, 'a', LOCALNAME_LEN);
	name[LOCALNAME_LEN] = '\0';
	assert_int_equal(localnames_add(&ln, name), ENAMETOOLONG);
	name[LOCALNAME_LEN - 1] = '\0';
	assert_int_equal(localnames_add(&ln, name), 0);
	for (size_t i = 1; i < LOCALNAMES_MAX; i++) {
		snprintf(name, sizeof(name), "host%zu.example", i);
		assert_int_equal(localnames_add(&ln, name), 0);
	}
	assert_int_equal(ln.count, LOCALNAMES_MAX);
	assert_int_equal(localnames_add(&ln, "one-too-many.example"), ENOSPC);
	assert_int_equal(localnames_add(&ln, "HOST1.example"), 0); /* present: not an error */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		leak_test(test_collect_has_loopback, NULL),
		leak_test(test_collect_is_clean, NULL),
		leak_test(test_collect_twice, NULL),
		leak_test(test_add_dedups_case_and_ipv6_form, NULL),
		leak_test(test_add_limits, NULL),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
