/*
 * test_auth.c - Digest authentication: RFC example values, a client's round
 * trip through challenge, parse and verify, nonce-count replay, nonce
 * expiry, and the credential parser's edge cases.
 *
 * The client side (HA2 and the response) is computed here with OpenSSL
 * directly rather than through auth.c, so a mistake in auth.c cannot cancel
 * itself out. Every test checks that it gave back all the memory it took.
 */
#include "sip/auth.h"

#include "core/log.h"
#include "core/loop.h"
#include "leakcheck.h"

#include <errno.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define USER "bob"
#define REALM "example.org"
#define PASSWORD "secret"
#define METHOD "REGISTER"
#define URI "sip:example.org"

/* ------------------------------------------------------------- fixture */

struct env {
	struct loop *loop;
	struct auth_nonces *nonces;
	struct mbuf out;
	char header[1024];
	struct auth_credentials c;
};

static int env_init_lifetime(struct env *e, unsigned lifetime_s)
{
	mbuf_init(&e->out);
	return loop_create(&e->loop) || auth_nonces_create(&e->nonces, e->loop, lifetime_s);
}

static int env_init(void *state)
{
	return env_init_lifetime(state, 30);
}

static int env_init_short(void *state)
{
	return env_init_lifetime(state, 1);
}

static void env_fini(void *state)
{
	struct env *e = state;
	auth_nonces_destroy(e->nonces);
	loop_destroy(e->loop);
	mbuf_free(&e->out);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };
static const struct leak_fixture env_fixture_short = { sizeof(struct env), env_init_short, env_fini };

static void stop_loop(void *arg)
{
	loop_stop(arg);
}

/* Let real time pass the way the daemon sees it: through the loop. */
static void run_loop_for(struct loop *loop, uint64_t ms)
{
	struct loop_timer t = { 0 };
	loop_timer_start(loop, &t, ms, stop_loop, loop);
	assert_int_equal(loop_run(loop), 0);
}

/* -------------------------------------------------------------- client */

static void client_hash(enum digest_algorithm alg, const char *text, char out[DIGEST_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len;
	assert_int_equal(EVP_Digest(text, strlen(text), md, &len,
				    alg == DIGEST_SHA256 ? EVP_sha256() : EVP_md5(), NULL),
			 1);
	for (unsigned int i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* The response a client computes; qop NULL for an RFC 2069 client. */
static void client_response(enum digest_algorithm alg, const char *ha1, const char *nonce,
			    const char *nc, const char *cnonce, const char *qop,
			    const char *method, const char *uri, char out[DIGEST_HEX_SIZE])
{
	char text[1024], ha2[DIGEST_HEX_SIZE];
	snprintf(text, sizeof(text), "%s:%s", method, uri);
	client_hash(alg, text, ha2);
	if (qop)
		snprintf(text, sizeof(text), "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2);
	else
		snprintf(text, sizeof(text), "%s:%s:%s", ha1, nonce, ha2);
	client_hash(alg, text, out);
}

/* Ask for a challenge and pick its nonce, as a client would. */
static void challenge_nonce(struct env *e, char nonce[64])
{
	mbuf_reset(&e->out);
	assert_int_equal(auth_challenge_print(e->nonces, &e->out, "WWW-Authenticate",
					      SLICE_LIT(REALM), false, true),
			 0);
	const char *start = strstr(e->out.data, "nonce=\"");
	assert_non_null(start);
	start += strlen("nonce=\"");
	const char *end = strchr(start, '"');
	assert_non_null(end);
	assert_true(end - start < 64);
	memcpy(nonce, start, (size_t)(end - start));
	nonce[end - start] = '\0';
}

/* nc for a client that sends no qop (RFC 2069). */
#define NO_QOP (-1)

/* Credentials into e->c as a client that knows `password` sends them. */
static void client_authorize(struct env *e, enum digest_algorithm alg, const char *password,
			     const char *nonce, long nc)
{
	char ha1[DIGEST_HEX_SIZE], response[DIGEST_HEX_SIZE], nc_text[16];
	snprintf(nc_text, sizeof(nc_text), "%08lx", nc);
	digest_ha1(alg, USER, REALM, password, ha1);
	client_response(alg, ha1, nonce, nc_text, "0a4f113b", nc == NO_QOP ? NULL : "auth",
			METHOD, URI, response);
	if (nc == NO_QOP)
		snprintf(e->header, sizeof(e->header),
			 "Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", "
			 "uri=\"" URI "\", response=\"%s\", algorithm=%s",
			 nonce, response, digest_algorithm_name(alg));
	else
		snprintf(e->header, sizeof(e->header),
			 "Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", "
			 "uri=\"" URI "\", response=\"%s\", algorithm=%s, cnonce=\"0a4f113b\", "
			 "qop=auth, nc=%s",
			 nonce, response, digest_algorithm_name(alg), nc_text);
	assert_int_equal(auth_credentials_parse(slice_from_cstr(e->header), &e->c), 0);
	assert_int_equal(e->c.algorithm_id, alg);
}

/* One request checked against the server's HA1, that of PASSWORD. */
static enum auth_result client_try(struct env *e, enum digest_algorithm alg, const char *password,
				   const char *nonce, long nc)
{
	char ha1[DIGEST_HEX_SIZE];
	client_authorize(e, alg, password, nonce, nc);
	digest_ha1(alg, USER, REALM, PASSWORD, ha1);
	return auth_verify(e->nonces, &e->c, SLICE_LIT(METHOD), ha1);
}

/* ---------------------------------------------------------- RFC values */

static void test_rfc2617_example(void **state)
{
	struct env *e = *state;
	char ha1[DIGEST_HEX_SIZE], response[DIGEST_HEX_SIZE];
	const char *header =
		"Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
		"qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
		"response=\"6629fae49393a05397450978507c4ef1\", "
		"opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

	digest_ha1(DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle Of Life", ha1);
	assert_string_equal(ha1, "939e7578ed9e3c518a452acee763bce9");
	client_response(DIGEST_MD5, ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
			"0a4f113b", "auth", "GET", "/dir/index.html", response);
	assert_string_equal(response, "6629fae49393a05397450978507c4ef1");

	assert_int_equal(auth_credentials_parse(slice_from_cstr(header), &e->c), 0);
	assert_int_equal(e->c.algorithm_id, DIGEST_MD5);
	assert_true(slice_eq_cstr(e->c.opaque, "5ccc069c403ebaf9f0171e9517f40e41"));
	/* Right response, but the nonce is not one of ours. */
	assert_int_equal(auth_verify(e->nonces, &e->c, SLICE_LIT("GET"), ha1), AUTH_STALE);
	assert_int_equal(auth_verify(e->nonces, &e->c, SLICE_LIT("POST"), ha1), AUTH_FAILED);
	digest_ha1(DIGEST_MD5, "Mufasa", "testrealm@host.com", "Circle of Life", ha1);
	assert_int_equal(auth_verify(e->nonces, &e->c, SLICE_LIT("GET"), ha1), AUTH_FAILED);
}

static void test_rfc7616_example(void **state)
{
	static const struct {
		enum digest_algorithm alg;
		const char *response;
	} cases[] = {
		{ DIGEST_MD5, "8ca523f5e9506fed4657c9700eebdbec" },
		{ DIGEST_SHA256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1" },
	};
	struct env *e = *state;
	const char *nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	const char *cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ha1[DIGEST_HEX_SIZE], response[DIGEST_HEX_SIZE];
		digest_ha1(cases[i].alg, "Mufasa", "http-auth@example.org", "Circle of Life", ha1);
		client_response(cases[i].alg, ha1, nonce, "00000001", cnonce, "auth", "GET",
				"/dir/index.html", response);
		assert_string_equal(response, cases[i].response);

		snprintf(e->header, sizeof(e->header),
			 "Digest username=\"Mufasa\",\n realm=\"http-auth@example.org\",\n "
			 "uri=\"/dir/index.html\",\n algorithm=%s,\n nonce=\"%s\",\n nc=00000001,\n "
			 "cnonce=\"%s\",\n qop=auth,\n response=\"%s\",\n "
			 "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
			 digest_algorithm_name(cases[i].alg), nonce, cnonce, cases[i].response);
		assert_int_equal(auth_credentials_parse(slice_from_cstr(e->header), &e->c), 0);
		assert_int_equal(e->c.algorithm_id, cases[i].alg);
		assert_int_equal(auth_verify(e->nonces, &e->c, SLICE_LIT("GET"), ha1), AUTH_STALE);
	}
}

/* ---------------------------------------------------------- challenges */

static void test_challenge_format(void **state)
{
	struct env *e = *state;
	char nonce[64], expected[512];

	challenge_nonce(e, nonce);
	assert_int_equal(strlen(nonce), 32);
	assert_int_equal(strspn(nonce, "0123456789abcdef"), 32);
	snprintf(expected, sizeof(expected),
		 "WWW-Authenticate: Digest realm=\"" REALM "\", nonce=\"%s\", algorithm=MD5, "
		 "qop=\"auth\"\r\n"
		 "WWW-Authenticate: Digest realm=\"" REALM "\", nonce=\"%s\", algorithm=SHA-256, "
		 "qop=\"auth\"\r\n"
		 "WWW-Authenticate: Digest realm=\"" REALM "\", nonce=\"%s\", algorithm=MD5, "
		 "qop=\"auth\"\r\n",
		 nonce, nonce, nonce);
	assert_string_equal(e->out.data, expected);

	mbuf_reset(&e->out);
	assert_int_equal(auth_challenge_print(e->nonces, &e->out, "Proxy-Authenticate",
					      SLICE_LIT(REALM), true, true),
			 0);
	assert_non_null(strstr(e->out.data, "Proxy-Authenticate: Digest realm="));
	assert_non_null(strstr(e->out.data, "algorithm=MD5, qop=\"auth\", stale=true\r\n"));
	assert_non_null(strstr(e->out.data, "algorithm=SHA-256, qop=\"auth\", stale=true\r\n"));
	assert_null(strstr(e->out.data, nonce)); /* every challenge has a new nonce */

	/* For clients that refuse a set holding an algorithm they lack. */
	mbuf_reset(&e->out);
	assert_int_equal(auth_challenge_print(e->nonces, &e->out, "WWW-Authenticate",
					      SLICE_LIT(REALM), false, false),
			 0);
	assert_non_null(strstr(e->out.data, "algorithm=MD5, qop=\"auth\"\r\n"));
	assert_null(strstr(e->out.data, "SHA-256"));
	assert_int_equal(strstr(e->out.data, "\r\n") + 2 - e->out.data, (long)e->out.len);

	mbuf_reset(&e->out);
	assert_int_equal(auth_challenge_print(e->nonces, &e->out, "WWW-Authenticate",
					      SLICE_LIT("a\"b"), false, true),
			 EINVAL);
	assert_int_equal(auth_challenge_print(e->nonces, &e->out, "WWW-Authenticate",
					      SLICE_LIT(""), false, true),
			 EINVAL);
	assert_int_equal(e->out.len, 0);
}

static void test_algorithm_names(void **state)
{
	(void)state;
	assert_string_equal(digest_algorithm_name(DIGEST_MD5), "MD5");
	assert_string_equal(digest_algorithm_name(DIGEST_SHA256), "SHA-256");
	assert_string_equal(digest_algorithm_name(DIGEST_COUNT), "unknown");
}

/* -------------------------------------------------------- verification */

static void test_round_trip(void **state)
{
	struct env *e = *state;
	char nonce[64];

	for (int alg = 0; alg < DIGEST_COUNT; alg++) {
		challenge_nonce(e, nonce);
		assert_int_equal(client_try(e, alg, PASSWORD, nonce, 1), AUTH_OK);
	}
	/* One nonce serves both algorithms: the client picks a line. */
	challenge_nonce(e, nonce);
	assert_int_equal(client_try(e, DIGEST_SHA256, PASSWORD, nonce, 1), AUTH_OK);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 2), AUTH_OK);
}

static void test_wrong_password(void **state)
{
	struct env *e = *state;
	char nonce[64];

	for (int alg = 0; alg < DIGEST_COUNT; alg++) {
		challenge_nonce(e, nonce);
		assert_int_equal(client_try(e, alg, "Secret", nonce, 1), AUTH_FAILED);
		/* The failure did not use up nc 1 for the real client. */
		assert_int_equal(client_try(e, alg, PASSWORD, nonce, 1), AUTH_OK);
	}
}

static void test_nonce_count(void **state)
{
	struct env *e = *state;
	char nonce[64];

	challenge_nonce(e, nonce);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 0), AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 1), AUTH_OK);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 1), AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 2), AUTH_OK);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 5), AUTH_OK);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 3), AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_SHA256, PASSWORD, nonce, 5), AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_SHA256, PASSWORD, nonce, 0xffffffff), AUTH_OK);
	assert_int_equal(client_try(e, DIGEST_SHA256, PASSWORD, nonce, 0xffffffff),
			 AUTH_STALE);
	/* Replays are never accepted; they get a fresh nonce (STALE), which is
	 * all a client that repeats its last credentials needs.
	 * An RFC 2069 request after qop ones: the nonce is not fresh. */
	challenge_nonce(e, nonce);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 1), AUTH_OK);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, NO_QOP), AUTH_STALE);
}

static void test_no_qop_once(void **state)
{
	struct env *e = *state;
	char nonce[64];

	challenge_nonce(e, nonce);
	assert_int_equal(client_try(e, DIGEST_MD5, "wrong", nonce, NO_QOP), AUTH_FAILED);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, NO_QOP), AUTH_OK);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, NO_QOP), AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 1), AUTH_STALE);
}

static void test_unknown_nonce(void **state)
{
	struct env *e = *state;
	char nonce[64];

	/* As after a restart: the right password gets a fresh challenge. */
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, "0123456789abcdef0123456789abcdef", 1),
			 AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_SHA256, PASSWORD, "not-even-hex", 1), AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_MD5, "wrong", "0123456789abcdef0123456789abcdef", 1),
			 AUTH_FAILED);
	/* Nonces come back exactly as printed. */
	challenge_nonce(e, nonce);
	for (char *p = nonce; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 1), AUTH_STALE);
}

static void test_expired_nonce(void **state)
{
	struct env *e = *state;
	char nonce[64];

	challenge_nonce(e, nonce);
	run_loop_for(e->loop, 300);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 1), AUTH_OK);
	run_loop_for(e->loop, 1000);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 2), AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_MD5, "wrong", nonce, 2), AUTH_FAILED);
	challenge_nonce(e, nonce);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 1), AUTH_OK);
}

static void test_qop_rules(void **state)
{
	struct env *e = *state;
	char nonce[64], ha1[DIGEST_HEX_SIZE];

	challenge_nonce(e, nonce);
	digest_ha1(DIGEST_MD5, USER, REALM, PASSWORD, ha1);
	/* Each header below carries a response computed for it, so only the rule
	 * under test can fail it. */
	static const struct {
		const char *nc, *cnonce, *qop;
	} cases[] = {
		{ "0000001", "abc", "auth" },   /* nc is 8 digits */
		{ "000000001", "abc", "auth" },
		{ "0000000g", "abc", "auth" },
		{ "", "abc", "auth" },
		{ "00000001", "", "auth" },     /* qop needs a cnonce */
		{ "00000001", "abc", "auth-int" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char response[DIGEST_HEX_SIZE];
		client_response(DIGEST_MD5, ha1, nonce, cases[i].nc, cases[i].cnonce, cases[i].qop,
				METHOD, URI, response);
		snprintf(e->header, sizeof(e->header),
			 "Digest username=" USER ", realm=" REALM ", nonce=\"%s\", uri=\"" URI "\", "
			 "response=\"%s\", nc=\"%s\", cnonce=\"%s\", qop=%s",
			 nonce, response, cases[i].nc, cases[i].cnonce, cases[i].qop);
		assert_int_equal(auth_credentials_parse(slice_from_cstr(e->header), &e->c), 0);
		assert_int_equal(auth_verify(e->nonces, &e->c, SLICE_LIT(METHOD), ha1), AUTH_FAILED);
	}
	/* Upper-case hex in nc and in the response is accepted. */
	char response[DIGEST_HEX_SIZE];
	client_response(DIGEST_MD5, ha1, nonce, "0000000A", "abc", "auth", METHOD, URI, response);
	for (char *p = response; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	snprintf(e->header, sizeof(e->header),
		 "Digest username=" USER ", realm=" REALM ", nonce=\"%s\", uri=\"" URI "\", "
		 "response=\"%s\", nc=0000000A, cnonce=\"abc\", qop=auth",
		 nonce, response);
	assert_int_equal(auth_credentials_parse(slice_from_cstr(e->header), &e->c), 0);
	assert_int_equal(auth_verify(e->nonces, &e->c, SLICE_LIT(METHOD), ha1), AUTH_OK);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 10), AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, nonce, 11), AUTH_OK);
}

static void test_algorithm_mismatch(void **state)
{
	struct env *e = *state;
	char nonce[64], md5_ha1[DIGEST_HEX_SIZE];

	challenge_nonce(e, nonce);
	client_authorize(e, DIGEST_SHA256, PASSWORD, nonce, 1);
	digest_ha1(DIGEST_MD5, USER, REALM, PASSWORD, md5_ha1);
	assert_int_equal(auth_verify(e->nonces, &e->c, SLICE_LIT(METHOD), md5_ha1), AUTH_FAILED);
	/* The failure left nc 1 unused. */
	assert_int_equal(client_try(e, DIGEST_SHA256, PASSWORD, nonce, 1), AUTH_OK);
}

static void test_dummy(void **state)
{
	struct env *e = *state;
	char nonce[64];

	for (int alg = 0; alg < DIGEST_COUNT; alg++) {
		challenge_nonce(e, nonce);
		client_authorize(e, alg, PASSWORD, nonce, 1);
		auth_verify_dummy(&e->c, SLICE_LIT(METHOD));
		/* It leaves the nonce alone. */
		assert_int_equal(client_try(e, alg, PASSWORD, nonce, 1), AUTH_OK);
	}
}

/* A challenge flood must not grow the table without end: the oldest nonces
 * go first. Sized by the table's cap of one million. */
static void test_table_bounded(void **state)
{
	struct env *e = *state;
	char first[64], second[64];

	challenge_nonce(e, first);
	challenge_nonce(e, second);
	for (int i = 0; i < 1000000 - 1; i++) {
		mbuf_reset(&e->out);
		assert_int_equal(auth_challenge_print(e->nonces, &e->out, "WWW-Authenticate",
						      SLICE_LIT(REALM), false, true),
				 0);
	}
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, first, 1), AUTH_STALE);
	assert_int_equal(client_try(e, DIGEST_MD5, PASSWORD, second, 1), AUTH_OK);
}

/* ------------------------------------------------------------- parsing */

static int parse(const char *text, struct auth_credentials *c)
{
	return auth_credentials_parse(slice_from_cstr(text), c);
}

static void test_parse_fields(void **state)
{
	struct env *e = *state;
	struct auth_credentials *c = &e->c;
	const char *text = " dIgEsT  UserName = \"b\\\"ob\" ,REALM=\"x\",nonce=\"n\" , "
			   "uri=sip:x@y;transport=tcp,response=\"r\",ALGORITHM=\"sha-256\",\t"
			   "cnonce=\"c\",qop=auth,nc=00000001,opaque=\"\",foo=\"bar, baz=1\",x=y ";

	assert_int_equal(auth_credentials_parse(slice_from_cstr(text), c), 0);
	assert_true(slice_eq_cstr(c->username, "b\\\"ob"));
	assert_true(slice_eq_cstr(c->realm, "x"));
	assert_true(slice_eq_cstr(c->nonce, "n"));
	assert_true(slice_eq_cstr(c->uri, "sip:x@y;transport=tcp"));
	assert_true(slice_eq_cstr(c->response, "r"));
	assert_true(slice_eq_cstr(c->algorithm, "sha-256"));
	assert_int_equal(c->algorithm_id, DIGEST_SHA256);
	assert_true(slice_eq_cstr(c->cnonce, "c"));
	assert_true(slice_eq_cstr(c->qop, "auth"));
	assert_true(slice_eq_cstr(c->nc, "00000001"));
	assert_true(slice_is_set(c->opaque));
	assert_int_equal(c->opaque.len, 0);
	/* Zero-copy: the slices point into the header value. */
	assert_true(c->username.p > text && c->username.p < text + strlen(text));

	assert_int_equal(parse("Digest username=a,realm=b,nonce=c,uri=d,response=e", c), 0);
	assert_int_equal(c->algorithm_id, DIGEST_MD5);
	assert_false(slice_is_set(c->algorithm));
	assert_false(slice_is_set(c->qop));
	assert_int_equal(parse("Digest ,username=a,,realm=b,nonce=c,uri=d,response=e,", c), 0);
	assert_int_equal(parse("Digest username=a,realm=b,nonce=c,uri=d,response=e,algorithm=md5",
			       c),
			 0);
	assert_int_equal(c->algorithm_id, DIGEST_MD5);
	assert_int_equal(parse("Digest username=\"\\\\\",realm=\"caf\xc3\xa9\",nonce=c,uri=d,"
			       "response=e",
			       c),
			 0);
	assert_true(slice_eq_cstr(c->username, "\\\\"));
}

static void test_parse_errors(void **state)
{
	struct env *e = *state;
	struct auth_credentials *c = &e->c;
	static const char *const invalid[] = {
		"",
		"   ",
		"Digest",
		"Digest ",
		"Basic dXNlcjpwYXNz",
		"Digestusername=a,realm=b,nonce=c,uri=d,response=e",
		"Digest, username=a,realm=b,nonce=c,uri=d,response=e",
		/* each required parameter missing in turn */
		"Digest realm=b,nonce=c,uri=d,response=e",
		"Digest username=a,nonce=c,uri=d,response=e",
		"Digest username=a,realm=b,uri=d,response=e",
		"Digest username=a,realm=b,nonce=c,response=e",
		"Digest username=a,realm=b,nonce=c,uri=d",
		/* duplicates, whatever their case */
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,username=a",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,NC=00000001,nc=00000001",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,algorithm=MD5,algorithm=MD5",
		/* syntax */
		"Digest username=a realm=b,nonce=c,uri=d,response=e",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,=x",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,x",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,x=",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,x=,y=1",
		"Digest username=a,realm=b,nonce=c,uri=d,response=\"e\"f",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e\"f\"",
		"Digest username=\"a,realm=b,nonce=c,uri=d,response=e",
		"Digest username=a,realm=b,nonce=c,uri=d,response=\"e",
		"Digest username=a,realm=b,nonce=c,uri=d,response=\"e\\",
		"Digest username=a,realm=b,nonce=c,uri=d,response=\"e\\\"",
		"Digest username=\"a\x01\",realm=b,nonce=c,uri=d,response=e",
		"Digest username=\"a\\\r\n\",realm=b,nonce=c,uri=d,response=e",
		"Digest username=a\x7f,realm=b,nonce=c,uri=d,response=e",
		"Digest username=\xc3\xa9,realm=b,nonce=c,uri=d,response=e",
		"Digest username=a;realm=b;nonce=c;uri=d;response=e",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,x=\"unterminated",
		"\"Digest\" username=a,realm=b,nonce=c,uri=d,response=e",
		"garbage",
	};
	static const char *const unsupported[] = {
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,algorithm=MD5-sess",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,algorithm=SHA-256-sess",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,algorithm=\"SHA-512-256\"",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,algorithm=\"\"",
		"Digest username=a,realm=b,nonce=c,uri=d,response=e,algorithm=SHA256",
	};

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		if (parse(invalid[i], c) != EINVAL)
			fail_msg("accepted or misjudged: %s", invalid[i]);
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		assert_int_equal(parse(unsupported[i], c), ENOTSUP);
	assert_int_equal(auth_credentials_parse(SLICE_NULL, c), EINVAL);
	/* A NUL inside the slice is just a bad byte, not the end. */
	assert_int_equal(auth_credentials_parse(SLICE_LIT("Digest username=a\0,realm=b,nonce=c,"
							  "uri=d,response=e"),
						c),
			 EINVAL);
}

/* Every prefix of a valid header, each in a buffer of exactly its size, so
 * that the sanitizer build sees any read past the end. */
static void test_parse_truncations(void **state)
{
	struct env *e = *state;
	const char *text = "Digest username=\"bob\", realm=\"x\", nonce=\"abc\", uri=\"sip:x\", "
			   "response=\"0123\", algorithm=SHA-256, cnonce=\"q\\\"z\", qop=auth, "
			   "nc=00000001, opaque=\"o\"";
	size_t len = strlen(text);

	for (size_t n = 0; n <= len; n++) {
		char *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, text, n);
		int err = auth_credentials_parse(slice_make(copy, n), &e->c);
		if (n == len)
			assert_int_equal(err, 0);
		else
			assert_true(err == 0 || err == EINVAL || err == ENOTSUP);
		free(copy);
	}
}

/* OpenSSL (digests, the random generator) and the C library (time zone,
 * stdio) set up state on first use and keep it: do all that before the
 * per-test accounting starts. */
static void warm_up(void **state)
{
	struct env *e = *state;
	char nonce[64];
	for (int alg = 0; alg < DIGEST_COUNT; alg++)
		client_try(e, alg, PASSWORD, "", 1);
	challenge_nonce(e, nonce);
	log_notice("test_auth: starting");
}

int main(void)
{
	if (leak_warm_up(&env_fixture, warm_up))
		return 1;

#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_rfc2617_example),
		T(test_rfc7616_example),
		T(test_challenge_format),
		T(test_algorithm_names),
		T(test_round_trip),
		T(test_wrong_password),
		T(test_nonce_count),
		T(test_no_qop_once),
		T(test_unknown_nonce),
		leak_test(test_expired_nonce, &env_fixture_short),
		T(test_qop_rules),
		T(test_algorithm_mismatch),
		T(test_dummy),
		T(test_table_bounded),
		T(test_parse_fields),
		T(test_parse_errors),
		T(test_parse_truncations),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
