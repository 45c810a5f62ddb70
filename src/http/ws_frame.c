/*
 * ws_frame.c - WebSocket frames (RFC 6455 5): reading client frames, writing
 * server frames.
 *
 * The frame layout:
 *
 *   byte 0   FIN(1) RSV1-3(3) opcode(4)
 *   byte 1   MASK(1) length(7): 0-125, 126 = 16-bit length follows,
 *            127 = 64-bit length follows (network byte order)
 *   then     4-byte masking key (client frames always, server never)
 *   then     payload, XORed with the key byte i % 4
 *
 * The reader is stateless per frame: it looks at the buffer it is given and
 * either consumes one whole frame or nothing, so the caller keeps unconsumed
 * bytes and calls again when more arrive. Everything that can be judged
 * from the first bytes (opcode, RSV bits, mask, declared length) is judged
 * before waiting for the payload, so a peer cannot make us hold a frame we
 * are going to refuse. Only fragmented messages are copied (into
 * r->message); a message in one frame is handed back in place.
 */
#include "http/ws.h"

#include <string.h>

#define WS_CONTROL_MAX 125

void ws_reader_init(struct ws_reader *r, size_t max_message)
{
	r->max_message = max_message;
	mbuf_init(&r->message);
	r->message_opcode = WS_OP_TEXT;
	r->in_message = false;
}

void ws_reader_free(struct ws_reader *r)
{
	mbuf_free(&r->message);
	r->in_message = false;
}

static int fail(struct ws_event *ev, uint16_t code, const char *error)
{
	ev->type = WS_EVENT_ERROR;
	ev->close_code = code;
	ev->error = error;
	ev->payload = SLICE_NULL;
	return -1;
}

static bool opcode_known(unsigned opcode)
{
	return opcode <= WS_OP_BINARY || (opcode >= WS_OP_CLOSE && opcode <= WS_OP_PONG);
}

/* Codes a peer may send (RFC 6455 7.4, and the IANA registry's 1012-1014). */
static bool close_code_valid(unsigned code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static int read_close(struct slice payload, struct ws_event *ev)
{
	ev->type = WS_EVENT_CLOSE;
	if (payload.len == 0) {
		ev->close_code = 1005; /* no status code present */
		ev->payload = payload;
		return 0;
	}
	if (payload.len == 1)
		return fail(ev, 1002, "close frame with a 1-byte payload");
	unsigned code = (unsigned)(unsigned char)payload.p[0] << 8 | (unsigned char)payload.p[1];
	if (!close_code_valid(code))
		return fail(ev, 1002, "invalid close code");
	struct slice reason = slice_make(payload.p + 2, payload.len - 2);
	if (!ws_utf8_valid(reason))
		return fail(ev, 1007, "close reason is not valid UTF-8");
	ev->close_code = (uint16_t)code;
	ev->payload = reason;
	return 0;
}

static int deliver_message(enum ws_opcode opcode, struct slice payload, struct ws_event *ev)
{
	if (opcode == WS_OP_TEXT && !ws_utf8_valid(payload))
		return fail(ev, 1007, "text message is not valid UTF-8");
	ev->type = WS_EVENT_MESSAGE;
	ev->opcode = opcode;
	ev->payload = payload;
	return 0;
}

/* A data frame: a whole message, or one fragment of one. */
static int read_data(struct ws_reader *r, bool fin, enum ws_opcode opcode, struct slice payload,
		     struct ws_event *ev)
{
	if (!r->in_message && fin)
		return deliver_message(opcode, payload, ev);
	if (!r->in_message) {
		mbuf_reset(&r->message);
		r->message_opcode = opcode;
		r->in_message = true;
	}
	mbuf_append_slice(&r->message, payload);
	if (mbuf_failed(&r->message))
		return fail(ev, 1011, "out of memory reassembling a message");
	if (!fin)
		return 0;
	r->in_message = false;
	struct slice whole = r->message.len ? mbuf_slice(&r->message) : payload;
	return deliver_message(r->message_opcode, whole, ev);
}

int ws_reader_next(struct ws_reader *r, char *buf, size_t len, size_t *used, struct ws_event *ev)
{
	*used = 0;
	*ev = (struct ws_event){ .type = WS_EVENT_NONE };
	if (len < 2)
		return 0;
	const unsigned char *head = (const unsigned char *)buf;
	bool fin = head[0] & 0x80;
	unsigned opcode = head[0] & 0x0f;
	bool control = opcode & 0x08;
	ev->opcode = (enum ws_opcode)opcode;

	if (head[0] & 0x70)
		return fail(ev, 1002, "RSV bit set without a negotiated extension");
	if (!opcode_known(opcode))
		return fail(ev, 1002, "reserved opcode");
	if (!(head[1] & 0x80))
		return fail(ev, 1002, "unmasked frame from the client");
	if (control && !fin)
		return fail(ev, 1002, "fragmented control frame");
	if (control && (head[1] & 0x7f) > WS_CONTROL_MAX)
		return fail(ev, 1002, "control frame longer than 125 bytes");
	if (opcode == WS_OP_CONTINUATION && !r->in_message)
		return fail(ev, 1002, "continuation frame without a message");
	if (!control && opcode != WS_OP_CONTINUATION && r->in_message)
		return fail(ev, 1002, "new message inside a fragmented one");

	uint64_t payload_len = head[1] & 0x7f;
	size_t header_len = 2;
	if (payload_len == 126) {
		if (len < 4)
			return 0;
		payload_len = (uint64_t)head[2] << 8 | head[3];
		header_len = 4;
	} else if (payload_len == 127) {
		if (len < 10)
			return 0;
		payload_len = 0;
		for (int i = 2; i < 10; i++)
			payload_len = payload_len << 8 | head[i];
		if (payload_len >> 63)
			return fail(ev, 1002, "frame length with the top bit set");
		header_len = 10;
	}
	size_t buffered = r->in_message ? r->message.len : 0;
	if (!control && payload_len > r->max_message - buffered)
		return fail(ev, 1009, "message too big");

	const unsigned char *mask = head + header_len;
	header_len += 4;
	if (len < header_len || len - header_len < payload_len)
		return 0;
	char *payload = buf + header_len;
	for (size_t i = 0; i < payload_len; i++)
		payload[i] ^= (char)mask[i % 4];

	struct slice p = slice_make(payload, (size_t)payload_len);
	int rc;
	switch (opcode) {
	case WS_OP_PING:
		ev->type = WS_EVENT_PING;
		ev->payload = p;
		rc = 0;
		break;
	case WS_OP_PONG:
		ev->type = WS_EVENT_PONG;
		ev->payload = p;
		rc = 0;
		break;
	case WS_OP_CLOSE:
		rc = read_close(p, ev);
		break;
	default:
		rc = read_data(r, fin, (enum ws_opcode)opcode, p, ev);
		break;
	}
	if (rc == 0)
		*used = header_len + (size_t)payload_len;
	return rc;
}

/* ------------------------------------------------------------ writing */

void ws_frame_print(struct mbuf *out, enum ws_opcode opcode, struct slice payload)
{
	unsigned char head[10];
	size_t n;
	head[0] = 0x80 | (unsigned char)opcode;
	if (payload.len <= 125) {
		head[1] = (unsigned char)payload.len;
		n = 2;
	} else if (payload.len <= 0xffff) {
		head[1] = 126;
		head[2] = (unsigned char)(payload.len >> 8);
		head[3] = (unsigned char)payload.len;
		n = 4;
	} else {
		head[1] = 127;
		for (int i = 0; i < 8; i++)
			head[2 + i] = (unsigned char)((uint64_t)payload.len >> (56 - 8 * i));
		n = 10;
	}
	mbuf_append(out, head, n);
	mbuf_append_slice(out, payload);
}

void ws_close_frame_print(struct mbuf *out, uint16_t code, const char *reason)
{
	char payload[WS_CONTROL_MAX];
	if (code == 0 || code == 1005 || code == 1006 || code == 1015) {
		ws_frame_print(out, WS_OP_CLOSE, slice_make(payload, 0));
		return;
	}
	size_t reason_len = reason ? strlen(reason) : 0;
	if (reason_len > WS_CONTROL_MAX - 2) {
		reason_len = WS_CONTROL_MAX - 2;
		while (reason_len && ((unsigned char)reason[reason_len] & 0xc0) == 0x80)
			reason_len--; /* do not split a UTF-8 sequence */
	}
	payload[0] = (char)(code >> 8);
	payload[1] = (char)code;
	if (reason_len)
		memcpy(payload + 2, reason, reason_len);
	ws_frame_print(out, WS_OP_CLOSE, slice_make(payload, 2 + reason_len));
}
