/*
 * test_dtls.c - DTLS-SRTP between two connections in memory: the
 * certificate's fingerprint, handshakes ferried datagram by datagram (each
 * within DTLS_MTU and made of whole records), lost flights recovered by the
 * retransmission timer, every profile, no profile in common, wrong
 * fingerprints on either side, other hash names, close_notify, misuse, the
 * exported keys driving SRTP both ways, and the record parser.
 *
 * The two certificates are made once in main; every test checks that it
 * gave back all the memory it took.
 */
#include "dtls/dtls.h"
#include "core/mem.h"
#include "leakcheck.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* short first retransmission timeout, so lost flights cost milliseconds */
#define TEST_TIMEOUT_MS 20

static struct dtls_cert *client_cert, *server_cert;

/* ------------------------------------------------------------- fixture */

struct env {
	struct dtls_conn *client, *server;
	struct mbuf buf;
};

static int env_init(void *state)
{
	struct env *e = state;
	mbuf_init(&e->buf);
	return 0;
}

static void pair_free(struct env *e)
{
	e->client = mem_deref(e->client);
	e->server = mem_deref(e->server);
}

static void env_fini(void *state)
{
	struct env *e = state;
	pair_free(e);
	mbuf_free(&e->buf);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

/* Each side expects the other's real fingerprint unless told otherwise. */
static void pair_make(struct env *e, const char *client_expects, const char *server_expects)
{
	if (!client_expects)
		client_expects = dtls_cert_fingerprint(server_cert);
	if (!server_expects)
		server_expects = dtls_cert_fingerprint(client_cert);
	assert_int_equal(dtls_conn_alloc(&e->client, client_cert, DTLS_ROLE_CLIENT,
					 slice_from_cstr(client_expects)),
			 0);
	assert_int_equal(dtls_conn_alloc(&e->server, server_cert, DTLS_ROLE_SERVER,
					 slice_from_cstr(server_expects)),
			 0);
	dtls_conn_set_timeout(e->client, TEST_TIMEOUT_MS);
	dtls_conn_set_timeout(e->server, TEST_TIMEOUT_MS);
}

/* Moves (or, with drop, discards) everything from has queued; returns how
 * many datagrams there were. */
static size_t ferry(struct env *e, struct dtls_conn *from, struct dtls_conn *to, bool drop)
{
	size_t n = 0;
	while (dtls_conn_take_output(from, &e->buf) == 0) {
		const uint8_t *datagram = (const uint8_t *)e->buf.data;
		assert_true(e->buf.len > 0 && e->buf.len <= DTLS_MTU);
		assert_true(dtls_datagram_valid(datagram, e->buf.len));
		if (!drop)
			assert_int_equal(dtls_conn_receive(to, datagram, e->buf.len), 0);
		n++;
	}
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Ferries until neither side has anything to say, running the timers when
 * only they can make progress; stops when both have left handshaking. */
static void run(struct env *e)
{
	for (int round = 0; round < 60; round++) {
		size_t moved = ferry(e, e->client, e->server, false);
		moved += ferry(e, e->server, e->client, false);
		bool settled = dtls_conn_state(e->client) != DTLS_STATE_HANDSHAKING &&
			       dtls_conn_state(e->server) != DTLS_STATE_HANDSHAKING;
		if (moved)
			continue;
		if (settled)
			return;
		long a = dtls_conn_timeout_ms(e->client), b = dtls_conn_timeout_ms(e->server);
		long wait = a < 0 ? b : b < 0 ? a : a < b ? a : b;
		if (wait < 0)
			fail_msg("stuck: no output and no timer");
		sleep_ms(wait + 1);
		dtls_conn_handle_timeout(e->client);
		dtls_conn_handle_timeout(e->server);
	}
	fail_msg("handshake did not settle");
}

static void assert_connected(struct env *e, enum srtp_profile profile)
{
	struct srtp_keys c, s;
	assert_int_equal(dtls_conn_state(e->client), DTLS_STATE_CONNECTED);
	assert_int_equal(dtls_conn_state(e->server), DTLS_STATE_CONNECTED);
	assert_string_equal(dtls_conn_error(e->client), "");
	assert_int_equal(dtls_conn_keys(e->client, &c), 0);
	assert_int_equal(dtls_conn_keys(e->server, &s), 0);
	assert_int_equal(c.profile, profile);
	assert_int_equal(s.profile, profile);
	size_t salt = srtp_profile_salt_len(profile);
	assert_memory_equal(c.local.key, s.remote.key, SRTP_MASTER_KEY_LEN);
	assert_memory_equal(c.local.salt, s.remote.salt, salt);
	assert_memory_equal(c.remote.key, s.local.key, SRTP_MASTER_KEY_LEN);
	assert_memory_equal(c.remote.salt, s.local.salt, salt);
	assert_memory_not_equal(c.local.key, c.remote.key, SRTP_MASTER_KEY_LEN);
}

/* The fingerprint of cert with another hash, as a peer might write it. */
static void fingerprint_with(const struct dtls_cert *cert, const EVP_MD *md, const char *name,
			     bool lower, char *out, size_t size)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	X509 *x509 = SSL_CTX_get0_certificate(dtls_cert_ssl_ctx(cert));
	assert_true(X509_digest(x509, md, digest, &len));
	size_t used = (size_t)snprintf(out, size, "%s ", name);
	for (unsigned int i = 0; i < len; i++)
		used += (size_t)snprintf(out + used, size - used, lower ? "%s%02x" : "%s%02X", i ? ":" : "",
					 digest[i]);
}

/* ------------------------------------------------------------- tests */

static void test_cert_fingerprint(void **state)
{
	(void)state;
	const char *fp = dtls_cert_fingerprint(client_cert);
	assert_int_equal(strlen(fp), strlen("sha-256 ") + 32 * 3 - 1);
	assert_int_equal(strncmp(fp, "sha-256 ", 8), 0);
	for (size_t i = 0; i < 32 * 3 - 1; i++) {
		char ch = fp[8 + i];
		if (i % 3 == 2)
			assert_int_equal(ch, ':');
		else
			assert_true((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F'));
	}
	assert_string_not_equal(fp, dtls_cert_fingerprint(server_cert));
	/* what the SSL_CTX presents is what the string says */
	char again[128];
	fingerprint_with(client_cert, EVP_sha256(), "sha-256", false, again, sizeof(again));
	assert_string_equal(fp, again);
}

static void test_handshake(void **state)
{
	struct env *e = *state;
	pair_make(e, NULL, NULL);
	assert_int_equal(dtls_conn_state(e->client), DTLS_STATE_HANDSHAKING);
	assert_int_equal(dtls_conn_timeout_ms(e->client), -1);
	assert_int_equal(dtls_conn_start(e->client), 0);
	assert_true(dtls_conn_timeout_ms(e->client) >= 0);
	run(e);
	/* GCM: first in the server's list, and offered */
	assert_connected(e, SRTP_PROFILE_AEAD_AES_128_GCM);
}

/* The ClientHello is lost: the client's timer sends it again. */
static void test_lost_client_hello(void **state)
{
	struct env *e = *state;
	pair_make(e, NULL, NULL);
	assert_int_equal(dtls_conn_start(e->client), 0);
	assert_int_equal(ferry(e, e->client, e->server, true), 1);
	long wait = dtls_conn_timeout_ms(e->client);
	assert_true(wait >= 0 && wait <= TEST_TIMEOUT_MS);
	/* too early: nothing happens */
	dtls_conn_handle_timeout(e->client);
	if (wait > 2)
		assert_int_equal(ferry(e, e->client, e->server, true), 0);
	sleep_ms(wait + 1);
	assert_int_equal(dtls_conn_timeout_ms(e->client), 0);
	dtls_conn_handle_timeout(e->client);
	assert_int_equal(ferry(e, e->client, e->server, false), 1);
	run(e);
	assert_connected(e, SRTP_PROFILE_AEAD_AES_128_GCM);
}

/* The server's whole first flight is lost, then the client's second. */
static void test_lost_flights(void **state)
{
	struct env *e = *state;
	pair_make(e, NULL, NULL);
	assert_int_equal(dtls_conn_start(e->client), 0);
	assert_int_equal(ferry(e, e->client, e->server, false), 1);
	assert_true(ferry(e, e->server, e->client, true) >= 1);
	/* both retransmit: the client its ClientHello, the server its flight */
	sleep_ms(TEST_TIMEOUT_MS + 1);
	dtls_conn_handle_timeout(e->client);
	dtls_conn_handle_timeout(e->server);
	assert_true(ferry(e, e->server, e->client, false) >= 1);
	/* the ClientHello again, and the second flight: lost */
	assert_true(ferry(e, e->client, e->server, true) >= 2);
	run(e);
	assert_connected(e, SRTP_PROFILE_AEAD_AES_128_GCM);
}

static void test_each_profile(void **state)
{
	struct env *e = *state;
	static const enum srtp_profile profiles[] = { SRTP_PROFILE_AES128_CM_SHA1_80,
						      SRTP_PROFILE_AES128_CM_SHA1_32,
						      SRTP_PROFILE_AEAD_AES_128_GCM };
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		/* the client offers only this one */
		pair_make(e, NULL, NULL);
		assert_int_equal(dtls_conn_set_profiles(e->client, &profiles[i], 1), 0);
		assert_int_equal(dtls_conn_start(e->client), 0);
		run(e);
		assert_connected(e, profiles[i]);
		pair_free(e);

		/* the server accepts only this one, the client offers all */
		pair_make(e, NULL, NULL);
		assert_int_equal(dtls_conn_set_profiles(e->server, &profiles[i], 1), 0);
		assert_int_equal(dtls_conn_start(e->client), 0);
		run(e);
		assert_connected(e, profiles[i]);
		pair_free(e);
	}
	/* the server's order decides */
	static const enum srtp_profile server_order[] = { SRTP_PROFILE_AES128_CM_SHA1_32,
							  SRTP_PROFILE_AES128_CM_SHA1_80 };
	pair_make(e, NULL, NULL);
	assert_int_equal(dtls_conn_set_profiles(e->server, server_order, 2), 0);
	assert_int_equal(dtls_conn_start(e->client), 0);
	run(e);
	assert_connected(e, SRTP_PROFILE_AES128_CM_SHA1_32);
}

static void test_no_common_profile(void **state)
{
	struct env *e = *state;
	static const enum srtp_profile cm = SRTP_PROFILE_AES128_CM_SHA1_80;
	static const enum srtp_profile gcm = SRTP_PROFILE_AEAD_AES_128_GCM;
	struct srtp_keys keys;

	pair_make(e, NULL, NULL);
	assert_int_equal(dtls_conn_set_profiles(e->client, &cm, 1), 0);
	assert_int_equal(dtls_conn_set_profiles(e->server, &gcm, 1), 0);
	assert_int_equal(dtls_conn_start(e->client), 0);
	run(e);
	assert_int_equal(dtls_conn_state(e->client), DTLS_STATE_FAILED);
	assert_int_equal(dtls_conn_state(e->server), DTLS_STATE_FAILED);
	assert_string_equal(dtls_conn_error(e->client), "no SRTP profile in common");
	assert_string_equal(dtls_conn_error(e->server), "no SRTP profile in common");
	assert_int_equal(dtls_conn_keys(e->client, &keys), EAGAIN);
}

static void assert_mismatch(struct env *e, struct dtls_conn *checker, struct dtls_conn *other)
{
	struct srtp_keys keys;
	assert_int_equal(dtls_conn_start(e->client), 0);
	run(e);
	assert_int_equal(dtls_conn_state(checker), DTLS_STATE_FAILED);
	assert_string_equal(dtls_conn_error(checker), "fingerprint mismatch");
	/* the other side hears the alert */
	assert_int_equal(dtls_conn_state(other), DTLS_STATE_FAILED);
	assert_non_null(strstr(dtls_conn_error(other), "alert"));
	assert_int_equal(dtls_conn_keys(checker, &keys), EAGAIN);
	assert_int_equal(dtls_conn_keys(other, &keys), EAGAIN);
	assert_int_equal(dtls_conn_timeout_ms(checker), -1);
}

static void test_wrong_fingerprint_client_checks(void **state)
{
	struct env *e = *state;
	/* the server presents server_cert; the client expects client_cert's */
	pair_make(e, dtls_cert_fingerprint(client_cert), NULL);
	assert_mismatch(e, e->client, e->server);
}

static void test_wrong_fingerprint_server_checks(void **state)
{
	struct env *e = *state;
	pair_make(e, NULL, dtls_cert_fingerprint(server_cert));
	assert_mismatch(e, e->server, e->client);
}

/* sha-1 and sha-512 fingerprints, lower-case hex, upper-case hash name */
static void test_other_hashes(void **state)
{
	struct env *e = *state;
	char client_fp[256], server_fp[256];
	fingerprint_with(server_cert, EVP_sha1(), "SHA-1", true, server_fp, sizeof(server_fp));
	fingerprint_with(client_cert, EVP_sha512(), "sha-512", false, client_fp, sizeof(client_fp));
	pair_make(e, server_fp, client_fp);
	assert_int_equal(dtls_conn_start(e->client), 0);
	run(e);
	assert_connected(e, SRTP_PROFILE_AEAD_AES_128_GCM);
}

static void test_bad_fingerprint_text(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"sha-256",
		"sha-256 ",
		"md5 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF",
		"sha-256 AB:CD",
		"sha-1 01-23-45-67-89-AB-CD-EF-01-23-45-67-89-AB-CD-EF-01-23-45-67",
		"sha-1 0G:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67",
		"sha-1 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:",
		"sha-1 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45",
	};
	struct dtls_conn *c = NULL;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dtls_conn_alloc(&c, client_cert, DTLS_ROLE_CLIENT, slice_from_cstr(bad[i])) != EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_null(c);
	}
	/* blanks around, mixed case */
	struct slice good = SLICE_LIT("  sha-1 01:23:45:67:89:AB:CD:EF:01:23:"
				      "45:67:89:ab:cd:ef:01:23:45:67\r\n");
	assert_int_equal(dtls_conn_alloc(&c, client_cert, DTLS_ROLE_CLIENT, good), 0);
	c = mem_deref(c);
	assert_int_equal(dtls_conn_alloc(&c, NULL, DTLS_ROLE_CLIENT, good), EINVAL);
	assert_int_equal(dtls_conn_alloc(&c, client_cert, (enum dtls_role)2, good), EINVAL);
}

static void test_close_notify(void **state)
{
	struct env *e = *state;
	pair_make(e, NULL, NULL);
	assert_int_equal(dtls_conn_start(e->client), 0);
	run(e);
	assert_connected(e, SRTP_PROFILE_AEAD_AES_128_GCM);
	dtls_conn_close(e->client);
	assert_int_equal(ferry(e, e->client, e->server, false), 1);
	assert_int_equal(dtls_conn_state(e->server), DTLS_STATE_CLOSED);
	assert_string_equal(dtls_conn_error(e->server), "");
	assert_int_equal(dtls_conn_timeout_ms(e->server), -1);
	/* closed is final: nothing more is read, nothing more is said */
	dtls_conn_close(e->server);
	assert_int_equal(ferry(e, e->server, e->client, false), 0);
	assert_int_equal(dtls_conn_state(e->client), DTLS_STATE_CONNECTED);
}

static void test_misuse(void **state)
{
	struct env *e = *state;
	static const enum srtp_profile unknown = (enum srtp_profile)5, cm = SRTP_PROFILE_AES128_CM_SHA1_80;
	static const uint8_t not_dtls[] = { 0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t empty_record[] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct srtp_keys keys;

	pair_make(e, NULL, NULL);
	assert_int_equal(dtls_conn_set_profiles(e->client, &unknown, 1), EINVAL);
	assert_int_equal(dtls_conn_set_profiles(e->client, &cm, 0), EINVAL);
	assert_int_equal(dtls_conn_receive(e->client, not_dtls, sizeof(not_dtls)), EBADMSG);
	/* the server sends nothing first; a client that has not started ignores */
	assert_int_equal(dtls_conn_start(e->server), 0);
	assert_int_equal(ferry(e, e->server, e->client, false), 0);
	assert_int_equal(dtls_conn_receive(e->client, empty_record, sizeof(empty_record)), 0);
	assert_int_equal(ferry(e, e->client, e->server, false), 0);
	assert_int_equal(dtls_conn_state(e->client), DTLS_STATE_HANDSHAKING);
	assert_int_equal(dtls_conn_keys(e->client, &keys), EAGAIN);
	assert_string_equal(dtls_conn_error(e->client), "");
	assert_int_equal(dtls_conn_start(e->client), 0);
	assert_int_equal(dtls_conn_set_profiles(e->client, &cm, 1), EBUSY);
	assert_int_equal(dtls_conn_start(e->client), 0); /* again: nothing more */
	assert_int_equal(ferry(e, e->client, e->server, false), 1);
	assert_int_equal(dtls_conn_set_profiles(e->server, &cm, 1), EBUSY);
	assert_int_equal(dtls_conn_receive(e->server, not_dtls, sizeof(not_dtls)), EBADMSG);
	run(e);
	assert_connected(e, SRTP_PROFILE_AEAD_AES_128_GCM);
	assert_int_equal(dtls_conn_take_output(e->client, &e->buf), ENODATA);
}

/* The exported keys protect media both ways. */
static void media_both_ways(struct env *e)
{
	static const uint8_t rtp[20] = { 0x80, 0x6f, 0x00, 0x01, 0,   0,   0,   160, 1,   2,
					 3,    4,    'h',  'e',  'l', 'l', 'o', '!', '!', '!' };
	struct srtp_keys client_keys, server_keys;
	struct srtp_session *client_srtp = NULL, *server_srtp = NULL;
	uint8_t buf[256];
	size_t len;

	assert_int_equal(dtls_conn_keys(e->client, &client_keys), 0);
	assert_int_equal(dtls_conn_keys(e->server, &server_keys), 0);
	assert_int_equal(srtp_session_alloc(&client_srtp, &client_keys), 0);
	assert_int_equal(srtp_session_alloc(&server_srtp, &server_keys), 0);
	memcpy(buf, rtp, len = sizeof(rtp));
	assert_int_equal(srtp_session_protect_rtp(client_srtp, buf, &len, sizeof(buf)), 0);
	assert_int_equal(srtp_session_unprotect_rtp(server_srtp, buf, &len), 0);
	assert_memory_equal(buf, rtp, sizeof(rtp));
	memcpy(buf, rtp, len = sizeof(rtp));
	assert_int_equal(srtp_session_protect_rtp(server_srtp, buf, &len, sizeof(buf)), 0);
	assert_int_equal(srtp_session_unprotect_rtp(client_srtp, buf, &len), 0);
	assert_memory_equal(buf, rtp, sizeof(rtp));
	mem_deref(client_srtp);
	mem_deref(server_srtp);
}

static void test_keys_drive_srtp(void **state)
{
	struct env *e = *state;
	pair_make(e, NULL, NULL);
	assert_int_equal(dtls_conn_start(e->client), 0);
	run(e);
	media_both_ways(e);
}

static void test_records(void **state)
{
	(void)state;
	struct dtls_record rec;
	/* handshake, DTLS 1.2, epoch 1, sequence 0x010203040506, 2 bytes */
	uint8_t two[] = { 22,   0xfe, 0xfd, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05,
			  0x06, 0x00, 0x02, 0xaa, 0xbb,
			  /* an empty alert record, DTLS 1.0 version */
			  21, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00 };

	assert_int_equal(dtls_record_parse(two, sizeof(two), &rec), 15);
	assert_int_equal(rec.content_type, 22);
	assert_int_equal(rec.version, 0xfefd);
	assert_int_equal(rec.epoch, 1);
	assert_true(rec.sequence == 0x010203040506ull);
	assert_int_equal(rec.length, 2);
	assert_ptr_equal(rec.fragment, two + 13);
	assert_int_equal(dtls_record_parse(two + 15, sizeof(two) - 15, &rec), 13);
	assert_int_equal(rec.content_type, 21);
	assert_true(dtls_datagram_valid(two, sizeof(two)));
	/* every truncation */
	for (size_t len = 0; len < sizeof(two); len++)
		assert_int_equal(dtls_datagram_valid(two, len), len == 15);
	for (size_t len = 0; len < 15; len++)
		assert_int_equal(dtls_record_parse(two, len, &rec), 0);
	assert_false(dtls_datagram_valid(NULL, 0));

	uint8_t bad[sizeof(two)];
	memcpy(bad, two, sizeof(two));
	bad[0] = 24; /* heartbeat: never ours */
	assert_false(dtls_datagram_valid(bad, sizeof(bad)));
	bad[0] = 19;
	assert_false(dtls_datagram_valid(bad, sizeof(bad)));
	memcpy(bad, two, sizeof(two));
	bad[1] = 0x03, bad[2] = 0x03; /* TLS 1.2 */
	assert_false(dtls_datagram_valid(bad, sizeof(bad)));
	memcpy(bad, two, sizeof(two));
	bad[12] = 0x03; /* length past the end */
	assert_false(dtls_datagram_valid(bad, sizeof(bad)));
	bad[12] = 0x01; /* one byte of record 1 left over, read as a header */
	assert_false(dtls_datagram_valid(bad, sizeof(bad)));

	/* the longest fragment allowed, and one more */
	size_t big_len = 13 + 16384 + 2048 + 1;
	uint8_t *big = calloc(1, big_len);
	assert_non_null(big);
	big[0] = 23, big[1] = 0xfe, big[2] = 0xfd;
	big[11] = (uint8_t)((16384 + 2048) >> 8), big[12] = (uint8_t)((16384 + 2048) & 0xff);
	assert_true(dtls_datagram_valid(big, big_len - 1));
	big[12]++;
	assert_false(dtls_datagram_valid(big, big_len));
	free(big);
}

/* A whole handshake and a refused one, before memory is counted: OpenSSL
 * sets up algorithms, error strings and per-thread state on first use. */
static void warm_up(void **state)
{
	struct env *e = *state;
	pair_make(e, NULL, NULL);
	dtls_conn_start(e->client);
	run(e);
	media_both_ways(e);
	pair_free(e);
	pair_make(e, dtls_cert_fingerprint(client_cert), NULL);
	dtls_conn_start(e->client);
	run(e);
	pair_free(e);
	pair_make(e, NULL, dtls_cert_fingerprint(server_cert));
	dtls_conn_start(e->client);
	run(e);
}

int main(void)
{
	if (dtls_cert_alloc(&client_cert) || dtls_cert_alloc(&server_cert) ||
	    leak_warm_up(&env_fixture, warm_up))
		return 1;

#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_cert_fingerprint),
		T(test_handshake),
		T(test_lost_client_hello),
		T(test_lost_flights),
		T(test_each_profile),
		T(test_no_common_profile),
		T(test_wrong_fingerprint_client_checks),
		T(test_wrong_fingerprint_server_checks),
		T(test_other_hashes),
		T(test_bad_fingerprint_text),
		T(test_close_notify),
		T(test_misuse),
		T(test_keys_drive_srtp),
		T(test_records),
	};
#undef T
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	mem_deref(client_cert);
	mem_deref(server_cert);
	return failed;
}
