/*
 * worker.c - a media worker: one thread running its own struct loop, the
 * command queue the control thread feeds it, and the calls it owns.
 *
 * Commands. The control thread appends a command (on its own stack) to
 * the queue under `lock`, bumps the eventfd and waits on `changed`. The
 * worker's eventfd handler takes commands one at a time (QUEUED -> TAKEN),
 * runs each without the lock and without blocking, and marks it DONE with
 * a broadcast; after that it never touches the command again, since the
 * caller's stack frame may be gone. A caller that saw its command still
 * QUEUED at the deadline takes it back out of the queue: the worker can
 * then never see it. The queue is walked between packet batches only, so
 * a command never runs while a packet of the same call is half handled.
 *
 * Calls. A struct worker_call holds its endpoints inline; a call is one
 * allocation, made by the CALL_ADD command, and nothing is allocated per
 * endpoint (but a secure one's DTLS and SRTP state) or per packet. Sockets are opened and bound by the control
 * thread (which owns the port range) and handed over by ENDPOINT_ADD; the
 * worker registers them in its loop and closes them on CALL_DELETE or
 * STOP, before the control thread gives the ports back. An endpoint's
 * security state (secure.c) goes with its sockets.
 */
#include "media/worker.h"

#include "core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ calls */

static void endpoint_close(struct media_worker *w, struct worker_endpoint *ep)
{
	secure_close(ep);
	secure_clear(ep);
	for (int c = RELAY_RTP; c <= RELAY_RTCP; c++) {
		struct relay_socket *s = &ep->sockets[c];
		if (s->fd < 0)
			continue;
		loop_fd_del(w->loop, &s->reg);
		close(s->fd);
		s->fd = -1;
	}
}

static void call_free(struct media_worker *w, struct worker_call *call)
{
	for (unsigned i = 0; i < call->endpoint_count; i++)
		endpoint_close(w, &call->endpoints[i]);
	list_remove(&call->link);
	free(call);
}

static int call_add(struct media_worker *w, struct worker_command *cmd)
{
	struct worker_call *call = calloc(1, sizeof(*call));
	if (!call)
		return ENOMEM;
	call->worker = w;
	call->last_packet_ms = loop_now_ms(w->loop);
	for (unsigned i = 0; i < MEDIA_CALL_MAX_ENDPOINTS; i++) {
		call->endpoints[i].sockets[RELAY_RTP].fd = -1;
		call->endpoints[i].sockets[RELAY_RTCP].fd = -1;
	}
	list_append(&w->calls, &call->link);
	cmd->call = call;
	return 0;
}

static int endpoint_add(struct media_worker *w, struct worker_command *cmd)
{
	struct worker_call *call = cmd->call;
	if (cmd->endpoint != call->endpoint_count || cmd->endpoint >= MEDIA_CALL_MAX_ENDPOINTS)
		return EINVAL;
	struct worker_endpoint *ep = &call->endpoints[cmd->endpoint];
	memset(ep, 0, sizeof(*ep));
	ep->call = call;
	rtp_stats_init(&ep->rtp_stats, 8000);
	for (int c = RELAY_RTP; c <= RELAY_RTCP; c++) {
		struct relay_socket *s = &ep->sockets[c];
		s->fd = -1;
		s->component = (enum relay_component)c;
		s->endpoint = ep;
	}
	struct relay_socket *rtp = &ep->sockets[RELAY_RTP], *rtcp = &ep->sockets[RELAY_RTCP];
	int err = loop_fd_add(w->loop, &rtp->reg, cmd->u.fds[RELAY_RTP], EPOLLIN,
			      relay_socket_readable, rtp);
	if (err)
		return err; /* the control thread still owns and closes the fds */
	err = loop_fd_add(w->loop, &rtcp->reg, cmd->u.fds[RELAY_RTCP], EPOLLIN,
			  relay_socket_readable, rtcp);
	if (err) {
		loop_fd_del(w->loop, &rtp->reg);
		return err;
	}
	rtp->fd = cmd->u.fds[RELAY_RTP];
	rtcp->fd = cmd->u.fds[RELAY_RTCP];
	call->endpoint_count++;
	return 0;
}

static struct worker_endpoint *endpoint_get(struct worker_call *call, unsigned id)
{
	return id < call->endpoint_count ? &call->endpoints[id] : NULL;
}

static int set_remote(struct worker_command *cmd)
{
	struct worker_endpoint *ep = endpoint_get(cmd->call, cmd->endpoint);
	const struct media_remote *r = &cmd->u.remote;
	if (!ep)
		return ENOENT;
	struct relay_socket *rtp = &ep->sockets[RELAY_RTP], *rtcp = &ep->sockets[RELAY_RTCP];
	memset(&rtp->remote, 0, sizeof(rtp->remote));
	memset(&rtcp->remote, 0, sizeof(rtcp->remote));
	if (netaddr_family(&r->rtp))
		rtp->remote = r->rtp;
	if (netaddr_family(&r->rtcp)) {
		rtcp->remote = r->rtcp;
	} else if (netaddr_family(&r->rtp)) {
		rtcp->remote = r->rtp;
		netaddr_set_port(&rtcp->remote, (uint16_t)(netaddr_port(&r->rtp) + 1));
	}
	rtp->latched = rtcp->latched = false;
	ep->rtcp_mux = r->rtcp_mux;
	rtp_stats_init(&ep->rtp_stats, r->clock_rate ? r->clock_rate : 8000);
	return 0;
}

static int bridge(struct worker_command *cmd)
{
	struct worker_endpoint *a = endpoint_get(cmd->call, cmd->endpoint);
	struct worker_endpoint *b = endpoint_get(cmd->call, cmd->other);
	if (!a || !b)
		return ENOENT;
	if (a == b)
		return EINVAL;
	if (a->peer)
		a->peer->peer = NULL;
	if (b->peer)
		b->peer->peer = NULL;
	a->peer = b;
	b->peer = a;
	return 0;
}

static int set_hold(struct worker_command *cmd)
{
	struct worker_endpoint *ep = endpoint_get(cmd->call, cmd->endpoint);
	if (!ep)
		return ENOENT;
	ep->hold = cmd->u.hold;
	return 0;
}

static int set_security(struct worker_command *cmd)
{
	struct worker_endpoint *ep = endpoint_get(cmd->call, cmd->endpoint);
	if (!ep)
		return ENOENT;
	return secure_set(ep, &cmd->u.security);
}

static void endpoint_stats(const struct worker_endpoint *ep, uint64_t now_ms,
			   struct media_endpoint_stats *out)
{
	const struct rtp_stats *s = &ep->rtp_stats;
	*out = ep->counters;
	out->remote_rtp = ep->sockets[RELAY_RTP].remote;
	out->latched = ep->sockets[RELAY_RTP].latched;
	out->ssrc = s->ssrc;
	out->expected = rtp_stats_expected(s);
	out->lost = rtp_stats_lost(s);
	out->jitter_ms = rtp_stats_jitter(s) * 1000.0 / s->clock_rate;
	out->mos = 0;
	if (out->expected) {
		double loss_pct = out->lost > 0 ? 100.0 * (double)out->lost / out->expected : 0;
		/* The codec is not known here: G.711 without PLC, the
		 * conservative score; one-way delay: half the leg's RTT. */
		out->mos = rtp_stats_mos(
			rtp_stats_r_factor(RTP_IMPAIRMENT_G711, loss_pct, 1, out->rtt_ms / 2));
	}
	secure_stats(ep, now_ms, out);
}

static int call_stats(struct media_worker *w, struct worker_command *cmd)
{
	struct worker_call *call = cmd->call;
	struct media_call_stats *out = cmd->u.stats;
	memset(out, 0, sizeof(*out));
	out->endpoint_count = call->endpoint_count;
	uint64_t now = loop_now_ms(w->loop);
	for (unsigned i = 0; i < call->endpoint_count; i++)
		endpoint_stats(&call->endpoints[i], now, &out->endpoints[i]);
	out->idle_ms = now - call->last_packet_ms;
	out->timed_out = out->idle_ms >= w->settings->timeout_ms;
	return 0;
}

static void free_all_calls(struct media_worker *w)
{
	LIST_FOREACH_SAFE(&w->calls, it, tmp)
		call_free(w, LIST_ENTRY(it, struct worker_call, link));
}

static int command_execute(struct media_worker *w, struct worker_command *cmd)
{
	switch (cmd->type) {
	case WORKER_CALL_ADD:
		return call_add(w, cmd);
	case WORKER_CALL_DELETE:
		call_free(w, cmd->call);
		return 0;
	case WORKER_ENDPOINT_ADD:
		return endpoint_add(w, cmd);
	case WORKER_SET_REMOTE:
		return set_remote(cmd);
	case WORKER_BRIDGE:
		return bridge(cmd);
	case WORKER_HOLD:
		return set_hold(cmd);
	case WORKER_SET_SECURITY:
		return set_security(cmd);
	case WORKER_STATS:
		return call_stats(w, cmd);
	case WORKER_STOP:
		free_all_calls(w);
		loop_stop(w->loop);
		return 0;
	}
	return EINVAL;
}

/* ------------------------------------------------------------ queue */

/* eventfd readable: run every queued command. */
static void wake_readable(int fd, uint32_t events, void *arg)
{
	struct media_worker *w = arg;
	uint64_t count;
	(void)events;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("media worker: eventfd read: %s", strerror(errno));
	for (;;) {
		pthread_mutex_lock(&w->lock);
		if (list_empty(&w->queue)) {
			pthread_mutex_unlock(&w->lock);
			return;
		}
		struct worker_command *cmd = LIST_ENTRY(w->queue.next, struct worker_command, link);
		list_remove(&cmd->link);
		cmd->state = WORKER_TAKEN;
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);

		int result = command_execute(w, cmd);

		pthread_mutex_lock(&w->lock);
		cmd->result = result;
		cmd->state = WORKER_DONE; /* cmd may vanish from here on */
		pthread_cond_broadcast(&w->changed);
		pthread_mutex_unlock(&w->lock);
	}
}

int media_worker_run(struct media_worker *w, struct worker_command *cmd)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += MEDIA_CONTROL_TIMEOUT_MS / 1000;
	deadline.tv_nsec += (MEDIA_CONTROL_TIMEOUT_MS % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&w->lock);
	cmd->state = WORKER_QUEUED;
	list_append(&w->queue, &cmd->link);
	pthread_mutex_unlock(&w->lock);

	uint64_t one = 1;
	if (write(w->wake_fd, &one, sizeof(one)) < 0)
		log_warn("media worker: eventfd write: %s", strerror(errno));

	pthread_mutex_lock(&w->lock);
	int err = 0;
	while (cmd->state == WORKER_QUEUED && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&w->changed, &w->lock, &deadline);
	if (cmd->state == WORKER_QUEUED) {
		list_remove(&cmd->link);
		pthread_mutex_unlock(&w->lock);
		return ETIMEDOUT;
	}
	/* Taken: it runs to the end without blocking. */
	while (cmd->state != WORKER_DONE)
		pthread_cond_wait(&w->changed, &w->lock);
	pthread_mutex_unlock(&w->lock);
	return cmd->result;
}

/* ------------------------------------------------------------ thread */

static void *worker_main(void *arg)
{
	struct media_worker *w = arg;
	int err = loop_run(w->loop);
	if (err)
		log_error("media worker: loop: %s", strerror(err));
	return NULL;
}

int media_worker_init(struct media_worker *w, const struct media_engine_settings *settings)
{
	int err;
	pthread_condattr_t attr;
	memset(w, 0, sizeof(*w));
	w->settings = settings;
	w->wake_fd = -1;
	list_init(&w->queue);
	list_init(&w->calls);
	mbuf_init(&w->control_out);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->changed, &attr);
	pthread_condattr_destroy(&attr);

	err = loop_create(&w->loop);
	if (err)
		goto out;
	err = relay_batch_alloc(&w->batch);
	if (err)
		goto out;
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0) {
		err = errno;
		goto out;
	}
	err = loop_fd_add(w->loop, &w->wake_reg, w->wake_fd, EPOLLIN, wake_readable, w);
out:
	if (err)
		media_worker_destroy(w);
	return err;
}

int media_worker_start(struct media_worker *w)
{
	int err = pthread_create(&w->thread, NULL, worker_main, w);
	if (!err)
		w->started = true;
	return err;
}

void media_worker_stop(struct media_worker *w)
{
	if (!w->started)
		return;
	struct worker_command cmd = { .type = WORKER_STOP };
	int err = media_worker_run(w, &cmd);
	if (err)
		log_error("media worker: stop: %s", strerror(err));
	pthread_join(w->thread, NULL);
	w->started = false;
	/* When the thread died early, its calls are ours to free now. */
	free_all_calls(w);
}

void media_worker_destroy(struct media_worker *w)
{
	media_worker_stop(w);
	if (w->loop) {
		if (w->wake_fd >= 0)
			loop_fd_del(w->loop, &w->wake_reg);
		loop_destroy(w->loop);
		w->loop = NULL;
	}
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	w->wake_fd = -1;
	relay_batch_free(w->batch);
	w->batch = NULL;
	mbuf_free(&w->control_out);
	pthread_cond_destroy(&w->changed);
	pthread_mutex_destroy(&w->lock);
}
