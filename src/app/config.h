/*
 * config.h - the daemon's settings, read from one INI file.
 *
 * Every field has a working default (config_defaults), so rtcbridge runs
 * with no file at all. Unknown sections or keys and bad values are errors
 * that name the file, line and key, so --check-config tells what to fix.
 */
#ifndef RTCB_APP_CONFIG_H
#define RTCB_APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_LIST 16
#define CONFIG_STR 256

struct config {
	/* [general] */
	char log_level[16];        /* error|warn|notice|info|debug */
	bool syslog;
	char state_dir[CONFIG_STR];

	/* [sip] */
	char listen_addresses[CONFIG_MAX_LIST][64]; /* bind addresses; default "0.0.0.0" and "::" */
	size_t listen_address_count;
	uint16_t udp_port;         /* 0 disables */
	uint16_t tcp_port;
	uint16_t tls_port;
	char advertised_address[64]; /* host put in Via/Record-Route; default: the receiving address */
	char domains[CONFIG_MAX_LIST][128]; /* extra local domains */
	size_t domain_count;
	char realm[128];           /* empty: the request's domain */
	char tls_cert[CONFIG_STR]; /* empty: generated self-signed into state_dir */
	char tls_key[CONFIG_STR];
	uint32_t max_message_size; /* bytes, stream transports */
	uint32_t tcp_idle_timeout; /* seconds without traffic before a connection is closed */

	/* [registrar] */
	uint32_t min_expires;
	uint32_t max_expires;
	uint32_t default_expires;
	uint32_t max_contacts;     /* per address of record */

	/* [auth] */
	uint32_t nonce_lifetime;   /* seconds */
	bool offer_sha256;         /* SHA-256 challenges beside MD5 */
	/* User-Agent substrings of MD5-only clients that refuse a challenge set
	 * holding SHA-256 (libre before 3.x: baresip); they get MD5 alone. */
	char md5_only_user_agents[CONFIG_MAX_LIST][64];
	size_t md5_only_user_agent_count;

	/* [http]: the web phone and SIP over WebSocket share these ports */
	uint16_t https_port;       /* HTTPS + WSS; 0 disables */
	uint16_t http_port;        /* plain HTTP + WS, for development on localhost; 0 disables */
	char web_root[CONFIG_STR]; /* the web phone's files */
	char allowed_origins[CONFIG_MAX_LIST][128]; /* none: same origin only */
	size_t allowed_origin_count;
	uint32_t max_header_size;  /* HTTP request line + headers, bytes */

	/* [proxy] */
	uint32_t invite_timeout;   /* seconds without final answer -> 408 (Timer C) */

	/* [media]: the relay, for anchored calls and rtpengine's ng protocol */
	char media_anchor[8];      /* "auto", "always", "never" (proxy/anchor.h) */
	char ng_listen[72];        /* "addr:port", "[v6]:port"; empty: no ng control socket */
	uint16_t port_min, port_max; /* RTP/RTCP port range */
	char media_bind_address[64]; /* address the relay sockets bind to; empty: 0.0.0.0 */
	/* address written into rewritten SDP; empty: see ng/server.h */
	char media_advertised_address[64];
	bool strict_source;        /* no latching: accept only the SDP's address */
	uint32_t media_workers;    /* relay threads; 0: the engine's default */
	uint32_t media_timeout;    /* seconds without media before an ng call is deleted; 0: never */
};

void config_defaults(struct config *c);
/* Reads `path` over the defaults. On error returns EINVAL and writes a
 * message naming file, line and key into errbuf. */
int config_load(struct config *c, const char *path, char *errbuf, size_t errlen);

#endif
