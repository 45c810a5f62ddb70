/*
 * msg.h - a parsed SIP message (RFC 3261 section 25) as slices of its own
 * receive buffer.
 *
 * sip_msg_parse() copies the bytes once into the message (so the message can
 * outlive the socket buffer), unfolds continuation lines in place, and then
 * points every field at that copy. Headers are kept in arrival order in
 * `headers`; `first[id]` points at the first occurrence of each well-known
 * header. Values that hold several comma-separated entries (Via, Contact,
 * Route, ...) are walked with sip_value_next().
 *
 * The message is refcounted: transactions and connections hold references.
 */
#ifndef RTCB_SIP_MSG_H
#define RTCB_SIP_MSG_H

#include "core/netaddr.h"
#include "core/slice.h"

#include <stdbool.h>
#include <stdint.h>

enum sip_method {
	SIP_METHOD_UNKNOWN = 0,
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_REGISTER,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_REFER,
	SIP_METHOD_INFO,
	SIP_METHOD_UPDATE,
	SIP_METHOD_PRACK,
	SIP_METHOD_PUBLISH,
};

enum sip_header_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_VIA,
	SIP_HDR_FROM,
	SIP_HDR_TO,
	SIP_HDR_CALL_ID,
	SIP_HDR_CSEQ,
	SIP_HDR_CONTACT,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_CONTENT_LENGTH,
	SIP_HDR_CONTENT_TYPE,
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_EXPIRES,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_REQUIRE,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_SUPPORTED,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_ALLOW,
	SIP_HDR_ACCEPT,
	SIP_HDR_USER_AGENT,
	SIP_HDR_SERVER,
	SIP_HDR_PATH,
	SIP_HDR_EVENT,
	SIP_HDR_SUBJECT,
	SIP_HDR_CONTENT_ENCODING,
	SIP_HDR_REFER_TO,
	SIP_HDR_DATE,
	SIP_HDR_COUNT
};

enum sip_uri_scheme { SIP_URI_OTHER = 0, SIP_URI_SIP, SIP_URI_SIPS, SIP_URI_TEL };

struct sip_uri {
	enum sip_uri_scheme scheme_id;
	struct slice scheme;
	struct slice user;     /* still %-escaped, as received */
	struct slice password;
	struct slice host;     /* IPv6 references keep their brackets */
	uint16_t port;         /* 0 when absent */
	struct slice params;   /* ";transport=tcp;lr", from the first ';' */
	struct slice headers;  /* after '?', without it */
	struct slice raw;      /* the whole URI */
};

/* A name-addr or addr-spec with header parameters: From, To, Contact,
 * Route, Record-Route, Path, Refer-To. */
struct sip_addr {
	struct slice display;  /* without quotes, escapes kept */
	struct sip_uri uri;
	struct slice params;   /* header params after the URI, from the first ';' */
	struct slice tag;      /* the tag= param, when present */
	bool wildcard;         /* Contact: * */
	struct slice raw;
};

struct sip_via {
	struct slice protocol;  /* "SIP/2.0" */
	struct slice transport; /* "UDP", "TCP", "TLS", "WS", ... */
	struct slice host;
	uint16_t port;          /* 0 when absent */
	struct slice params;
	struct slice branch;
	struct slice received;
	bool has_rport;
	struct slice rport;     /* value, empty when the param has none */
	struct slice raw;
};

struct sip_header {
	enum sip_header_id id;
	struct slice name;
	struct slice value; /* trimmed; folded lines already joined */
};

enum sip_transport_type {
	SIP_TRANSPORT_UDP = 0,
	SIP_TRANSPORT_TCP,
	SIP_TRANSPORT_TLS,
	SIP_TRANSPORT_WS,
	SIP_TRANSPORT_WSS,
	SIP_TRANSPORT_COUNT
};

struct sip_conn;
struct sip_listener;

/* Where a message came from; filled in by the transport that received it. */
struct sip_source {
	enum sip_transport_type transport;
	struct netaddr remote;
	struct netaddr local;
	struct sip_listener *listener; /* the socket (UDP) or listening socket */
	struct sip_conn *conn;         /* stream transports: a reference */
};

struct sip_msg {
	char *buf; /* owned copy of the received bytes */
	size_t len;

	bool is_request;
	struct slice method;
	enum sip_method method_id;
	struct sip_uri ruri;
	struct slice version;
	uint16_t status;
	struct slice reason;

	struct sip_header *headers;
	size_t header_count, header_cap;
	struct sip_header *first[SIP_HDR_COUNT];

	struct sip_via via; /* top Via */
	struct sip_addr from, to;
	struct slice call_id;
	uint32_t cseq;
	struct slice cseq_method;
	enum sip_method cseq_method_id;
	int max_forwards; /* -1 when absent */
	int64_t expires;  /* -1 when absent */
	long content_length; /* -1 when absent */
	struct slice body;

	struct sip_source src;
};

/* Why a message was refused: the status to answer with (400, 505, ...) and
 * a reason phrase naming the fault. */
struct sip_parse_error {
	uint16_t status;
	const char *reason;
};

/*
 * Parse one message of `len` bytes (a UDP datagram, or a frame cut by
 * sip_frame_length on a stream). On success returns 0 and *msgp. On failure
 * returns EBADMSG with *err filled in; *msgp is still set when enough was
 * understood to answer (a request whose Via, From, To, Call-ID and CSeq were
 * found), else NULL. Either way the caller owns *msgp.
 */
int sip_msg_parse(struct sip_msg **msgp, const char *data, size_t len, bool stream,
		  struct sip_parse_error *err);

/*
 * Stream framing: how long is the message at the start of `data`?
 * Returns 0 and *msg_len when a whole message is there, EAGAIN when more
 * bytes are needed, EBADMSG when framing is broken (Content-Length missing,
 * negative, doubled or not a number: the connection must be closed),
 * EMSGSIZE when it exceeds max_len. Leading CRLF keep-alives are reported
 * through *skip.
 */
int sip_frame_length(const char *data, size_t len, size_t max_len, size_t *skip,
		     size_t *msg_len);

/* Header helpers */
enum sip_header_id sip_header_id_of(struct slice name);
const char *sip_header_name(enum sip_header_id id);
struct sip_header *sip_msg_header(const struct sip_msg *msg, enum sip_header_id id);
struct sip_header *sip_msg_header_next(const struct sip_msg *msg, const struct sip_header *after);
/* First header with this name (for headers without an id). */
struct sip_header *sip_msg_header_by_name(const struct sip_msg *msg, const char *name);

/*
 * Walk comma-separated values: quoted strings and <...> are respected.
 * `*rest` starts as the header value; each call yields the next trimmed
 * value. Returns false at the end.
 */
bool sip_value_next(struct slice *rest, struct slice *value);
/* Next value of this header id across all its header lines. */
struct sip_value_iter {
	const struct sip_msg *msg;
	const struct sip_header *hdr;
	struct slice rest;
};
void sip_value_iter_init(struct sip_value_iter *it, const struct sip_msg *msg, enum sip_header_id id);
bool sip_value_iter_next(struct sip_value_iter *it, struct slice *value);

/* ";a=b;c" parameter lookup: present -> true, *value set (empty if none). */
bool sip_param_find(struct slice params, const char *name, struct slice *value);

int sip_uri_parse(struct slice raw, struct sip_uri *uri);
int sip_addr_parse(struct slice value, struct sip_addr *addr);
int sip_via_parse(struct slice value, struct sip_via *via);

enum sip_method sip_method_of(struct slice name);
const char *sip_method_name(enum sip_method method);
const char *sip_transport_name(enum sip_transport_type t); /* "UDP", ... */
int sip_transport_parse(struct slice name, enum sip_transport_type *t);
const char *sip_reason_phrase(uint16_t status);
/* Value for our Server and User-Agent headers: "rtcbridge/<version>". */
const char *sip_agent(void);

/* RFC 3261 19.1.4 comparison of user parts after unescaping, and of hosts
 * case-insensitively. */
bool sip_uri_user_eq(struct slice a, struct slice b);
/* Unescape %HH into buf; returns length or -1 when it does not fit / bad. */
long sip_unescape(struct slice in, char *buf, size_t size);

#endif
