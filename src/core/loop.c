/*
 * loop.c - epoll + timer heap.
 *
 * The timer heap is an array of pointers to embedded struct loop_timer; each
 * timer remembers its index so stopping one is O(log n). Transactions start
 * and stop several timers each, so this path matters.
 */
#include "core/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BATCH 256
#define LOOP_MAX_HOOKS 8

struct loop {
	int epoll_fd;
	bool running;
	uint64_t now_ms;
	struct loop_timer **heap;
	size_t heap_len, heap_cap;
	struct epoll_event batch[LOOP_BATCH];
	int batch_len, batch_pos;
	struct {
		loop_hook *hook;
		void *arg;
	} hooks[LOOP_MAX_HOOKS];
	size_t hook_count;
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t loop_wall_time(void)
{
	return (int64_t)time(NULL);
}

int loop_create(struct loop **loopp)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return ENOMEM;
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0) {
		int err = errno;
		free(loop);
		return err;
	}
	loop->now_ms = monotonic_ms();
	*loopp = loop;
	return 0;
}

void loop_destroy(struct loop *loop)
{
	if (!loop)
		return;
	close(loop->epoll_fd);
	free(loop->heap);
	free(loop);
}

uint64_t loop_now_ms(const struct loop *loop)
{
	return loop->now_ms;
}

void loop_stop(struct loop *loop)
{
	loop->running = false;
}

int loop_hook_add(struct loop *loop, loop_hook *hook, void *arg)
{
	if (loop->hook_count == LOOP_MAX_HOOKS)
		return ENOSPC;
	loop->hooks[loop->hook_count].hook = hook;
	loop->hooks[loop->hook_count].arg = arg;
	loop->hook_count++;
	return 0;
}

/* ---------------------------------------------------------------- fds */

int loop_fd_add(struct loop *loop, struct loop_fd *reg, int fd, uint32_t events,
		loop_fd_handler *handler, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = reg };
	reg->fd = fd;
	reg->events = events;
	reg->handler = handler;
	reg->arg = arg;
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return errno;
	return 0;
}

int loop_fd_modify(struct loop *loop, struct loop_fd *reg, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = reg };
	if (reg->events == events)
		return 0;
	reg->events = events;
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, reg->fd, &ev) < 0)
		return errno;
	return 0;
}

void loop_fd_del(struct loop *loop, struct loop_fd *reg)
{
	if (!reg->handler)
		return;
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, reg->fd, NULL);
	/* The owner may be freed right after this: forget queued events. */
	for (int i = loop->batch_pos; i < loop->batch_len; i++)
		if (loop->batch[i].data.ptr == reg)
			loop->batch[i].data.ptr = NULL;
	reg->handler = NULL;
}

/* ------------------------------------------------------------- timers */

static void heap_set(struct loop *loop, size_t i, struct loop_timer *t)
{
	loop->heap[i] = t;
	t->heap_index = i + 1;
}

static void heap_sift_up(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (loop->heap[parent]->due_ms <= t->due_ms)
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_sift_down(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len &&
		    loop->heap[child + 1]->due_ms < loop->heap[child]->due_ms)
			child++;
		if (t->due_ms <= loop->heap[child]->due_ms)
			break;
		heap_set(loop, i, loop->heap[child]);
		i = child;
	}
	heap_set(loop, i, t);
}

void loop_timer_stop(struct loop *loop, struct loop_timer *t)
{
	if (!t->heap_index)
		return;
	size_t i = t->heap_index - 1;
	t->heap_index = 0;
	loop->heap_len--;
	if (i == loop->heap_len)
		return;
	loop->heap[i] = loop->heap[loop->heap_len];
	loop->heap[i]->heap_index = i + 1;
	heap_sift_down(loop, i);
	heap_sift_up(loop, loop->heap[i]->heap_index - 1);
}

void loop_timer_start(struct loop *loop, struct loop_timer *t, uint64_t delay_ms,
		      loop_timer_handler *handler, void *arg)
{
	loop_timer_stop(loop, t);
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 1024;
		struct loop_timer **heap = realloc(loop->heap, cap * sizeof(*heap));
		if (!heap)
			abort(); /* timers are not optional: fail loudly */
		loop->heap = heap;
		loop->heap_cap = cap;
	}
	t->due_ms = loop->now_ms + delay_ms;
	t->handler = handler;
	t->arg = arg;
	heap_set(loop, loop->heap_len++, t);
	heap_sift_up(loop, loop->heap_len - 1);
}

static void run_due_timers(struct loop *loop)
{
	while (loop->heap_len && loop->heap[0]->due_ms <= loop->now_ms) {
		struct loop_timer *t = loop->heap[0];
		loop_timer_stop(loop, t);
		t->handler(t->arg);
	}
}

static int next_timeout_ms(const struct loop *loop)
{
	if (!loop->heap_len)
		return 1000;
	uint64_t due = loop->heap[0]->due_ms;
	if (due <= loop->now_ms)
		return 0;
	uint64_t wait = due - loop->now_ms;
	return wait > 1000 ? 1000 : (int)wait;
}

int loop_run(struct loop *loop)
{
	loop->running = true;
	while (loop->running) {
		loop->now_ms = monotonic_ms();
		run_due_timers(loop);
		for (size_t i = 0; i < loop->hook_count; i++)
			loop->hooks[i].hook(loop->hooks[i].arg);
		if (!loop->running)
			break;
		int n = epoll_wait(loop->epoll_fd, loop->batch, LOOP_BATCH,
				   next_timeout_ms(loop));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		loop->now_ms = monotonic_ms();
		loop->batch_len = n;
		for (loop->batch_pos = 0; loop->batch_pos < n;) {
			struct epoll_event *ev = &loop->batch[loop->batch_pos++];
			struct loop_fd *reg = ev->data.ptr;
			if (reg && reg->handler)
				reg->handler(reg->fd, ev->events, reg->arg);
		}
		loop->batch_len = loop->batch_pos = 0;
	}
	return 0;
}
