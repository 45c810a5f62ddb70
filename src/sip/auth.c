/*
 * auth.c - Digest authentication: the nonce table, challenge printing,
 * credential parsing and response verification.
 *
 * Nonce table. Each challenge gets 128 random bits, printed as 32 lowercase
 * hex digits and stored raw in a hash table (keyed by the first four bytes,
 * which are random, so buckets fill evenly whatever clients send back). The
 * same entries sit on an age list in issue order; loop_now_ms() only grows,
 * so the head is always the oldest. That makes both clean-ups cheap: a
 * periodic sweep pops expired entries from the head, and when the table is
 * full (anyone can ask for challenges) the oldest entry is evicted. A
 * nonce that was swept or evicted verifies as STALE, never as OK.
 *
 * Nonce-count. An entry remembers the highest nc accepted. qop=auth requests
 * must bring a higher one; a request without qop (RFC 2069) has no nc, so it
 * may use a fresh nonce exactly once, and marks it used by setting the
 * highest nc to UINT32_MAX, which nothing is greater than. The count moves
 * only after the response checked out, so forged requests cannot burn a
 * client's counts.
 *
 * Verification order. The response is computed and compared (in constant
 * time) before the nonce is looked up: a wrong response is FAILED whatever
 * the nonce, and only a right one learns whether its nonce is still good.
 * auth_verify_dummy() runs the same hashing, so the time an answer takes does
 * not tell a missing user from a wrong password.
 *
 * Secrets (passwords, HA1, responses) are never logged.
 */
#include "sip/auth.h"

#include "core/hash.h"
#include "core/list.h"
#include "core/log.h"
#include "core/loop.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_BYTES 16
#define NONCE_HEX_LEN (2 * NONCE_BYTES)
/* A bound on memory under a challenge flood: ~80 bytes an entry. */
#define NONCES_MAX 1000000
/* To start with: the table grows with its entries (core/hash.c). */
#define NONCES_BUCKETS (1u << 10)
/* Sweeping only touches expired entries, so it may run often. */
#define SWEEP_INTERVAL_MS 1000
/* RAND_bytes costs ~2 us a call whatever the size asked for; drawing 256
 * nonces at once keeps a challenge flood from being bound by it. */
#define RANDOM_POOL_BYTES (256 * NONCE_BYTES)

struct auth_nonce {
	struct hash_link hash_link;
	struct list age_link;  /* auth_nonces.by_age, oldest first */
	uint64_t issued_ms;    /* loop_now_ms() when issued */
	uint32_t max_nc;       /* highest nc accepted; UINT32_MAX = used up */
	unsigned char raw[NONCE_BYTES];
};

struct auth_nonces {
	struct loop *loop;
	uint64_t lifetime_ms;
	struct hash table;     /* struct auth_nonce by raw nonce */
	struct list by_age;
	struct loop_timer sweep_timer;
	unsigned char random_pool[RANDOM_POOL_BYTES];
	size_t random_used;    /* bytes of random_pool already handed out */
};

/* Value of one hex digit, or -1. Upper case only when allowed: nonces are
 * printed in lower case and must come back exactly as printed. */
static int hex_value(char c, bool upper_ok)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (upper_ok && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ------------------------------------------------------------ nonces */

static uint32_t nonce_hash(const unsigned char raw[NONCE_BYTES])
{
	uint32_t h;
	memcpy(&h, raw, sizeof(h));
	return h;
}

static bool nonce_match(const struct hash_link *entry, const void *key)
{
	const struct auth_nonce *nonce = LIST_ENTRY(entry, struct auth_nonce, hash_link);
	return memcmp(nonce->raw, key, NONCE_BYTES) == 0;
}

static void nonce_free(struct auth_nonces *n, struct auth_nonce *nonce)
{
	hash_remove(&n->table, &nonce->hash_link);
	list_remove(&nonce->age_link);
	free(nonce);
}

static bool nonce_expired(const struct auth_nonces *n, const struct auth_nonce *nonce)
{
	return loop_now_ms(n->loop) - nonce->issued_ms > n->lifetime_ms;
}

static void nonces_sweep(void *arg)
{
	struct auth_nonces *n = arg;

	while (!list_empty(&n->by_age)) {
		struct auth_nonce *oldest = LIST_ENTRY(n->by_age.next, struct auth_nonce, age_link);
		if (!nonce_expired(n, oldest))
			break;
		nonce_free(n, oldest);
	}
	loop_timer_start(n->loop, &n->sweep_timer, SWEEP_INTERVAL_MS, nonces_sweep, n);
}

int auth_nonces_create(struct auth_nonces **np, struct loop *loop, unsigned lifetime_s)
{
	struct auth_nonces *n = NULL;
	int err = EINVAL;

	if (!np || !loop || lifetime_s == 0)
		goto out;
	err = ENOMEM;
	n = calloc(1, sizeof(*n));
	if (!n)
		goto out;
	err = hash_init(&n->table, NONCES_BUCKETS);
	if (err)
		goto out;
	n->loop = loop;
	n->lifetime_ms = (uint64_t)lifetime_s * 1000;
	n->random_used = RANDOM_POOL_BYTES;
	list_init(&n->by_age);
	loop_timer_start(loop, &n->sweep_timer, SWEEP_INTERVAL_MS, nonces_sweep, n);
	*np = n;
	n = NULL;
out:
	free(n);
	return err;
}

void auth_nonces_destroy(struct auth_nonces *n)
{
	if (!n)
		return;
	loop_timer_stop(n->loop, &n->sweep_timer);
	while (!list_empty(&n->by_age))
		nonce_free(n, LIST_ENTRY(n->by_age.next, struct auth_nonce, age_link));
	hash_free(&n->table);
	OPENSSL_cleanse(n->random_pool, sizeof(n->random_pool));
	free(n);
}

/* A fresh nonce in the table, its hex form in hex. */
static int nonce_issue(struct auth_nonces *n, char hex[NONCE_HEX_LEN + 1])
{
	struct auth_nonce *nonce;

	if (n->table.count >= NONCES_MAX)
		nonce_free(n, LIST_ENTRY(n->by_age.next, struct auth_nonce, age_link));
	if (n->random_used == RANDOM_POOL_BYTES) {
		if (RAND_bytes(n->random_pool, RANDOM_POOL_BYTES) != 1) {
			log_error("auth: RAND_bytes failed");
			return EIO;
		}
		n->random_used = 0;
	}
	nonce = calloc(1, sizeof(*nonce));
	if (!nonce)
		return ENOMEM;
	memcpy(nonce->raw, n->random_pool + n->random_used, NONCE_BYTES);
	n->random_used += NONCE_BYTES;
	nonce->issued_ms = loop_now_ms(n->loop);
	hash_insert(&n->table, &nonce->hash_link, nonce_hash(nonce->raw));
	list_append(&n->by_age, &nonce->age_link);
	digest_hex_encode(nonce->raw, NONCE_BYTES, hex);
	return 0;
}

/* The live entry for a nonce as the client sent it back, or NULL. */
static struct auth_nonce *nonce_find(struct auth_nonces *n, struct slice hex)
{
	unsigned char raw[NONCE_BYTES];
	struct hash_link *entry;

	if (hex.len != NONCE_HEX_LEN)
		return NULL;
	for (size_t i = 0; i < NONCE_BYTES; i++) {
		int hi = hex_value(hex.p[2 * i], false), lo = hex_value(hex.p[2 * i + 1], false);
		if (hi < 0 || lo < 0)
			return NULL;
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	entry = hash_lookup(&n->table, nonce_hash(raw), nonce_match, raw);
	return entry ? LIST_ENTRY(entry, struct auth_nonce, hash_link) : NULL;
}

/* --------------------------------------------------------- challenges */

/* The realm goes between quotes unescaped, so it must not need escaping. */
static bool realm_printable(struct slice realm)
{
	if (!realm.len)
		return false;
	for (size_t i = 0; i < realm.len; i++) {
		unsigned char ch = (unsigned char)realm.p[i];
		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
			return false;
	}
	return true;
}

int auth_challenge_print(struct auth_nonces *n, struct mbuf *out, const char *header_name,
			 struct slice realm, bool stale, bool offer_sha256)
{
	char nonce[NONCE_HEX_LEN + 1];
	int err = EINVAL;

	if (!realm_printable(realm))
		goto out;
	err = nonce_issue(n, nonce);
	if (err)
		goto out;
	/* Appends, not mbuf_printf: this runs for every unauthenticated request,
	 * floods included, and formatting was most of its cost. */
	/* MD5 first for clients that take the first challenge (SIPp, most
	 * phones), MD5 again last for those that take the last (SIP.js, JsSIP),
	 * SHA-256 between for those that choose. */
	static const enum digest_algorithm both[] = { DIGEST_MD5, DIGEST_SHA256, DIGEST_MD5 };
	size_t algorithms = offer_sha256 ? sizeof(both) / sizeof(both[0]) : 1;
	for (size_t i = 0; i < algorithms; i++) {
		enum digest_algorithm alg = both[i];
		mbuf_append_str(out, header_name);
		mbuf_append_str(out, ": Digest realm=\"");
		mbuf_append_slice(out, realm);
		mbuf_append_str(out, "\", nonce=\"");
		mbuf_append_str(out, nonce);
		mbuf_append_str(out, "\", algorithm=");
		mbuf_append_str(out, digest_algorithm_name(alg));
		mbuf_append_str(out, stale ? ", qop=\"auth\", stale=true\r\n" : ", qop=\"auth\"\r\n");
	}
	err = mbuf_failed(out) ? ENOMEM : 0;
out:
	return err;
}

/* ------------------------------------------------------------ parsing */

struct cursor {
	const char *p, *end;
};

static bool is_lws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* RFC 3261 25.1 token characters. */
static bool is_token_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("-.!%*_+`'~", ch) != NULL);
}

static void skip_lws(struct cursor *cur)
{
	while (cur->p < cur->end && is_lws(*cur->p))
		cur->p++;
}

static struct slice take_token(struct cursor *cur)
{
	const char *start = cur->p;
	while (cur->p < cur->end && is_token_char(*cur->p))
		cur->p++;
	return slice_make(start, (size_t)(cur->p - start));
}

/*
 * A quoted-string (the cursor on its opening quote) as the slice between
 * the quotes, escapes kept; or an unquoted value. Unquoted values may hold
 * more than token characters because clients send things like uri=sip:x
 * without quotes; they still stop at LWS, ',' and '"'.
 */
static int take_value(struct cursor *cur, struct slice *value)
{
	const char *start;

	if (cur->p < cur->end && *cur->p == '"') {
		start = ++cur->p;
		while (cur->p < cur->end && *cur->p != '"') {
			unsigned char ch = (unsigned char)*cur->p;
			if (ch == '\\') {
				if (++cur->p == cur->end)
					return EINVAL;
				ch = (unsigned char)*cur->p;
				if (ch == '\r' || ch == '\n')
					return EINVAL;
			} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
				return EINVAL;
			}
			cur->p++;
		}
		if (cur->p == cur->end)
			return EINVAL;
		*value = slice_make(start, (size_t)(cur->p - start));
		cur->p++;
		return 0;
	}
	start = cur->p;
	while (cur->p < cur->end && *cur->p > ' ' && *cur->p < 0x7f && *cur->p != ',' &&
	       *cur->p != '"')
		cur->p++;
	if (cur->p == start)
		return EINVAL;
	*value = slice_make(start, (size_t)(cur->p - start));
	return 0;
}

static const struct {
	const char *name;
	size_t offset;
} credential_fields[] = {
	{ "username", offsetof(struct auth_credentials, username) },
	{ "realm", offsetof(struct auth_credentials, realm) },
	{ "nonce", offsetof(struct auth_credentials, nonce) },
	{ "uri", offsetof(struct auth_credentials, uri) },
	{ "response", offsetof(struct auth_credentials, response) },
	{ "cnonce", offsetof(struct auth_credentials, cnonce) },
	{ "nc", offsetof(struct auth_credentials, nc) },
	{ "qop", offsetof(struct auth_credentials, qop) },
	{ "opaque", offsetof(struct auth_credentials, opaque) },
	{ "algorithm", offsetof(struct auth_credentials, algorithm) },
};

/* Keep a known parameter. A second copy is an error: which one counts would
 * be a guess, and two parsers guessing differently is how checks get bypassed. */
static int credentials_set(struct auth_credentials *c, struct slice name, struct slice value)
{
	for (size_t i = 0; i < sizeof(credential_fields) / sizeof(credential_fields[0]); i++) {
		if (!slice_eq_cstr_case(name, credential_fields[i].name))
			continue;
		struct slice *field = (struct slice *)((char *)c + credential_fields[i].offset);
		if (slice_is_set(*field))
			return EINVAL;
		*field = value;
		return 0;
	}
	return 0;
}

int auth_credentials_parse(struct slice header_value, struct auth_credentials *c)
{
	struct cursor cur = { header_value.p, header_value.p };
	int err = EINVAL;

	memset(c, 0, sizeof(*c));
	if (!header_value.p)
		goto out;
	cur.end = header_value.p + header_value.len;

	skip_lws(&cur);
	if (!slice_eq_cstr_case(take_token(&cur), "Digest") || cur.p == cur.end ||
	    !is_lws(*cur.p))
		goto out;
	for (;;) {
		struct slice name, value;

		skip_lws(&cur);
		if (cur.p == cur.end)
			break;
		if (*cur.p == ',') { /* empty list element, allowed by RFC 7230 7 */
			cur.p++;
			continue;
		}
		name = take_token(&cur);
		if (!name.len)
			goto out;
		skip_lws(&cur);
		if (cur.p == cur.end || *cur.p != '=')
			goto out;
		cur.p++;
		skip_lws(&cur);
		if (take_value(&cur, &value) || credentials_set(c, name, value))
			goto out;
		skip_lws(&cur);
		if (cur.p < cur.end && *cur.p != ',')
			goto out;
	}
	if (!slice_is_set(c->username) || !slice_is_set(c->realm) || !slice_is_set(c->nonce) ||
	    !slice_is_set(c->uri) || !slice_is_set(c->response))
		goto out;

	err = ENOTSUP;
	if (!slice_is_set(c->algorithm) || slice_eq_cstr_case(c->algorithm, "MD5"))
		c->algorithm_id = DIGEST_MD5;
	else if (slice_eq_cstr_case(c->algorithm, "SHA-256"))
		c->algorithm_id = DIGEST_SHA256;
	else
		goto out;
	err = 0;
out:
	return err;
}

/* ------------------------------------------------------- verification */

/* nc is exactly 8 hex digits (RFC 7616 3.4). */
static int nc_parse(struct slice nc, uint32_t *value)
{
	uint32_t v = 0;

	if (nc.len != 8)
		return EINVAL;
	for (size_t i = 0; i < nc.len; i++) {
		int digit = hex_value(nc.p[i], true);
		if (digit < 0)
			return EINVAL;
		v = v << 4 | (uint32_t)digit;
	}
	*value = v;
	return 0;
}

/*
 * Whether c->response is what the holder of ha1 would send. The
 * comparison takes the same time wherever the first difference is. Clients
 * should send lower-case hex; upper case is folded rather than refused.
 */
static bool response_matches(const struct auth_credentials *c, struct slice method,
			      struct slice ha1)
{
	char ha2[DIGEST_HEX_SIZE], expected[DIGEST_HEX_SIZE], received[DIGEST_HEX_SIZE];
	size_t hex_len = digest_hex_len(c->algorithm_id);
	const struct slice a2[] = { method, c->uri };

	if (digest_hex(c->algorithm_id, a2, 2, ha2))
		return false;
	if (slice_is_set(c->qop)) {
		const struct slice parts[] = {
			ha1, c->nonce, c->nc, c->cnonce, c->qop, slice_from_cstr(ha2)
		};
		if (digest_hex(c->algorithm_id, parts, 6, expected))
			return false;
	} else {
		const struct slice parts[] = { ha1, c->nonce, slice_from_cstr(ha2) };
		if (digest_hex(c->algorithm_id, parts, 3, expected))
			return false;
	}

	if (c->response.len != hex_len)
		return false;
	for (size_t i = 0; i < hex_len; i++) {
		char ch = c->response.p[i];
		received[i] = (ch >= 'A' && ch <= 'F') ? (char)(ch - 'A' + 'a') : ch;
	}
	return CRYPTO_memcmp(expected, received, hex_len) == 0;
}

enum auth_result auth_verify(struct auth_nonces *n, const struct auth_credentials *c,
			     struct slice method, const char *ha1_hex)
{
	struct slice ha1 = slice_from_cstr(ha1_hex);
	struct auth_nonce *nonce;
	uint32_t nc = 0;

	if (ha1.len != digest_hex_len(c->algorithm_id)) {
		log_error("auth: HA1 given for the wrong algorithm (credentials use %s)",
			  digest_algorithm_name(c->algorithm_id));
		return AUTH_FAILED;
	}
	/* Hash before judging qop and nc: returning early on a bad nc would be
	 * quicker than auth_verify_dummy() and give away which users exist. */
	bool matches = response_matches(c, method, ha1);
	if (slice_is_set(c->qop) && (!slice_eq_cstr_case(c->qop, "auth") || !c->cnonce.len ||
				     nc_parse(c->nc, &nc)))
		matches = false;
	if (!matches)
		return AUTH_FAILED;

	nonce = nonce_find(n, c->nonce);
	if (!nonce || nonce_expired(n, nonce))
		return AUTH_STALE;
	if (slice_is_set(c->qop) ? nc <= nonce->max_nc : nonce->max_nc != 0) {
		/* A replay, or a client that sends its last credentials again
		 * (SIP.js does on every refresh): either way a fresh nonce. */
		log_debug("auth: nonce-count replay for nonce %.*s", SLICE_FMT(c->nonce));
		return AUTH_STALE;
	}
	nonce->max_nc = slice_is_set(c->qop) ? nc : UINT32_MAX;
	return AUTH_OK;
}

void auth_verify_dummy(const struct auth_credentials *c, struct slice method)
{
	static const char fake_ha1[] =
		"0000000000000000000000000000000000000000000000000000000000000000";

	response_matches(c, method, slice_make(fake_ha1, digest_hex_len(c->algorithm_id)));
}
