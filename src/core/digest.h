/*
 * digest.h - the hashes of HTTP digest authentication (RFC 7616), shared
 * by the SIP digest code (sip/auth.c) and the user store, which keeps
 * HA1 = hex(H(user:realm:password)) per algorithm and never a password.
 *
 * Hex output is lower case, NUL-terminated, in a DIGEST_HEX_SIZE buffer.
 */
#ifndef RTCB_CORE_DIGEST_H
#define RTCB_CORE_DIGEST_H

#include "core/slice.h"

#include <stddef.h>

enum digest_algorithm { DIGEST_MD5 = 0, DIGEST_SHA256, DIGEST_COUNT };

/* SHA-256 hex (64) + NUL. */
#define DIGEST_HEX_SIZE 65

/* "MD5", "SHA-256" ("unknown" for anything else). */
const char *digest_algorithm_name(enum digest_algorithm alg);

/* Length of a hex digest: 32 for MD5, 64 for SHA-256. */
size_t digest_hex_len(enum digest_algorithm alg);

/* hex(H(parts[0] ":" parts[1] ":" ...)) into out, hashing the parts in
 * place. 0, or ENOMEM/EIO when OpenSSL fails (out of memory, or MD5
 * disabled by a FIPS configuration; logged); out is "" then. */
int digest_hex(enum digest_algorithm alg, const struct slice *parts, size_t count,
	       char out[DIGEST_HEX_SIZE]);

/* hex(H(user:realm:password)) into out. */
void digest_ha1(enum digest_algorithm alg, const char *user, const char *realm,
		const char *password, char out[DIGEST_HEX_SIZE]);

/* len bytes as 2 * len lower-case hex digits and a NUL into out. */
void digest_hex_encode(const unsigned char *bytes, size_t len, char *out);

#endif
