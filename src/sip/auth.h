/*
 * auth.h - HTTP Digest authentication for SIP (RFC 3261 22, RFC 7616,
 * RFC 8760): challenges, credential parsing, verification, nonce lifetime
 * and nonce-count replay protection.
 *
 * Challenges offer MD5, SHA-256, then MD5 again: MD5-only clients take
 * either the first challenge (SIPp, most phones) or the last (SIP.js,
 * JsSIP), and RFC 8760 clients pick the strongest they know. Some MD5-only
 * clients (libre before 3.x, hence baresip) give up on a challenge set that
 * holds an algorithm they do not know, so the caller chooses per request
 * whether SHA-256 is offered at all.
 *
 * Nonces are random, kept in a table owned by one thread with the time they
 * were issued and the highest nonce-count seen. A nonce older than the
 * lifetime, or unknown (for example after a restart), verifies as STALE so
 * the client retries with a fresh one without asking the user again. A
 * nonce-count that is not higher than the last one accepted is a replay: it
 * is never accepted, and verifies as STALE too, so a client that merely
 * sent its last credentials again gets a fresh nonce.
 *
 * Stored secrets are HA1 values (hex of H(user:realm:password)); passwords
 * are never stored or logged.
 */
#ifndef RTCB_SIP_AUTH_H
#define RTCB_SIP_AUTH_H

#include "core/digest.h"
#include "core/mbuf.h"
#include "core/slice.h"

#include <stdbool.h>
#include <stdint.h>

struct loop;

struct auth_credentials {
	struct slice username, realm, nonce, uri, response, cnonce, nc, qop, opaque;
	struct slice algorithm; /* as received, empty when absent (= MD5) */
	enum digest_algorithm algorithm_id;
};

enum auth_result {
	AUTH_OK = 0,
	AUTH_STALE,   /* right password, but an old or unknown nonce or a nonce-count
			 already seen: challenge again with stale=true */
	AUTH_FAILED,  /* wrong response */
};

struct auth_nonces;

int auth_nonces_create(struct auth_nonces **np, struct loop *loop, unsigned lifetime_s);
void auth_nonces_destroy(struct auth_nonces *n);

/*
 * Append the challenge headers: MD5 alone, or with offer_sha256 MD5,
 * SHA-256 and MD5 again (one nonce for all), each "<header_name>: Digest realm=\"..\", nonce=\"..\",
 * algorithm=.., qop=\"auth\"[, stale=true]\r\n". header_name is
 * "WWW-Authenticate" or "Proxy-Authenticate".
 */
int auth_challenge_print(struct auth_nonces *n, struct mbuf *out, const char *header_name,
			 struct slice realm, bool stale, bool offer_sha256);

/* Parse "Digest username=.., realm=.., ..." (case-insensitive scheme and
 * parameter names, quoted or token values). EINVAL when not Digest or
 * username/realm/nonce/uri/response is missing; ENOTSUP for an unknown
 * algorithm. */
int auth_credentials_parse(struct slice header_value, struct auth_credentials *c);

/* Check a response against the stored HA1 for its algorithm (hex). */
enum auth_result auth_verify(struct auth_nonces *n, const struct auth_credentials *c,
			     struct slice method, const char *ha1_hex);

/* Do the same amount of work as auth_verify for a user that does not exist,
 * so timing does not tell unknown users from wrong passwords. */
void auth_verify_dummy(const struct auth_credentials *c, struct slice method);


#endif
