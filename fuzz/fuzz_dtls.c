/*
 * fuzz_dtls.c - libFuzzer target for a DTLS-SRTP connection and the record
 * parser the demultiplexer uses.
 *
 * Input: one flags byte, then datagrams, each a 2-byte big-endian length
 * and that many bytes (a length past the end takes the rest; handshake
 * datagrams are up to DTLS_MTU long, so one byte would not do).
 *   flags bit 0: the connection is a client (started first), else a server
 *   flags bit 1: call the timer functions after each datagram
 * The certificate is made once. Checks, beyond not crashing or leaking:
 *   - the record parser stays inside the datagram, its records tile it,
 *     and dtls_datagram_valid() agrees with walking them;
 *   - receive refuses exactly the datagrams that are not whole records;
 *   - every datagram the connection sends is whole records within DTLS_MTU;
 *   - keys exist exactly when connected; a failure has a reason.
 * Seeds (fuzz/corpus/dtls): real ClientHellos for each profile offer, a
 * server's first flight for the client side, alerts, and broken records.
 */
#include "dtls/dtls.h"

#include "core/mem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* some fingerprint: no fuzzed handshake will match it, and need not */
#define PEER_FINGERPRINT                                                                   \
	"sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3C:1A:2C:4B:"  \
	"2E:4A:A6:4B:E9:AD:6A:5E"

static struct dtls_cert *cert;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (dtls_cert_alloc(&cert))
		abort();
	return 0;
}

static void check_records(const uint8_t *p, size_t len)
{
	struct dtls_record rec;
	size_t pos = 0, n;
	bool tiled = len > 0;

	while (pos < len) {
		n = dtls_record_parse(p + pos, len - pos, &rec);
		if (!n) {
			tiled = false;
			break;
		}
		if (n > len - pos || n != 13 + rec.length || rec.fragment != p + pos + 13 ||
		    rec.content_type < 20 || rec.content_type > 23 ||
		    (rec.version != 0xfeff && rec.version != 0xfefd) || rec.sequence >> 48)
			abort();
		pos += n;
	}
	if (tiled != dtls_datagram_valid(p, len))
		abort();
}

static void drain(struct dtls_conn *c, struct mbuf *out)
{
	int err;
	while ((err = dtls_conn_take_output(c, out)) == 0)
		if (!out->len || out->len > DTLS_MTU ||
		    !dtls_datagram_valid((const uint8_t *)out->data, out->len))
			abort();
	if (err != ENODATA)
		abort();
}

static void check_state(struct dtls_conn *c)
{
	struct srtp_keys keys;
	enum dtls_state state = dtls_conn_state(c);
	int err = dtls_conn_keys(c, &keys);
	if ((state == DTLS_STATE_CONNECTED) != (err == 0))
		abort();
	if ((state == DTLS_STATE_FAILED) != (dtls_conn_error(c)[0] != '\0'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtls_conn *c = NULL;
	struct mbuf out;

	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	enum dtls_role role = flags & 1 ? DTLS_ROLE_CLIENT : DTLS_ROLE_SERVER;
	data++;
	size--;

	check_records(data, size);
	mbuf_init(&out);
	if (dtls_conn_alloc(&c, cert, role, SLICE_LIT(PEER_FINGERPRINT)))
		abort();
	dtls_conn_set_timeout(c, 1);
	if (dtls_conn_start(c))
		abort();
	drain(c, &out);

	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		check_records(data, len);
		int err = dtls_conn_receive(c, data, len);
		if (err != (dtls_datagram_valid(data, len) ? 0 : EBADMSG))
			abort();
		drain(c, &out);
		if (flags & 2) {
			long ms = dtls_conn_timeout_ms(c);
			if (ms < -1)
				abort();
			dtls_conn_handle_timeout(c);
			drain(c, &out);
		}
		check_state(c);
		data += len;
		size -= len;
	}
	dtls_conn_close(c);
	drain(c, &out);
	mem_deref(c);
	mbuf_free(&out);
	return 0;
}
