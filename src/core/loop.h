/*
 * loop.h - one event loop per thread: epoll for file descriptors, a binary
 * heap for timers, and hooks run once per iteration before sleeping.
 *
 * Registrations (struct loop_fd) and timers (struct loop_timer) are embedded
 * in their owners, so nothing here allocates per event. An owner must
 * deregister before it is freed; the loop makes that safe even while a batch
 * of events is being dispatched (pending events for a removed fd are
 * dropped).
 *
 * Iteration: run due timers, run idle hooks (for example the store's group
 * commit), then epoll_wait until the nearest timer, dispatch events.
 */
#ifndef RTCB_CORE_LOOP_H
#define RTCB_CORE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop;

typedef void(loop_fd_handler)(int fd, uint32_t events, void *arg);
typedef void(loop_timer_handler)(void *arg);
typedef void(loop_hook)(void *arg);

struct loop_fd {
	int fd;
	uint32_t events;
	loop_fd_handler *handler;
	void *arg;
};

struct loop_timer {
	uint64_t due_ms;
	size_t heap_index; /* 0 = not scheduled, else index + 1 */
	loop_timer_handler *handler;
	void *arg;
};

int loop_create(struct loop **loopp);
void loop_destroy(struct loop *loop);
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);
/* Monotonic milliseconds, refreshed once per iteration. */
uint64_t loop_now_ms(const struct loop *loop);
/* Wall clock seconds (for expiry times that are stored). */
int64_t loop_wall_time(void);

int loop_fd_add(struct loop *loop, struct loop_fd *reg, int fd, uint32_t events,
		loop_fd_handler *handler, void *arg);
int loop_fd_modify(struct loop *loop, struct loop_fd *reg, uint32_t events);
void loop_fd_del(struct loop *loop, struct loop_fd *reg);

void loop_timer_start(struct loop *loop, struct loop_timer *t, uint64_t delay_ms,
		      loop_timer_handler *handler, void *arg);
void loop_timer_stop(struct loop *loop, struct loop_timer *t);
static inline bool loop_timer_pending(const struct loop_timer *t)
{
	return t->heap_index != 0;
}

/* Called once per iteration, just before the loop waits for events. */
int loop_hook_add(struct loop *loop, loop_hook *hook, void *arg);

#endif
