/*
 * leakcheck.c - the unit tests' fixture (leakcheck.h): a test's state lives
 * in a frame that also holds the test, the live heap bytes measured before
 * the frame was allocated and whether the test ran to its end, so that the
 * teardown finds all of it from the state pointer alone and the frame
 * itself is part of what is checked.
 */
#include "leakcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

struct leak_frame {
	const struct leak_case *test_case;
	size_t baseline; /* live heap bytes before this frame */
	bool finished;   /* the test returned: a failed assertion jumps past */
	max_align_t state[]; /* test_case->fixture->size bytes */
};

static struct leak_frame *frame_of(void *state)
{
	return (struct leak_frame *)((char *)state - offsetof(struct leak_frame, state));
}

/* Gives back the state and its frame. */
static void frame_release(struct leak_frame *frame)
{
	const struct leak_fixture *fixture = frame->test_case->fixture;
	if (fixture && fixture->fini)
		fixture->fini(frame->state);
	free(frame);
}

int leak_setup(void **state)
{
	const struct leak_case *test_case = *state;
	const struct leak_fixture *fixture = test_case->fixture;
	size_t baseline = leak_heap_bytes();
	struct leak_frame *frame = calloc(1, sizeof(*frame) + (fixture ? fixture->size : 0));
	if (!frame)
		return -1;
	frame->test_case = test_case;
	frame->baseline = baseline;
	if (fixture && fixture->init && fixture->init(frame->state)) {
		free(frame);
		return -1;
	}
	*state = frame->state;
	return 0;
}

void leak_run(void **state)
{
	struct leak_frame *frame = frame_of(*state);
	frame->test_case->test(state);
	frame->finished = true;
}

int leak_teardown(void **state)
{
	struct leak_frame *frame = frame_of(*state);
	size_t baseline = frame->baseline;
	bool finished = frame->finished;
	frame_release(frame);
	size_t now = leak_heap_bytes();
	if (finished && now != baseline)
		fail_msg("the test kept %td bytes of heap memory (%zu before, %zu after)",
			 (ptrdiff_t)(now - baseline), baseline, now);
	return 0;
}

int leak_warm_up(const struct leak_fixture *fixture, void (*test)(void **state))
{
	const struct leak_case test_case = { test, fixture };
	void *state = (void *)&test_case;
	if (leak_setup(&state))
		return -1;
	test(&state);
	frame_release(frame_of(state));
	return 0;
}
