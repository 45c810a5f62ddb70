/*
 * fuzz_ws.c - libFuzzer target for the WebSocket frame reader.
 *
 * The first input byte chooses the largest message (so "too big" is
 * reached) and a chunk size; the rest is what a client sends after the
 * handshake. It is read twice: all at once, and arriving in chunks into a
 * buffer from which consumed bytes are dropped, the way the connection code
 * will use the reader. Both must see the same events, in order, with the
 * same payloads, and every payload must lie inside the received bytes or the
 * reader's reassembly buffer. Events are answered as the server would, to
 * run the frame writers too.
 */
#include "http/ws.h"
#include "fuzz_slices.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct trace {
	uint64_t hash; /* FNV-1a over the events */
	size_t events;
	bool error;
};

static void mix(struct trace *t, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		t->hash ^= p[i];
		t->hash *= 1099511628211u;
	}
}

static void check_inside(struct slice s, const char *buf, size_t len, const struct ws_reader *r)
{
	bool in_message = r->message.data && fuzz_slice_inside(s, r->message.data, r->message.len);
	if (!fuzz_slice_inside(s, buf, len) && !in_message)
		abort();
}

static void answer(struct mbuf *out, const struct ws_event *ev)
{
	mbuf_reset(out);
	if (ev->type == WS_EVENT_PING)
		ws_frame_print(out, WS_OP_PONG, ev->payload);
	else if (ev->type == WS_EVENT_MESSAGE)
		ws_frame_print(out, ev->opcode, ev->payload);
	else if (ev->type == WS_EVENT_CLOSE || ev->type == WS_EVENT_ERROR)
		ws_close_frame_print(out, ev->close_code, ev->error);
	if (mbuf_failed(out))
		abort();
}

/* One call; false when the caller should stop (nothing consumed, or error). */
static bool step(struct ws_reader *r, char *buf, size_t len, size_t *used, struct trace *t,
		 struct mbuf *out)
{
	struct ws_event ev;
	int rc = ws_reader_next(r, buf, len, used, &ev);
	if (*used > len || (rc != 0 && rc != -1) || (rc == -1) != (ev.type == WS_EVENT_ERROR))
		abort();
	if (rc == -1) {
		if (*used != 0 || !ev.error ||
		    (ev.close_code != 1002 && ev.close_code != 1007 && ev.close_code != 1009 &&
		     ev.close_code != 1011))
			abort();
		t->error = true;
		mix(t, &ev.close_code, sizeof(ev.close_code));
		answer(out, &ev);
		return false;
	}
	if (*used == 0) {
		if (ev.type != WS_EVENT_NONE)
			abort();
		return false;
	}
	check_inside(ev.payload, buf, len, r);
	if (ev.type == WS_EVENT_MESSAGE &&
	    (ev.payload.len > r->max_message ||
	     (ev.opcode == WS_OP_TEXT && !ws_utf8_valid(ev.payload))))
		abort();
	if ((ev.type == WS_EVENT_PING || ev.type == WS_EVENT_PONG) && ev.payload.len > 125)
		abort();
	t->events++;
	unsigned char kind[2] = { (unsigned char)ev.type, (unsigned char)ev.opcode };
	mix(t, kind, sizeof(kind));
	mix(t, &ev.payload.len, sizeof(ev.payload.len));
	mix(t, ev.payload.p, ev.payload.len);
	if (ev.type == WS_EVENT_CLOSE)
		mix(t, &ev.close_code, sizeof(ev.close_code));
	answer(out, &ev);
	return true;
}

static void read_whole(const uint8_t *data, size_t size, size_t max_message, struct trace *t,
		       struct mbuf *out)
{
	struct ws_reader r;
	char *buf = malloc(size ? size : 1);
	size_t pos = 0, used;
	if (!buf)
		abort();
	memcpy(buf, data, size);
	ws_reader_init(&r, max_message);
	while (step(&r, buf + pos, size - pos, &used, t, out))
		pos += used;
	ws_reader_free(&r);
	free(buf);
}

static void read_chunks(const uint8_t *data, size_t size, size_t max_message, size_t chunk,
			struct trace *t, struct mbuf *out)
{
	struct ws_reader r;
	char *buf = malloc(size ? size : 1);
	size_t have = 0, fed = 0, used;
	if (!buf)
		abort();
	ws_reader_init(&r, max_message);
	while (fed < size && !t->error) {
		size_t n = size - fed < chunk ? size - fed : chunk;
		memcpy(buf + have, data + fed, n);
		have += n;
		fed += n;
		while (step(&r, buf, have, &used, t, out)) {
			memmove(buf, buf + used, have - used);
			have -= used;
		}
	}
	ws_reader_free(&r);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t max_message = 1 + (size_t)(data[0] & 7) * 1000;
	size_t chunk = 1 + (size_t)(data[0] >> 3);
	struct trace whole = { 14695981039346656037u, 0, false };
	struct trace chunked = whole;
	struct mbuf out;
	mbuf_init(&out);
	read_whole(data + 1, size - 1, max_message, &whole, &out);
	read_chunks(data + 1, size - 1, max_message, chunk, &chunked, &out);
	mbuf_free(&out);
	if (whole.hash != chunked.hash || whole.events != chunked.events ||
	    whole.error != chunked.error)
		abort();
	return 0;
}
