/*
 * ws.h - WebSocket (RFC 6455) server side for SIP over WebSocket (RFC 7118).
 *
 * Pure functions: the connection code reads bytes, hands them here, and
 * writes what comes back.
 *
 *   1. An HTTP request head arrives (http_request_parse). ws_is_upgrade()
 *      says whether it asks for a WebSocket; ws_handshake() checks it against
 *      the policy and writes either the 101 answer or an error response.
 *   2. After the 101, every received byte goes through ws_reader_next(),
 *      which hands back one event per call: a whole (reassembled) message,
 *      a ping to answer with a pong, a close to echo, or an error to close
 *      with. Each SIP message is sent with ws_frame_print(WS_OP_TEXT).
 *
 * Handshake: ws.c. Frames: ws_frame.c. UTF-8 checking: utf8.c.
 */
#ifndef RTCB_HTTP_WS_H
#define RTCB_HTTP_WS_H

#include "core/mbuf.h"
#include "core/slice.h"
#include "http/request.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ handshake */

/* Sec-WebSocket-Accept for a client key: base64(SHA-1(key + GUID)); out gets
 * 28 characters and a NUL, or just a NUL if OpenSSL fails to allocate. */
void ws_accept_key(struct slice client_key, char out[29]);

struct ws_policy {
	bool secure; /* the connection is TLS: a same-origin Origin is https */
	/* Further origins allowed besides our own, exact "scheme://host[:port]"
	 * as a browser sends them ("https://phone.example.org:8443"); scheme and
	 * host compare case-insensitively, a default port (443, 80) may be left
	 * out on either side. Count 0: same-origin only. */
	const char *const *allowed_origins;
	size_t allowed_origin_count;
	const char *path;        /* the endpoint, e.g. "/ws"; NULL: any path */
	const char *subprotocol; /* required and answered, e.g. "sip"; NULL: none */
};

/* Does this request ask for a WebSocket at all: GET, "Upgrade: websocket",
 * and "upgrade" among the Connection tokens? */
bool ws_is_upgrade(const struct http_request *req);

/*
 * Check an upgrade request against policy and append the full answer to out.
 * Returns 0 with "101 Switching Protocols" (Upgrade, Connection,
 * Sec-WebSocket-Accept, and Sec-WebSocket-Protocol when policy->subprotocol
 * is set): from here on the connection speaks WebSocket. Returns -1 with err
 * filled and an error response that says "Connection: close":
 *   400  not an upgrade, HTTP/1.0, missing or malformed Sec-WebSocket-Key
 *        (base64 of 16 bytes), missing Sec-WebSocket-Version, the client does
 *        not offer policy->subprotocol (compared case-sensitively, since the
 *        browser checks our echo byte for byte)
 *   404  another path than policy->path (the query is ignored)
 *   403  "Origin not allowed": an Origin that is neither same-origin (scheme
 *        from policy->secure, host and port from the Host header) nor one of
 *        the allowed origins. No Origin at all (SIPp, scripts) is allowed.
 *   426  a Sec-WebSocket-Version other than 13, answered with
 *        "Sec-WebSocket-Version: 13"
 *   500  OpenSSL could not compute the accept key
 */
int ws_handshake(const struct http_request *req, const struct ws_policy *policy, struct mbuf *out,
		 struct http_error *err);

/* ------------------------------------------------------------ frames */

enum ws_opcode {
	WS_OP_CONTINUATION = 0,
	WS_OP_TEXT = 1,
	WS_OP_BINARY = 2,
	WS_OP_CLOSE = 8,
	WS_OP_PING = 9,
	WS_OP_PONG = 10,
};

enum ws_event_type {
	WS_EVENT_NONE,    /* nothing yet; see ws_reader_next() for *used */
	WS_EVENT_MESSAGE, /* a whole message, reassembled from its fragments */
	WS_EVENT_PING,    /* answer with a PONG carrying the same payload */
	WS_EVENT_PONG,
	WS_EVENT_CLOSE,   /* echo a close (ws_close_frame_print) and close */
	WS_EVENT_ERROR,   /* send a close with close_code and close */
};

struct ws_event {
	enum ws_event_type type;
	enum ws_opcode opcode; /* MESSAGE: TEXT or BINARY; else the frame's */
	struct slice payload;  /* MESSAGE/PING/PONG payload; CLOSE: reason text */
	uint16_t close_code;   /* CLOSE: code received (1005 when none); ERROR:
				* the code to close with: 1002 protocol error,
				* 1007 bad UTF-8, 1009 too big, 1011 out of memory */
	const char *error;     /* ERROR: what was wrong, for the log */
};

struct ws_reader {
	size_t max_message;            /* largest message accepted, in bytes */
	struct mbuf message;           /* fragments of the message in progress */
	enum ws_opcode message_opcode; /* TEXT or BINARY, while in_message */
	bool in_message;               /* a first fragment came, the last not yet */
};

void ws_reader_init(struct ws_reader *r, size_t max_message);
void ws_reader_free(struct ws_reader *r);

/*
 * Decode at most one frame from buf[0..len), bytes received from a client.
 * Unmasks the payload in place. Returns 0, or -1 when ev->type is
 * WS_EVENT_ERROR (then *used is 0 and the connection must be closed).
 *
 * *used is the bytes consumed. ev->type NONE with *used 0: the frame is not
 * complete, wait for more bytes. NONE with *used > 0: a fragment was stored
 * in r->message, call again with the rest. Callers loop while *used > 0.
 *
 * Rules (RFC 6455 5): client frames are masked; RSV bits are 0 (no
 * extensions are negotiated); control frames have FIN and at most 125 bytes
 * and may come between fragments; a continuation needs a started message and
 * a new data frame must not interrupt one; reserved opcodes are refused (all
 * 1002). A message, or a frame header that declares one, larger than
 * max_message is refused with 1009 as soon as the header is complete, before
 * its payload is buffered. TEXT messages must be valid UTF-8 once complete
 * (1007). A close payload is empty or a valid code (1000-1003, 1007-1014,
 * 3000-4999) followed by UTF-8 reason text.
 *
 * Slices in ev point into buf or r->message and stay valid until the next
 * call or ws_reader_free().
 */
int ws_reader_next(struct ws_reader *r, char *buf, size_t len, size_t *used, struct ws_event *ev);

/* Append a server frame (FIN set, unmasked, the shortest length encoding).
 * Control frames (PING, PONG, CLOSE) must carry at most 125 bytes. */
void ws_frame_print(struct mbuf *out, enum ws_opcode opcode, struct slice payload);

/* Append a CLOSE frame with code and reason (NULL for none; cut at a UTF-8
 * character boundary to fit 125 bytes). Codes that must not be sent (0,
 * 1005, 1006, 1015) give an empty close frame, so a received close_code
 * can be echoed as it is. */
void ws_close_frame_print(struct mbuf *out, uint16_t code, const char *reason);

/* Is s valid UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF)? */
bool ws_utf8_valid(struct slice s);

#endif
