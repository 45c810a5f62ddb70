/*
 * test_tls.c - the generated certificate (files, modes, reuse, contents),
 * configured files and their errors, and real handshakes between a client
 * SSL and the server context over a socketpair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/tls.h"
#include "leakcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* A scratch directory per test; state_dir is a subdirectory that does not
 * exist yet, so that its creation is tested too. */
struct scratch {
	char top[64];
	char state_dir[128];
	char cert[192];
	char key[192];
};

static int scratch_init(void *state)
{
	struct scratch *s = state;
	snprintf(s->top, sizeof(s->top), "/tmp/rtcb-tls.XXXXXX");
	if (!mkdtemp(s->top))
		return -1;
	snprintf(s->state_dir, sizeof(s->state_dir), "%s/state", s->top);
	snprintf(s->cert, sizeof(s->cert), "%s/tls-cert.pem", s->state_dir);
	snprintf(s->key, sizeof(s->key), "%s/tls-key.pem", s->state_dir);
	return 0;
}

static void scratch_fini(void *state)
{
	struct scratch *s = state;
	char path[256];
	static const char *const names[] = { "tls-cert.pem", "tls-key.pem", "other", "combined.pem" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", s->state_dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/other/tls-cert.pem", s->state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/other/tls-key.pem", s->state_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/other", s->state_dir);
	rmdir(path);
	rmdir(s->state_dir);
	rmdir(s->top);
	/* OpenSSL keeps the text of this thread's errors in a ring of buffers
	 * that ERR_clear_error empties but does not free: give the thread's
	 * state back, so that no test is charged for what an earlier one left */
	OPENSSL_thread_stop();
}

static const struct leak_fixture scratch_fixture = { sizeof(struct scratch), scratch_init,
							     scratch_fini };

static struct tls_ctx *create_generated(struct scratch *s)
{
	struct tls_ctx *ctx = NULL;
	assert_int_equal(tls_ctx_create(&ctx, NULL, NULL, s->state_dir), 0);
	assert_non_null(ctx);
	return ctx;
}

static void test_generate_files(void **state)
{
	struct scratch *s = *state;
	struct stat st;
	struct tls_ctx *ctx = create_generated(s);

	assert_int_equal(stat(s->state_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(s->key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(s->cert, &st), 0);
	assert_non_null(tls_ctx_ssl(ctx));
	tls_ctx_free(ctx);
}

static void test_fingerprint_format(void **state)
{
	struct scratch *s = *state;
	struct tls_ctx *ctx = create_generated(s);
	const char *fp = tls_ctx_fingerprint(ctx);

	assert_int_equal(strlen(fp), strlen("sha-256 ") + 32 * 3 - 1);
	assert_memory_equal(fp, "sha-256 ", 8);
	for (size_t i = 8; fp[i]; i++) {
		if ((i - 8) % 3 == 2)
			assert_int_equal(fp[i], ':');
		else
			assert_non_null(strchr("0123456789ABCDEF", fp[i]));
	}
	tls_ctx_free(ctx);
}

static void test_second_create_reuses(void **state)
{
	struct scratch *s = *state;
	char first[128];
	struct tls_ctx *ctx = create_generated(s);
	snprintf(first, sizeof(first), "%s", tls_ctx_fingerprint(ctx));
	tls_ctx_free(ctx);

	ctx = create_generated(s);
	assert_string_equal(tls_ctx_fingerprint(ctx), first);
	tls_ctx_free(ctx);
}

/* One file of the pair gone: a new pair, not a half-old one. */
static void test_missing_half_regenerates(void **state)
{
	struct scratch *s = *state;
	char first[128];
	struct tls_ctx *ctx = create_generated(s);
	snprintf(first, sizeof(first), "%s", tls_ctx_fingerprint(ctx));
	tls_ctx_free(ctx);

	assert_int_equal(unlink(s->key), 0);
	ctx = create_generated(s);
	assert_string_not_equal(tls_ctx_fingerprint(ctx), first);
	tls_ctx_free(ctx);
}

static void test_certificate_contents(void **state)
{
	struct scratch *s = *state;
	char host[256] = "";
	struct tls_ctx *ctx = create_generated(s);
	X509 *cert = SSL_CTX_get0_certificate(tls_ctx_ssl(ctx));

	assert_non_null(cert);
	assert_int_equal(X509_get_version(cert), X509_VERSION_3);
	assert_int_equal(X509_check_host(cert, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_ip_asc(cert, "::1", 0), 1);
	gethostname(host, sizeof(host));
	if (strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == strlen(host))
		assert_int_equal(X509_check_host(cert, host, 0, 0, NULL), 1);

	EVP_PKEY *key = X509_get0_pubkey(cert);
	assert_int_equal(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
	char group[64];
	assert_true(EVP_PKEY_get_group_name(key, group, sizeof(group), NULL));
	assert_string_equal(group, "prime256v1");

	/* about ten years */
	int days = 0, secs = 0;
	assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert)));
	assert_in_range(days, 3650, 3660);
	tls_ctx_free(ctx);
}

/* A peer that trusts exactly this certificate (a phone given the file as
 * its CA) accepts it for a TLS server. */
static void test_certificate_pinnable(void **state)
{
	struct scratch *s = *state;
	struct tls_ctx *ctx = create_generated(s);
	X509 *cert = SSL_CTX_get0_certificate(tls_ctx_ssl(ctx));
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *verify = X509_STORE_CTX_new();

	assert_int_equal(X509_check_issued(cert, cert), X509_V_OK);
	assert_true(X509_STORE_add_cert(store, cert));
	assert_true(X509_STORE_CTX_init(verify, store, cert, NULL));
	assert_true(X509_STORE_CTX_set_purpose(verify, X509_PURPOSE_SSL_SERVER));
	assert_true(X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(verify), "localhost", 0));
	if (X509_verify_cert(verify) != 1)
		fail_msg("verify: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(verify)));
	X509_STORE_CTX_free(verify);
	X509_STORE_free(store);
	tls_ctx_free(ctx);
}

static void test_context_settings(void **state)
{
	struct scratch *s = *state;
	struct tls_ctx *ctx = create_generated(s);
	SSL_CTX *ssl = tls_ctx_ssl(ctx);

	assert_int_equal(SSL_CTX_get_min_proto_version(ssl), TLS1_2_VERSION);
	assert_true(SSL_CTX_get_options(ssl) & SSL_OP_NO_COMPRESSION);
	long mode = SSL_CTX_get_mode(ssl);
	assert_true(mode & SSL_MODE_ENABLE_PARTIAL_WRITE);
	assert_true(mode & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	assert_int_equal(SSL_CTX_get_session_cache_mode(ssl), SSL_SESS_CACHE_OFF);
	tls_ctx_free(ctx);
}

/* Drives both ends over a non-blocking socketpair until done; returns the
 * negotiated version, or 0 when the handshake failed. */
static int handshake(SSL_CTX *server_ctx, int client_min, int client_max)
{
	int fds[2];
	int version = 0;
	bool client_done = false, server_done = false, failed = false;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
	SSL_CTX *client_ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(client_ctx);
	/* let the client offer what Debian's default security level forbids,
	 * so that refusing old versions is the server's doing */
	SSL_CTX_set_security_level(client_ctx, 0);
	assert_true(SSL_CTX_set_cipher_list(client_ctx, "DEFAULT:@SECLEVEL=0"));
	assert_true(SSL_CTX_set_min_proto_version(client_ctx, client_min));
	assert_true(SSL_CTX_set_max_proto_version(client_ctx, client_max));
	SSL *client = SSL_new(client_ctx);
	SSL *server = SSL_new(server_ctx);
	assert_non_null(client);
	assert_non_null(server);
	SSL_set_fd(client, fds[0]);
	SSL_set_fd(server, fds[1]);
	SSL_set_connect_state(client);
	SSL_set_accept_state(server);

	for (int round = 0; round < 100 && !failed && !(client_done && server_done); round++) {
		struct {
			SSL *ssl;
			bool *done;
		} ends[] = { { client, &client_done }, { server, &server_done } };
		for (size_t i = 0; i < 2; i++) {
			if (*ends[i].done)
				continue;
			int rc = SSL_do_handshake(ends[i].ssl);
			if (rc == 1) {
				*ends[i].done = true;
				continue;
			}
			int e = SSL_get_error(ends[i].ssl, rc);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				failed = true;
		}
	}
	ERR_clear_error();
	if (client_done && server_done) {
		char buf[16] = "";
		assert_int_equal(SSL_write(client, "OPTIONS", 7), 7);
		assert_int_equal(SSL_read(server, buf, sizeof(buf)), 7);
		assert_memory_equal(buf, "OPTIONS", 7);
		version = SSL_version(server);
		assert_int_equal(SSL_version(client), version);
	}
	SSL_free(client);
	SSL_free(server);
	SSL_CTX_free(client_ctx);
	close(fds[0]);
	close(fds[1]);
	return version;
}

static void test_handshake_tls13(void **state)
{
	struct scratch *s = *state;
	struct tls_ctx *ctx = create_generated(s);
	assert_int_equal(handshake(tls_ctx_ssl(ctx), TLS1_2_VERSION, TLS1_3_VERSION), TLS1_3_VERSION);
	tls_ctx_free(ctx);
}

static void test_handshake_tls12(void **state)
{
	struct scratch *s = *state;
	struct tls_ctx *ctx = create_generated(s);
	assert_int_equal(handshake(tls_ctx_ssl(ctx), TLS1_2_VERSION, TLS1_2_VERSION), TLS1_2_VERSION);
	tls_ctx_free(ctx);
}

static void test_handshake_tls11_refused(void **state)
{
	struct scratch *s = *state;
	struct tls_ctx *ctx = create_generated(s);
	assert_int_equal(handshake(tls_ctx_ssl(ctx), TLS1_VERSION, TLS1_1_VERSION), 0);
	tls_ctx_free(ctx);
}

/* A configured pair (here: the generated one, by path) and a combined
 * file with key and certificate when no key file is given. */
static void test_configured_files(void **state)
{
	struct scratch *s = *state;
	char combined[256];
	char fp[128];
	struct tls_ctx *ctx = create_generated(s);
	snprintf(fp, sizeof(fp), "%s", tls_ctx_fingerprint(ctx));
	tls_ctx_free(ctx);

	ctx = NULL;
	assert_int_equal(tls_ctx_create(&ctx, s->cert, s->key, NULL), 0);
	assert_string_equal(tls_ctx_fingerprint(ctx), fp);
	tls_ctx_free(ctx);

	snprintf(combined, sizeof(combined), "%s/combined.pem", s->state_dir);
	FILE *out = fopen(combined, "w");
	assert_non_null(out);
	const char *parts[] = { s->key, s->cert };
	for (size_t i = 0; i < 2; i++) {
		char buf[4096];
		FILE *in = fopen(parts[i], "r");
		assert_non_null(in);
		size_t n = fread(buf, 1, sizeof(buf), in);
		fclose(in);
		assert_int_equal(fwrite(buf, 1, n, out), n);
	}
	fclose(out);
	ctx = NULL;
	assert_int_equal(tls_ctx_create(&ctx, combined, "", NULL), 0);
	assert_string_equal(tls_ctx_fingerprint(ctx), fp);
	tls_ctx_free(ctx);
}

static void test_key_mismatch(void **state)
{
	struct scratch *s = *state;
	char other_dir[192], other_key[256];
	struct tls_ctx *ctx = create_generated(s);
	tls_ctx_free(ctx);
	snprintf(other_dir, sizeof(other_dir), "%s/other", s->state_dir);
	ctx = NULL;
	assert_int_equal(tls_ctx_create(&ctx, NULL, NULL, other_dir), 0);
	tls_ctx_free(ctx);

	snprintf(other_key, sizeof(other_key), "%s/tls-key.pem", other_dir);
	ctx = NULL;
	assert_int_equal(tls_ctx_create(&ctx, s->cert, other_key, NULL), EINVAL);
	assert_null(ctx);
}

static void test_missing_and_bad_files(void **state)
{
	struct scratch *s = *state;
	struct tls_ctx *ctx = NULL;
	char missing[256];

	snprintf(missing, sizeof(missing), "%s/nope.pem", s->top);
	assert_int_equal(tls_ctx_create(&ctx, missing, NULL, NULL), ENOENT);
	assert_null(ctx);

	/* a generated pair whose key got garbled is reported, not replaced */
	tls_ctx_free(create_generated(s));
	FILE *f = fopen(s->key, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(tls_ctx_create(&ctx, NULL, NULL, s->state_dir), EINVAL);
	assert_null(ctx);

	assert_int_equal(tls_ctx_create(&ctx, NULL, NULL, NULL), EINVAL);
	assert_int_equal(tls_ctx_create(&ctx, "", "", ""), EINVAL);
}

/* OpenSSL sets up its algorithms, error strings and per-thread state on
 * first use and keeps them: a certificate made and both handshakes once,
 * before the per-test accounting starts. */
static int warm_up(void **state)
{
	void (*const scenarios[])(void **) = { test_generate_files, test_handshake_tls13,
					       test_handshake_tls12 };
	(void)state;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (leak_warm_up(&scratch_fixture, scenarios[i]))
			return -1;
	return 0;
}

int main(void)
{
#define T(name) leak_test(name, &scratch_fixture)
	const struct CMUnitTest tests[] = {
		T(test_generate_files),
		T(test_fingerprint_format),
		T(test_second_create_reuses),
		T(test_missing_half_regenerates),
		T(test_certificate_contents),
		T(test_certificate_pinnable),
		T(test_context_settings),
		T(test_handshake_tls13),
		T(test_handshake_tls12),
		T(test_handshake_tls11_refused),
		T(test_configured_files),
		T(test_key_mismatch),
		T(test_missing_and_bad_files),
	};
#undef T
	return cmocka_run_group_tests(tests, warm_up, NULL);
}
