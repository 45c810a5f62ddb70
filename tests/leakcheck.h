/*
 * leakcheck.h - the unit tests' fixture: every test gives back all the heap
 * memory it took, its own state included, in plain and sanitizer builds.
 *
 * A test program lists each test as leak_test(name, &fixture), where the
 * fixture says what state its tests share: its size, how to ready it and
 * how to give it back. The setup records the live heap bytes, then
 * allocates the state zeroed and runs init; the test gets the state as
 * *state; the teardown runs fini, frees the state and fails the test unless
 * the live heap bytes are what they were. A program whose tests need no
 * state passes NULL for the fixture.
 *
 *	static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };
 *	#define T(name) leak_test(name, &env_fixture)
 *
 * A test stopped by a failed assertion is reported as failed and not
 * checked: what it had not given back by then is no leak.
 *
 * What a library sets up for good on first use (OpenSSL's tables, SQLite's
 * mutexes, glibc's thread stacks) would count as a leak of the first test
 * that uses it: do that once before the tests, e.g. leak_warm_up from the
 * group setup.
 *
 * The live heap bytes come from tests/leakcheck_glibc.c in plain builds and
 * from tests/leakcheck_asan.c in sanitizer builds.
 */
#ifndef RTCB_TESTS_LEAKCHECK_H
#define RTCB_TESTS_LEAKCHECK_H

#include <stddef.h>

struct leak_fixture {
	size_t size;               /* of the state, zeroed before init */
	int (*init)(void *state);  /* nonzero fails the test's setup; NULL: zeroed is ready */
	void (*fini)(void *state); /* gives back what init and the test kept; NULL: nothing */
};

/* One entry of a program's test list (leak_test). */
struct leak_case {
	void (*test)(void **state);
	const struct leak_fixture *fixture; /* NULL: no state */
};

/* Bytes in heap blocks allocated and not yet freed, by any thread. */
size_t leak_heap_bytes(void);

/* cmocka's setup, test and teardown for every leak_test. */
int leak_setup(void **state);
void leak_run(void **state);
int leak_teardown(void **state);

/* A struct CMUnitTest; the case lives as long as the enclosing block (the
 * test list in main). */
#define leak_test(test, fixture)                                                                   \
	{                                                                                          \
		.name = #test, .test_func = leak_run, .setup_func = leak_setup,                    \
		.teardown_func = leak_teardown,                                                    \
		.initial_state = (void *)&(const struct leak_case){ test, fixture },               \
	}

/* Runs test once on a fresh state from fixture (NULL: none) and gives it
 * back, without a check. Returns nonzero if the setup failed. */
int leak_warm_up(const struct leak_fixture *fixture, void (*test)(void **state));

#endif
