/*
 * dtls.c - one DTLS-SRTP connection, driven by the engine's datagrams and
 * timers.
 *
 * OpenSSL reads and writes through a BIO of our own instead of a socket:
 *   - read hands over the one datagram dtls_conn_receive() was given, then
 *     says "retry", so OpenSSL sees datagram boundaries as on a UDP socket;
 *   - write queues what it is given as one datagram ([2-byte length]
 *     [bytes] entries in an mbuf), which dtls_conn_take_output() drains.
 *     During the handshake OpenSSL buffers a flight's records and writes
 *     them in as few datagrams as the MTU allows; a memory BIO would run
 *     those writes together and lose where each datagram ends.
 * The MTU is set, not queried (SSL_OP_NO_QUERY_MTU): OpenSSL fragments
 * and packs so that no write exceeds DTLS_MTU.
 *
 * Retransmission uses OpenSSL's own timer; the engine asks for the time
 * left and calls back. A timer callback sets the first timeout and caps the
 * doubling (RFC 6347 4.2.4.1 says up to 60 s; on a media path waiting that
 * long is waiting for nothing).
 *
 * The peer's certificate is checked in the verification callback, against
 * the fingerprint from its SDP, and nothing else: self-signed is the norm.
 * Checking there (not after the handshake) aborts with an alert before the
 * handshake can complete; the check is repeated at the end for handshakes
 * that carried no certificate at all.
 *
 * Keys: RFC 5764 4.2, exporter label "EXTRACTOR-dtls_srtp", no context,
 * 2 * (key + salt) bytes laid out client key | server key | client salt |
 * server salt. The client's key protects what the client sends.
 *
 * Application data (data channels) is not supported: it is read and
 * dropped so that alerts and retransmitted flights behind it are seen.
 */
#include "dtls/dtls.h"

#include "core/byteorder.h"
#include "core/mem.h"
#include "core/slice.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define DEFAULT_TIMEOUT_MS 1000u
#define MAX_TIMEOUT_MS 8000u
/* Output not drained beyond this is an engine bug; the handshake fails. */
#define OUTPUT_QUEUE_MAX 65536
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
#define RECORD_HEADER_LEN 13
/* RFC 6347 4.1: DTLSCiphertext fragment of up to 2^14 + 2048 bytes */
#define RECORD_FRAGMENT_MAX (16384 + 2048)

struct dtls_conn {
	struct dtls_cert *cert; /* a reference: its SSL_CTX outlives ours */
	SSL *ssl;
	enum dtls_role role;
	enum dtls_state state;
	bool started; /* the handshake has begun: profiles are fixed */
	unsigned initial_timeout_ms;

	/* the peer's certificate must hash to this (a=fingerprint) */
	const EVP_MD *peer_md;
	unsigned char peer_fingerprint[EVP_MAX_MD_SIZE];
	unsigned int peer_fingerprint_len;

	/* the datagram being received, for the BIO; NULL outside receive */
	const uint8_t *in;
	size_t in_len;
	struct mbuf out; /* datagrams to send */
	size_t out_read; /* bytes of out already taken */

	struct srtp_keys keys; /* when connected */
	char error[128];
};

static const struct {
	const char *name;
	const EVP_MD *(*md)(void);
} hashes[] = {
	{ "sha-1", EVP_sha1 },     { "sha-224", EVP_sha224 }, { "sha-256", EVP_sha256 },
	{ "sha-384", EVP_sha384 }, { "sha-512", EVP_sha512 },
};

static const char *profile_openssl_name(unsigned long profile)
{
	switch (profile) {
	case SRTP_PROFILE_AES128_CM_SHA1_80:
		return "SRTP_AES128_CM_SHA1_80";
	case SRTP_PROFILE_AES128_CM_SHA1_32:
		return "SRTP_AES128_CM_SHA1_32";
	case SRTP_PROFILE_AEAD_AES_128_GCM:
		return "SRTP_AEAD_AES_128_GCM";
	default:
		return NULL;
	}
}

/* ---------------------------------------------------------------------------
 * The BIO between OpenSSL and the engine
 */

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static int bio_write(BIO *bio, const char *data, int len)
{
	struct dtls_conn *c = BIO_get_data(bio);
	BIO_clear_retry_flags(bio);
	if (len <= 0 || len > 0xffff || c->out.len + 2 + (size_t)len > OUTPUT_QUEUE_MAX ||
	    !mbuf_reserve(&c->out, 2 + (size_t)len))
		return -1;
	const char prefix[2] = { (char)(len >> 8), (char)(len & 0xff) };
	mbuf_append(&c->out, prefix, 2);
	mbuf_append(&c->out, data, (size_t)len);
	return len;
}

static int bio_read(BIO *bio, char *buf, int size)
{
	struct dtls_conn *c = BIO_get_data(bio);
	BIO_clear_retry_flags(bio);
	if (!c->in_len || size <= 0) {
		BIO_set_retry_read(bio);
		return -1;
	}
	/* like recv() on a datagram socket: what does not fit is lost */
	size_t n = c->in_len < (size_t)size ? c->in_len : (size_t)size;
	memcpy(buf, c->in, n);
	c->in = NULL;
	c->in_len = 0;
	return (int)n;
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	(void)bio;
	(void)num;
	(void)ptr;
	/* flush: each write already is a datagram; every question about the
	 * socket (MTU, peer, timeouts) has no answer here */
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static void bio_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rtcbridge-dtls");
	if (m && BIO_meth_set_write(m, bio_write) && BIO_meth_set_read(m, bio_read) &&
	    BIO_meth_set_ctrl(m, bio_ctrl)) {
		bio_method = m;
		return;
	}
	BIO_meth_free(m);
}

/* ---------------------------------------------------------------------------
 * Fingerprints
 */

/* "<hash> AB:CD:..." into c->peer_md and c->peer_fingerprint. */
static int fingerprint_parse(struct dtls_conn *c, struct slice text)
{
	text = slice_trim(text);
	long space = slice_index(text, ' ');
	if (space <= 0)
		return EINVAL;
	struct slice name = slice_make(text.p, (size_t)space);
	struct slice hex = slice_trim(slice_make(text.p + space + 1, text.len - (size_t)space - 1));

	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (slice_eq_cstr_case(name, hashes[i].name))
			c->peer_md = hashes[i].md();
	if (!c->peer_md)
		return EINVAL;
	size_t size = (size_t)EVP_MD_get_size(c->peer_md);
	if (hex.len != size * 3 - 1)
		return EINVAL;
	for (size_t i = 0; i < size; i++) {
		int high = hex_digit_value(hex.p[3 * i]), low = hex_digit_value(hex.p[3 * i + 1]);
		if (high < 0 || low < 0 || (i + 1 < size && hex.p[3 * i + 2] != ':'))
			return EINVAL;
		c->peer_fingerprint[i] = (unsigned char)(high << 4 | low);
	}
	c->peer_fingerprint_len = (unsigned int)size;
	return 0;
}

static bool fingerprint_matches(const struct dtls_conn *c, const X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	return cert && X509_digest(cert, c->peer_md, md, &len) && len == c->peer_fingerprint_len &&
	       CRYPTO_memcmp(md, c->peer_fingerprint, len) == 0;
}

/* Called for each certificate of the peer's chain, with OpenSSL's verdict
 * (which for a self-signed certificate is "no"); only the leaf's hash
 * decides. */
static int verify_peer(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	if (!c)
		return 0;
	if (fingerprint_matches(c, X509_STORE_CTX_get0_cert(store)))
		return 1;
	snprintf(c->error, sizeof(c->error), "fingerprint mismatch");
	/* the alert the peer gets: bad_certificate */
	X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
	return 0;
}

/* ---------------------------------------------------------------------------
 * State
 */

static void conn_fail(struct dtls_conn *c, const char *reason)
{
	if (c->state == DTLS_STATE_FAILED)
		return;
	c->state = DTLS_STATE_FAILED;
	/* the verification callback may have said why already */
	if (!c->error[0]) {
		if (!reason)
			reason = ERR_reason_error_string(ERR_peek_last_error());
		snprintf(c->error, sizeof(c->error), "%s", reason ? reason : "handshake failed");
	}
	ERR_clear_error();
}

/* After an SSL call that returned r <= 0. */
static void conn_check(struct dtls_conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		break;
	case SSL_ERROR_ZERO_RETURN:
		c->state = DTLS_STATE_CLOSED;
		break;
	default:
		conn_fail(c, NULL);
		break;
	}
}

static int keys_export(struct dtls_conn *c, enum srtp_profile profile)
{
	unsigned char material[2 * (SRTP_MASTER_KEY_LEN + SRTP_MASTER_SALT_MAX)];
	size_t key_len = SRTP_MASTER_KEY_LEN, salt_len = srtp_profile_salt_len(profile);
	struct srtp_master client, server;

	if (SSL_export_keying_material(c->ssl, material, 2 * (key_len + salt_len), EXPORTER_LABEL,
				       strlen(EXPORTER_LABEL), NULL, 0, 0) != 1)
		return EIO;
	memcpy(client.key, material, key_len);
	memcpy(server.key, material + key_len, key_len);
	memcpy(client.salt, material + 2 * key_len, salt_len);
	memcpy(server.salt, material + 2 * key_len + salt_len, salt_len);
	c->keys.profile = profile;
	c->keys.local = c->role == DTLS_ROLE_CLIENT ? client : server;
	c->keys.remote = c->role == DTLS_ROLE_CLIENT ? server : client;
	OPENSSL_cleanse(material, sizeof(material));
	OPENSSL_cleanse(&client, sizeof(client));
	OPENSSL_cleanse(&server, sizeof(server));
	return 0;
}

/* The handshake says it is done: is it the one we wanted? A refusal here
 * comes after the peer finished too, so it gets a close_notify. */
static void handshake_done(struct dtls_conn *c)
{
	const SRTP_PROTECTION_PROFILE *profile = SSL_get_selected_srtp_profile(c->ssl);
	const char *why = NULL;

	if (!fingerprint_matches(c, SSL_get0_peer_certificate(c->ssl)))
		why = "fingerprint mismatch";
	else if (!profile || !profile_openssl_name(profile->id))
		why = "no SRTP profile in common";
	else if (keys_export(c, (enum srtp_profile)profile->id))
		why = "cannot export the SRTP keys";
	if (why) {
		SSL_shutdown(c->ssl);
		conn_fail(c, why);
		return;
	}
	c->state = DTLS_STATE_CONNECTED;
}

/* Lets OpenSSL process what there is to process: the handshake, then
 * records after it (alerts, retransmitted flights, close_notify). */
static void conn_advance(struct dtls_conn *c)
{
	unsigned char sink[2048];
	int r;

	ERR_clear_error();
	if (c->state == DTLS_STATE_HANDSHAKING) {
		r = SSL_do_handshake(c->ssl);
		if (r != 1) {
			conn_check(c, r);
			return;
		}
		handshake_done(c);
	}
	while (c->state == DTLS_STATE_CONNECTED) {
		r = SSL_read(c->ssl, sink, sizeof(sink));
		if (r <= 0) {
			conn_check(c, r);
			break;
		}
	}
	OPENSSL_cleanse(sink, sizeof(sink));
}

/* OpenSSL's timer asks for the next timeout: the first, then doubling. */
static unsigned int timer_next(SSL *ssl, unsigned int previous_us)
{
	struct dtls_conn *c = SSL_get_app_data(ssl);
	if (!previous_us)
		return c->initial_timeout_ms * 1000u;
	return previous_us >= MAX_TIMEOUT_MS * 1000u / 2 ? MAX_TIMEOUT_MS * 1000u : previous_us * 2;
}

/* ---------------------------------------------------------------------------
 * The connection
 */

static void conn_destroy(void *obj)
{
	struct dtls_conn *c = obj;
	SSL_free(c->ssl); /* and the BIO */
	mbuf_free(&c->out);
	OPENSSL_cleanse(&c->keys, sizeof(c->keys));
	mem_deref(c->cert);
}

int dtls_conn_alloc(struct dtls_conn **cp, struct dtls_cert *cert, enum dtls_role role,
		    struct slice remote_fingerprint)
{
	struct dtls_conn *c = NULL;
	BIO *bio = NULL;
	int err;

	if (!cp || !dtls_cert_ssl_ctx(cert) || (role != DTLS_ROLE_CLIENT && role != DTLS_ROLE_SERVER))
		return EINVAL;
	pthread_once(&bio_once, bio_method_init);
	if (!bio_method)
		return ENOMEM;
	c = mem_alloc(sizeof(*c), conn_destroy);
	if (!c)
		return ENOMEM;
	mbuf_init(&c->out);
	c->cert = mem_ref(cert);
	c->role = role;
	c->state = DTLS_STATE_HANDSHAKING;
	c->initial_timeout_ms = DEFAULT_TIMEOUT_MS;
	if ((err = fingerprint_parse(c, remote_fingerprint)))
		goto out;

	err = ENOMEM;
	c->ssl = SSL_new(dtls_cert_ssl_ctx(cert));
	bio = BIO_new(bio_method);
	if (!c->ssl || !bio)
		goto out;
	BIO_set_data(bio, c);
	BIO_set_init(bio, 1);
	SSL_set_bio(c->ssl, bio, bio);
	bio = NULL;
	SSL_set_app_data(c->ssl, c);
	SSL_set_verify(c->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_peer);
	DTLS_set_timer_cb(c->ssl, timer_next);
	if (!SSL_set_mtu(c->ssl, DTLS_MTU)) {
		err = EINVAL;
		goto out;
	}
	if (role == DTLS_ROLE_CLIENT)
		SSL_set_connect_state(c->ssl);
	else
		SSL_set_accept_state(c->ssl);
	*cp = c;
	c = NULL;
	err = 0;
out:
	BIO_free(bio);
	mem_deref(c);
	ERR_clear_error();
	return err;
}

int dtls_conn_set_profiles(struct dtls_conn *c, const enum srtp_profile *profiles, size_t count)
{
	char list[128];
	size_t used = 0;

	if (!c || !profiles || !count)
		return EINVAL;
	if (c->started)
		return EBUSY;
	for (size_t i = 0; i < count; i++) {
		const char *name = profile_openssl_name(profiles[i]);
		if (!name)
			return EINVAL;
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ":" : "", name);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			return EINVAL;
		used += (size_t)n;
	}
	/* 0 is success here */
	if (SSL_set_tlsext_use_srtp(c->ssl, list)) {
		ERR_clear_error();
		return EINVAL;
	}
	return 0;
}

void dtls_conn_set_timeout(struct dtls_conn *c, unsigned initial_ms)
{
	if (!c)
		return;
	if (initial_ms < 1)
		initial_ms = 1;
	c->initial_timeout_ms = initial_ms > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : initial_ms;
}

int dtls_conn_start(struct dtls_conn *c)
{
	if (!c)
		return EINVAL;
	if (c->role == DTLS_ROLE_CLIENT && !c->started) {
		c->started = true;
		conn_advance(c);
	}
	return 0;
}

int dtls_conn_receive(struct dtls_conn *c, const uint8_t *datagram, size_t len)
{
	if (!c || !datagram)
		return EINVAL;
	if (!dtls_datagram_valid(datagram, len))
		return EBADMSG;
	if (c->state == DTLS_STATE_FAILED || c->state == DTLS_STATE_CLOSED ||
	    (c->role == DTLS_ROLE_CLIENT && !c->started))
		return 0;
	c->started = true;
	c->in = datagram;
	c->in_len = len;
	conn_advance(c);
	c->in = NULL;
	c->in_len = 0;
	return 0;
}

int dtls_conn_take_output(struct dtls_conn *c, struct mbuf *out)
{
	if (!c || !out)
		return EINVAL;
	if (c->out_read + 2 > c->out.len)
		return ENODATA;
	const unsigned char *p = (const unsigned char *)c->out.data + c->out_read;
	size_t len = (size_t)be16_get(p);
	mbuf_reset(out);
	mbuf_append(out, p + 2, len);
	if (mbuf_failed(out))
		return ENOMEM;
	c->out_read += 2 + len;
	if (c->out_read == c->out.len) {
		mbuf_reset(&c->out);
		c->out_read = 0;
	}
	return 0;
}

long dtls_conn_timeout_ms(struct dtls_conn *c)
{
	struct timeval left;
	if (!c || c->state == DTLS_STATE_FAILED || c->state == DTLS_STATE_CLOSED ||
	    !DTLSv1_get_timeout(c->ssl, &left))
		return -1;
	return (long)left.tv_sec * 1000 + ((long)left.tv_usec + 999) / 1000;
}

void dtls_conn_handle_timeout(struct dtls_conn *c)
{
	if (!c || c->state == DTLS_STATE_FAILED || c->state == DTLS_STATE_CLOSED)
		return;
	ERR_clear_error();
	if (DTLSv1_handle_timeout(c->ssl) < 0)
		conn_fail(c, ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_READ_TIMEOUT_EXPIRED
				     ? "handshake timed out"
				     : NULL);
}

void dtls_conn_close(struct dtls_conn *c)
{
	if (!c || c->state != DTLS_STATE_CONNECTED)
		return;
	SSL_shutdown(c->ssl);
	ERR_clear_error();
}

enum dtls_state dtls_conn_state(const struct dtls_conn *c)
{
	return c ? c->state : DTLS_STATE_FAILED;
}

const char *dtls_conn_error(const struct dtls_conn *c)
{
	return c && c->state == DTLS_STATE_FAILED ? c->error : "";
}

int dtls_conn_keys(const struct dtls_conn *c, struct srtp_keys *keys)
{
	if (!c || !keys)
		return EINVAL;
	if (c->state != DTLS_STATE_CONNECTED)
		return EAGAIN;
	*keys = c->keys;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Records
 */

size_t dtls_record_parse(const uint8_t *p, size_t len, struct dtls_record *rec)
{
	if (!p || len < RECORD_HEADER_LEN)
		return 0;
	uint16_t version = be16_get(p + 1);
	size_t length = (size_t)be16_get(p + 11);
	if (p[0] < 20 || p[0] > 23 || (version != 0xfeff && version != 0xfefd) ||
	    length > RECORD_FRAGMENT_MAX || length > len - RECORD_HEADER_LEN)
		return 0;
	rec->content_type = p[0];
	rec->version = version;
	rec->epoch = be16_get(p + 3);
	rec->sequence = 0;
	for (int i = 5; i < 11; i++)
		rec->sequence = rec->sequence << 8 | p[i];
	rec->fragment = p + RECORD_HEADER_LEN;
	rec->length = length;
	return RECORD_HEADER_LEN + length;
}

bool dtls_datagram_valid(const uint8_t *p, size_t len)
{
	struct dtls_record rec;
	if (!p || !len)
		return false;
	while (len) {
		size_t n = dtls_record_parse(p, len, &rec);
		if (!n)
			return false;
		p += n;
		len -= n;
	}
	return true;
}
