/*
 * test_netaddr.c - address classification the media relay relies on when
 * it picks the address to advertise: loopback (IPv4 /8, ::1, v4-mapped)
 * and the wildcard.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/netaddr.h"
#include "leakcheck.h"

static bool loopback(const char *host)
{
	struct netaddr a;
	assert_int_equal(netaddr_set_cstr(&a, host, 5060), 0);
	return netaddr_is_loopback(&a);
}

static void test_loopback(void **state)
{
	(void)state;
	assert_true(loopback("127.0.0.1"));
	assert_true(loopback("127.255.0.9"));
	assert_true(loopback("::1"));
	assert_true(loopback("::ffff:127.0.0.2"));
	assert_false(loopback("128.0.0.1"));
	assert_false(loopback("192.0.2.1"));
	assert_false(loopback("::"));
	assert_false(loopback("::2"));
	assert_false(loopback("2001:db8::1"));
	assert_false(loopback("::ffff:192.0.2.1"));
}

static void test_any(void **state)
{
	struct netaddr a;
	(void)state;
	assert_int_equal(netaddr_set_cstr(&a, "0.0.0.0", 0), 0);
	assert_true(netaddr_is_any(&a));
	assert_false(netaddr_is_loopback(&a));
	assert_int_equal(netaddr_set_cstr(&a, "::", 0), 0);
	assert_true(netaddr_is_any(&a));
	assert_int_equal(netaddr_set_cstr(&a, "127.0.0.1", 0), 0);
	assert_false(netaddr_is_any(&a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		leak_test(test_loopback, NULL),
		leak_test(test_any, NULL),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
