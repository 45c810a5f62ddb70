/*
 * engine.c - the media engine's control side: settings, workers, the port
 * range, call handles, and the sockets endpoints are made of.
 *
 * Everything here runs on the control thread (see engine.h). Opening and
 * binding sockets happens here too, because the port range is ours: the
 * worker receives bound sockets in ENDPOINT_ADD and closes them when the
 * call goes, and only after the worker has answered do the ports go back
 * to the range, so a port is never in the range and open at once.
 *
 * The engine is refcounted: every call handle holds a reference, so a
 * handle dropped after media_engine_destroy() still finds the engine (and
 * learns it has stopped) instead of freed memory.
 *
 * Security. The engine makes the one DTLS certificate every secure
 * endpoint uses, and drops it after the workers are gone. Each endpoint's
 * ICE ufrag and pwd are made here when the endpoint is, so an offer can
 * carry them before anything is known of the peer; set_security hands
 * them to the worker with the peer's settings.
 */
#include "media/engine.h"

#include "core/log.h"
#include "core/mem.h"
#include "dtls/dtls.h"
#include "media/ports.h"
#include "media/worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

/* 6 random bits per ice-char: 48 bits of ufrag, 144 of pwd (RFC 8445 5.3
 * asks for at least 24 and 128). */
#define ICE_UFRAG_LEN 8
#define ICE_PWD_LEN 24

struct media_engine {
	struct media_engine_settings settings; /* read by the workers too; never changes */
	struct media_ports ports;
	struct dtls_cert *cert;
	unsigned worker_count; /* initialised entries of workers */
	struct media_worker *workers;
	unsigned next_worker;  /* round robin */
	bool started, stopped;
};

struct media_call {
	struct media_engine *engine; /* a reference */
	struct media_worker *worker;
	struct worker_call *state;   /* the worker's, only named; NULL once deleted */
	char *call_id;
	unsigned endpoint_count;
	uint16_t rtp_ports[MEDIA_CALL_MAX_ENDPOINTS];
	int families[MEDIA_CALL_MAX_ENDPOINTS];
	struct {
		char ufrag[ICE_UFRAG_LEN + 1];
		char pwd[ICE_PWD_LEN + 1];
	} ice[MEDIA_CALL_MAX_ENDPOINTS]; /* local credentials */
};

/* ------------------------------------------------------------ engine */

void media_engine_settings_default(struct media_engine_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->workers = sysconf(_SC_NPROCESSORS_ONLN) > 2 ? 2 : 1;
	s->port_min = 20000;
	s->port_max = 30000;
	netaddr_set_cstr(&s->bind4, "0.0.0.0", 0);
	s->timeout_ms = 60000;
}

static void engine_destructor(void *obj)
{
	struct media_engine *engine = obj;
	media_engine_stop(engine);
	for (unsigned i = 0; i < engine->worker_count; i++)
		media_worker_destroy(&engine->workers[i]);
	free(engine->workers);
	media_ports_destroy(&engine->ports);
	mem_deref(engine->cert);
}

int media_engine_create(struct media_engine **enginep, const struct media_engine_settings *s)
{
	if (s->workers < 1 || s->workers > MEDIA_WORKERS_MAX)
		return EINVAL;
	if (netaddr_family(&s->bind4) != AF_INET && netaddr_family(&s->bind6) != AF_INET6)
		return EINVAL;
	struct media_engine *engine = mem_alloc(sizeof(*engine), engine_destructor);
	if (!engine)
		return ENOMEM;
	engine->settings = *s;
	int err = media_ports_init(&engine->ports, s->port_min, s->port_max);
	if (err)
		goto out;
	err = dtls_cert_alloc(&engine->cert);
	if (err)
		goto out;
	engine->workers = calloc(s->workers, sizeof(*engine->workers));
	if (!engine->workers) {
		err = ENOMEM;
		goto out;
	}
	for (; engine->worker_count < s->workers; engine->worker_count++) {
		err = media_worker_init(&engine->workers[engine->worker_count], &engine->settings);
		if (err)
			goto out;
	}
out:
	if (err)
		engine = mem_deref(engine);
	*enginep = engine;
	return err;
}

int media_engine_start(struct media_engine *engine)
{
	if (engine->started || engine->stopped)
		return EALREADY;
	engine->started = true;
	for (unsigned i = 0; i < engine->worker_count; i++) {
		int err = media_worker_start(&engine->workers[i]);
		if (err) {
			media_engine_stop(engine);
			return err;
		}
	}
	return 0;
}

void media_engine_stop(struct media_engine *engine)
{
	if (engine->stopped)
		return;
	engine->stopped = true;
	for (unsigned i = 0; i < engine->worker_count; i++)
		media_worker_stop(&engine->workers[i]);
}

void media_engine_destroy(struct media_engine *engine)
{
	if (!engine)
		return;
	media_engine_stop(engine);
	mem_deref(engine);
}

/* ------------------------------------------------------------ calls */

static bool engine_running(const struct media_engine *engine)
{
	return engine->started && !engine->stopped;
}

/* 0 when commands may be sent for this call. */
static int call_usable(const struct media_call *call)
{
	if (!engine_running(call->engine))
		return ESHUTDOWN;
	return call->state ? 0 : ENOENT;
}

static void call_destructor(void *obj)
{
	struct media_call *call = obj;
	media_call_delete(call);
	mem_deref(call->call_id);
	mem_deref(call->engine);
}

int media_call_create(struct media_engine *engine, const char *call_id,
		      struct media_call **callp)
{
	if (!engine_running(engine))
		return ESHUTDOWN;
	struct media_call *call = mem_alloc(sizeof(*call), call_destructor);
	if (!call)
		return ENOMEM;
	call->engine = mem_ref(engine);
	call->worker = &engine->workers[engine->next_worker++ % engine->worker_count];
	call->call_id = mem_strndup(call_id, strlen(call_id));
	if (!call->call_id) {
		mem_deref(call);
		return ENOMEM;
	}
	struct worker_command cmd = { .type = WORKER_CALL_ADD };
	int err = media_worker_run(call->worker, &cmd);
	if (err) {
		mem_deref(call);
		return err;
	}
	call->state = cmd.call;
	*callp = call;
	return 0;
}

static void ports_give_back(struct media_call *call)
{
	for (unsigned i = 0; i < call->endpoint_count; i++)
		media_ports_give_back(&call->engine->ports, call->rtp_ports[i]);
	call->endpoint_count = 0;
}

void media_call_delete(struct media_call *call)
{
	if (!call->state)
		return;
	if (engine_running(call->engine)) {
		struct worker_command cmd = { .type = WORKER_CALL_DELETE, .call = call->state };
		int err = media_worker_run(call->worker, &cmd);
		if (err) {
			/* The sockets may still be open: keep their ports. */
			log_error("media: call %s: delete: %s", call->call_id, strerror(err));
			call->state = NULL;
			return;
		}
	}
	/* Closed now, by the worker or by media_engine_stop(). */
	ports_give_back(call);
	call->state = NULL;
}

/* ------------------------------------------------------------ endpoints */

static int socket_open(const struct netaddr *bind_addr, uint16_t port, int *fdp)
{
	int family = netaddr_family(bind_addr);
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	int err = 0, on = 1;
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) {
		err = errno;
		goto out;
	}
	struct netaddr local = *bind_addr;
	netaddr_set_port(&local, port);
	if (bind(fd, &local.u.sa, local.len) < 0)
		err = errno;
out:
	if (err)
		close(fd);
	else
		*fdp = fd;
	return err;
}

static int pair_open(const struct netaddr *bind_addr, uint16_t rtp_port, int fds[2])
{
	int err = socket_open(bind_addr, rtp_port, &fds[RELAY_RTP]);
	if (err)
		return err;
	err = socket_open(bind_addr, (uint16_t)(rtp_port + 1), &fds[RELAY_RTCP]);
	if (err)
		close(fds[RELAY_RTP]);
	return err;
}

/* Take pairs from the range until one binds; EADDRINUSE ones are skipped
 * (someone else on this host has them) and go back to the range. */
static int pair_allocate(struct media_engine *engine, const struct netaddr *bind_addr,
			 uint16_t *rtp_port, int fds[2])
{
	for (unsigned attempt = 0; attempt < engine->ports.count; attempt++) {
		int err = media_ports_take(&engine->ports, rtp_port);
		if (err)
			return err;
		err = pair_open(bind_addr, *rtp_port, fds);
		if (!err)
			return 0;
		media_ports_give_back(&engine->ports, *rtp_port);
		if (err != EADDRINUSE)
			return err;
	}
	return ENOSPC;
}

/* ice-chars (RFC 8839 5.4) drawn from RAND_bytes: 64 of them, 6 bits
 * each. */
static int ice_string_generate(char *out, size_t len)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char random[ICE_PWD_LEN];
	if (len > sizeof(random) || RAND_bytes(random, (int)len) != 1)
		return EIO;
	for (size_t i = 0; i < len; i++)
		out[i] = chars[random[i] % 64];
	out[len] = '\0';
	return 0;
}

int media_endpoint_create(struct media_call *call, int family, struct media_endpoint_info *info)
{
	struct media_engine *engine = call->engine;
	int err = call_usable(call);
	if (err)
		return err;
	if (call->endpoint_count == MEDIA_CALL_MAX_ENDPOINTS)
		return ENOSPC;
	const struct netaddr *bind_addr = family == AF_INET ? &engine->settings.bind4
					: family == AF_INET6 ? &engine->settings.bind6 : NULL;
	if (!bind_addr || netaddr_family(bind_addr) != family)
		return EAFNOSUPPORT;
	unsigned id = call->endpoint_count;
	err = ice_string_generate(call->ice[id].ufrag, ICE_UFRAG_LEN);
	if (!err)
		err = ice_string_generate(call->ice[id].pwd, ICE_PWD_LEN);
	if (err)
		return err;

	uint16_t port;
	struct worker_command cmd = {
		.type = WORKER_ENDPOINT_ADD,
		.call = call->state,
		.endpoint = call->endpoint_count,
	};
	err = pair_allocate(engine, bind_addr, &port, cmd.u.fds);
	if (err)
		return err;
	err = media_worker_run(call->worker, &cmd);
	if (err) {
		close(cmd.u.fds[RELAY_RTP]);
		close(cmd.u.fds[RELAY_RTCP]);
		media_ports_give_back(&engine->ports, port);
		return err;
	}
	call->rtp_ports[call->endpoint_count] = port;
	call->families[call->endpoint_count] = family;
	info->id = call->endpoint_count++;
	info->rtp = info->rtcp = *bind_addr;
	netaddr_set_port(&info->rtp, port);
	netaddr_set_port(&info->rtcp, (uint16_t)(port + 1));
	return 0;
}

static int endpoint_usable(const struct media_call *call, unsigned endpoint)
{
	int err = call_usable(call);
	if (err)
		return err;
	return endpoint < call->endpoint_count ? 0 : ENOENT;
}

static bool family_fits(const struct netaddr *a, int family)
{
	return !netaddr_family(a) || netaddr_family(a) == family;
}

int media_endpoint_set_remote(struct media_call *call, unsigned endpoint,
			      const struct media_remote *remote)
{
	int err = endpoint_usable(call, endpoint);
	if (err)
		return err;
	int family = call->families[endpoint];
	if (!family_fits(&remote->rtp, family) || !family_fits(&remote->rtcp, family))
		return EAFNOSUPPORT;
	struct worker_command cmd = {
		.type = WORKER_SET_REMOTE,
		.call = call->state,
		.endpoint = endpoint,
		.u.remote = *remote,
	};
	return media_worker_run(call->worker, &cmd);
}

int media_endpoints_bridge(struct media_call *call, unsigned a, unsigned b)
{
	int err = endpoint_usable(call, a);
	if (!err)
		err = endpoint_usable(call, b);
	if (err)
		return err;
	if (a == b)
		return EINVAL;
	struct worker_command cmd = {
		.type = WORKER_BRIDGE,
		.call = call->state,
		.endpoint = a,
		.other = b,
	};
	return media_worker_run(call->worker, &cmd);
}

int media_endpoint_set_hold(struct media_call *call, unsigned endpoint, bool hold)
{
	int err = endpoint_usable(call, endpoint);
	if (err)
		return err;
	struct worker_command cmd = {
		.type = WORKER_HOLD,
		.call = call->state,
		.endpoint = endpoint,
		.u.hold = hold,
	};
	return media_worker_run(call->worker, &cmd);
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int media_endpoint_set_security(struct media_call *call, unsigned endpoint,
				const struct media_security *security)
{
	int err = endpoint_usable(call, endpoint);
	if (err)
		return err;
	if (security->mode != MEDIA_SECURITY_NONE && security->mode != MEDIA_SECURITY_DTLS_SRTP &&
	    security->mode != MEDIA_SECURITY_SDES && security->mode != MEDIA_SECURITY_SDES_PENDING)
		return EINVAL;
	if (!terminated(security->remote_ufrag, sizeof(security->remote_ufrag)) ||
	    !terminated(security->remote_pwd, sizeof(security->remote_pwd)) ||
	    !terminated(security->remote_fingerprint, sizeof(security->remote_fingerprint)))
		return EINVAL;
	struct worker_command cmd = {
		.type = WORKER_SET_SECURITY,
		.call = call->state,
		.endpoint = endpoint,
		.u.security = {
			.settings = *security,
			.cert = call->engine->cert,
		},
	};
	memcpy(cmd.u.security.local_ufrag, call->ice[endpoint].ufrag, sizeof(call->ice[endpoint].ufrag));
	memcpy(cmd.u.security.local_pwd, call->ice[endpoint].pwd, sizeof(call->ice[endpoint].pwd));
	err = media_worker_run(call->worker, &cmd);
	memset(&cmd.u.security.settings.sdes, 0, sizeof(cmd.u.security.settings.sdes));
	return err;
}

int media_endpoint_ice_restart(struct media_call *call, unsigned endpoint)
{
	int err = endpoint_usable(call, endpoint);
	if (!err)
		err = ice_string_generate(call->ice[endpoint].ufrag, ICE_UFRAG_LEN);
	if (!err)
		err = ice_string_generate(call->ice[endpoint].pwd, ICE_PWD_LEN);
	return err;
}

int media_endpoint_get_local_security(struct media_call *call, unsigned endpoint,
				      struct media_local_security *out)
{
	int err = endpoint_usable(call, endpoint);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	memcpy(out->ufrag, call->ice[endpoint].ufrag, sizeof(call->ice[endpoint].ufrag));
	memcpy(out->pwd, call->ice[endpoint].pwd, sizeof(call->ice[endpoint].pwd));
	return slice_to_cstr(slice_from_cstr(dtls_cert_fingerprint(call->engine->cert)),
			     out->fingerprint, sizeof(out->fingerprint));
}

int media_call_stats(struct media_call *call, struct media_call_stats *out)
{
	int err = call_usable(call);
	if (err)
		return err;
	struct worker_command cmd = {
		.type = WORKER_STATS,
		.call = call->state,
		.u.stats = out,
	};
	return media_worker_run(call->worker, &cmd);
}
