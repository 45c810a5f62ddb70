/*
 * main.c - the rtcbridge daemon: command line, start-up, signals, shutdown.
 *
 * Start-up order: configuration, logging, state directory and store, the
 * names we answer to (also written to the store as realms, so that
 * rtcbridge-ctl hashes passwords for them), TLS, the web phone's files, SIP
 * stack and listeners (UDP, TCP, TLS, and WS/WSS, which also serve HTTP),
 * location service (restored from the store), the media engine and the
 * rtpengine ng control socket when [media] ng_listen (or --ng-listen) is
 * set, then the event loop.
 * SIGTERM/SIGINT stop the loop and everything is torn down in reverse;
 * SIGHUP reloads users (they are read from the store at every
 * authentication, so this only logs) and the log level.
 */
#include "app/config.h"
#include "app/control.h"
#include "core/localnames.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/tls.h"
#include "http/server.h"
#include "http/static.h"
#include "media/engine.h"
#include "ng/server.h"
#include "proxy/anchor.h"
#include "proxy/calls.h"
#include "proxy/proxy.h"
#include "proxy/router.h"
#include "registrar/location.h"
#include "service/server.h"
#include "sip/auth.h"
#include "sip/stack.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: rtcbridge [options]\n"
		"  -c, --config FILE     read settings from FILE (INI); defaults work without one\n"
		"      --state-dir DIR   database and generated certificates (default /var/lib/rtcbridge)\n"
		"      --check-config    check the configuration and exit\n"
		"      --ng-listen ADDR:PORT  rtpengine ng control socket (overrides [media] ng_listen)\n"
		"  -h, --help            this text\n"
		"  -V, --version         print the version\n");
}

struct signals {
	struct loop_fd reg;
	int fd;
	struct loop *loop;
};

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct signals *sig = arg;
	struct signalfd_siginfo info;
	(void)events;
	while (read(fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo == SIGHUP) {
			log_notice("SIGHUP: users are read from the store at each authentication; nothing cached to reload");
		} else {
			log_notice("signal %u: shutting down", info.ssi_signo);
			loop_stop(sig->loop);
		}
	}
}

static void flush_store(void *arg)
{
	store_flush(arg);
}

/* What the services read of the configuration; the strings stay in cfg,
 * which lives as long as the server. */
static void server_settings_from_config(struct server_settings *s, const struct config *cfg)
{
	*s = (struct server_settings){
		.realm = cfg->realm,
		.min_expires = cfg->min_expires,
		.max_expires = cfg->max_expires,
		.default_expires = cfg->default_expires,
		.max_contacts = cfg->max_contacts,
		.offer_sha256 = cfg->offer_sha256,
		.invite_timeout = cfg->invite_timeout,
	};
	for (size_t i = 0; i < cfg->md5_only_user_agent_count && i < SERVER_MAX_AGENTS; i++)
		s->md5_only_user_agents[s->md5_only_user_agent_count++] = cfg->md5_only_user_agents[i];
}

static void collect_names(struct server *srv, const struct config *cfg)
{
	localnames_collect(&srv->names);
	for (size_t i = 0; i < cfg->domain_count; i++)
		localnames_add(&srv->names, cfg->domains[i]);
	if (cfg->advertised_address[0])
		localnames_add(&srv->names, cfg->advertised_address);
	if (cfg->realm[0])
		localnames_add(&srv->names, cfg->realm);
	for (size_t i = 0; i < cfg->listen_address_count; i++) {
		struct netaddr a;
		if (netaddr_set_cstr(&a, cfg->listen_addresses[i], 0) == 0 && !netaddr_is_any(&a))
			localnames_add(&srv->names, cfg->listen_addresses[i]);
	}
}

/* An upgraded WebSocket from the HTTP server: SIP's from now on. */
static int adopt_websocket(struct stream *s, bool secure, void *arg)
{
	struct server *srv = arg;
	return sip_transport_adopt_websocket(sip_stack_transport(srv->sip), s, secure);
}

static int start_listeners(struct server *srv, struct http_server *http, const struct config *cfg)
{
	struct sip_transport *t = sip_stack_transport(srv->sip);
	struct {
		enum sip_transport_type type;
		uint16_t port;
	} kinds[] = { { SIP_TRANSPORT_UDP, cfg->udp_port },
		      { SIP_TRANSPORT_TCP, cfg->tcp_port },
		      { SIP_TRANSPORT_TLS, cfg->tls_port },
		      { SIP_TRANSPORT_WSS, cfg->https_port },
		      { SIP_TRANSPORT_WS, cfg->http_port } };
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		enum sip_transport_type type = kinds[k].type;
		if (!kinds[k].port)
			continue;
		for (size_t i = 0; i < cfg->listen_address_count; i++) {
			struct netaddr addr, bound;
			int err;
			if (netaddr_set_cstr(&addr, cfg->listen_addresses[i], kinds[k].port)) {
				log_error("listen address '%s' is not an IP address", cfg->listen_addresses[i]);
				return EINVAL;
			}
			/* WS and WSS: the HTTP server's port, SIP's once upgraded */
			if (type == SIP_TRANSPORT_WS || type == SIP_TRANSPORT_WSS) {
				err = http_server_listen(http, &addr, type == SIP_TRANSPORT_WSS, &bound);
				if (!err)
					err = sip_transport_announce(t, type, &bound);
			} else
				err = sip_transport_listen(t, type, &addr);
			if (err)
				return err;
		}
	}
	return 0;
}

static void conn_closed(struct sip_conn *conn, void *arg)
{
	struct server *srv = arg;
	if (srv->location)
		location_remove_flow(srv->location, conn);
}

static void serve_web(const struct http_request *req, struct mbuf *out, void *arg)
{
	http_static_serve(arg, req, out);
}

/* The relay, for the calls the proxy anchors (unless [media] anchor =
 * never) and for the ng control socket when ng_listen is set. */
static int start_media(struct server *srv, const struct config *cfg, struct media_engine **enginep,
		       struct ng_server **ngp)
{
	struct media_engine_settings ms;
	struct ng_server_settings ns = { 0 };
	struct anchor_settings as = { 0 };
	const char *bind_host = cfg->media_bind_address[0] ? cfg->media_bind_address : "0.0.0.0";
	int err;

	anchor_mode_parse(cfg->media_anchor, &as.mode); /* checked by the config */
	if (!cfg->ng_listen[0] && as.mode == ANCHOR_NEVER)
		return 0;
	media_engine_settings_default(&ms);
	if (cfg->media_workers)
		ms.workers = cfg->media_workers;
	ms.port_min = cfg->port_min;
	ms.port_max = cfg->port_max;
	ms.strict_source = cfg->strict_source;
	ms.timeout_ms = cfg->media_timeout * 1000;
	ns.timeout_ms = ms.timeout_ms;
	memset(&ms.bind4, 0, sizeof(ms.bind4));
	memset(&ms.bind6, 0, sizeof(ms.bind6));
	netaddr_set_cstr(&ns.bind, bind_host, 0);
	if (netaddr_family(&ns.bind) == AF_INET6)
		ms.bind6 = ns.bind;
	else
		ms.bind4 = ns.bind;
	if (cfg->media_advertised_address[0])
		netaddr_set_cstr(&ns.advertised, cfg->media_advertised_address, 0);
	if ((err = media_engine_create(enginep, &ms))) {
		log_error("media engine: %s (ports %u-%u)", strerror(err), (unsigned)cfg->port_min,
			  (unsigned)cfg->port_max);
		return err;
	}
	if ((err = media_engine_start(*enginep))) {
		log_error("media engine: cannot start its workers: %s", strerror(err));
		return err;
	}
	as.advertised = ns.advertised;
	as.bind = ns.bind;
	if (as.mode != ANCHOR_NEVER && (err = anchor_create(&srv->anchor, *enginep, srv->loop, &as)))
		return err;
	if (!cfg->ng_listen[0])
		return 0;
	netaddr_parse_hostport(&ns.listen, cfg->ng_listen);
	return ng_server_create(ngp, srv->loop, *enginep, &ns);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "ng-listen", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *state_dir = NULL, *ng_listen = NULL;
	bool check_only = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 's': state_dir = optarg; break;
		case 'k': check_only = true; break;
		case 'n': ng_listen = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("rtcbridge %s\n", RTCBRIDGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rtcbridge: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	static struct config cfg;
	char errbuf[512];
	config_defaults(&cfg);
	if (config_path && config_load(&cfg, config_path, errbuf, sizeof(errbuf))) {
		fprintf(stderr, "rtcbridge: %s\n", errbuf);
		return 1;
	}
	if (state_dir && snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", state_dir) >= (int)sizeof(cfg.state_dir)) {
		fprintf(stderr, "rtcbridge: --state-dir is too long\n");
		return 1;
	}
	if (ng_listen) {
		struct netaddr a;
		if (netaddr_parse_hostport(&a, ng_listen) ||
		    snprintf(cfg.ng_listen, sizeof(cfg.ng_listen), "%s", ng_listen) >= (int)sizeof(cfg.ng_listen)) {
			fprintf(stderr, "rtcbridge: --ng-listen %s is not ADDR:PORT ([::1]:2223 for IPv6)\n",
				ng_listen);
			return 1;
		}
	}
	if (check_only) {
		printf("configuration OK\n");
		return 0;
	}
	log_setup((enum log_level)log_level_parse(cfg.log_level), cfg.syslog, "rtcbridge");

	static struct server srv;
	struct media_engine *engine = NULL;
	struct ng_server *ng = NULL;
	struct control *control = NULL;
	struct http_server *http = NULL;
	int err = 0;
	server_settings_from_config(&srv.settings, &cfg);
	struct signals sig = { .fd = -1 };
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((err = loop_create(&srv.loop)))
		goto out;
	if ((err = store_open(&srv.store, cfg.state_dir))) {
		log_error("cannot open the store in %s: %s", cfg.state_dir, strerror(err));
		goto out;
	}
	collect_names(&srv, &cfg);
	{
		const char *realms[LOCALNAMES_MAX];
		for (size_t i = 0; i < srv.names.count; i++)
			realms[i] = srv.names.names[i];
		if ((err = store_realms_set(srv.store, realms, srv.names.count))) {
			log_error("cannot write the realms into the store in %s: %s", cfg.state_dir,
				  strerror(err));
			goto out;
		}
	}
	if ((cfg.tls_port || cfg.https_port) &&
	    (err = tls_ctx_create(&srv.tls, cfg.tls_cert, cfg.tls_key, cfg.state_dir)))
		goto out;
	if ((cfg.https_port || cfg.http_port) && http_static_create(&srv.web, cfg.web_root))
		log_warn("web root %s is missing: the web phone is not served (build it with web/build.sh, "
			 "or set [http] web_root)", cfg.web_root);

	const char *origins[CONFIG_MAX_LIST];
	for (size_t i = 0; i < cfg.allowed_origin_count; i++)
		origins[i] = cfg.allowed_origins[i];
	struct sip_transport_settings settings = {
		.max_message_size = cfg.max_message_size,
		.idle_timeout_s = cfg.tcp_idle_timeout,
		.tls = srv.tls ? tls_ctx_ssl(srv.tls) : NULL,
	};
	struct http_server_settings http_settings = {
		.tls = settings.tls,
		.max_head = cfg.max_header_size,
		.idle_timeout_s = cfg.tcp_idle_timeout,
		.ws = { .allowed_origins = origins, .allowed_origin_count = cfg.allowed_origin_count,
			.path = "/ws", .subprotocol = "sip" },
		.route = srv.web ? serve_web : NULL,
		.route_arg = srv.web,
		.upgrade = adopt_websocket,
		.upgrade_arg = &srv,
	};
	struct sip_stack_handlers handlers = {
		.request = router_handle_request,
		.stray_response = proxy_stray_response,
		.conn_closed = conn_closed,
		.arg = &srv,
	};
	if ((err = sip_stack_create(&srv.sip, srv.loop, &settings, &handlers)))
		goto out;
	if ((err = auth_nonces_create(&srv.nonces, srv.loop, cfg.nonce_lifetime)))
		goto out;
	if ((err = location_create(&srv.location, srv.loop, srv.store)))
		goto out;
	if ((err = http_server_create(&http, srv.loop, &http_settings)))
		goto out;
	if ((err = start_listeners(&srv, http, &cfg)))
		goto out;
	if ((err = start_media(&srv, &cfg, &engine, &ng)))
		goto out;
	if ((err = calls_create(&srv.calls, srv.loop, srv.store, srv.anchor,
				cfg.media_timeout * 1000)))
		goto out;
	if ((err = control_create(&control, &srv, cfg.state_dir)))
		goto out;
	location_load(srv.location);
	loop_hook_add(srv.loop, flush_store, srv.store);

	sig.loop = srv.loop;
	sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig.fd < 0 || loop_fd_add(srv.loop, &sig.reg, sig.fd, EPOLLIN, on_signal, &sig)) {
		err = errno ? errno : EIO;
		goto out;
	}
	log_notice("rtcbridge %s ready (state in %s)", RTCBRIDGE_VERSION, cfg.state_dir);
	err = loop_run(srv.loop);
	store_flush(srv.store);

out:
	if (err)
		log_error("rtcbridge stopped: %s", strerror(err));
	if (sig.fd >= 0) {
		loop_fd_del(srv.loop, &sig.reg);
		close(sig.fd);
	}
	control_destroy(control);
	ng_server_destroy(ng);
	calls_destroy(srv.calls);
	srv.calls = NULL;
	anchor_destroy(srv.anchor);
	srv.anchor = NULL;
	media_engine_destroy(engine);
	location_destroy(srv.location);
	srv.location = NULL; /* connections closing below must not reach it */
	http_server_destroy(http);
	sip_stack_destroy(srv.sip);
	auth_nonces_destroy(srv.nonces);
	tls_ctx_free(srv.tls);
	if (srv.web)
		http_static_destroy(srv.web);
	if (srv.store)
		store_flush(srv.store);
	store_close(srv.store);
	loop_destroy(srv.loop);
	return err ? 1 : 0;
}
