/*
 * fuzz_auth.c - libFuzzer target for auth_credentials_parse().
 *
 * The input is an Authorization header value as a client could send it.
 * Besides the sanitizers' own checks, every slice a successful parse returns
 * must lie inside the input, and credentials that parse are pushed through
 * verification, whose nc and qop handling reads the same slices.
 */
#include "core/loop.h"
#include "sip/auth.h"
#include "fuzz_slices.h"

#include <stdint.h>
#include <stdlib.h>

static struct loop *loop;
static struct auth_nonces *nonces;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (loop_create(&loop) || auth_nonces_create(&nonces, loop, 30))
		abort();
	return 0;
}

static void check_inside(struct slice s, const uint8_t *data, size_t size)
{
	if (!fuzz_slice_inside(s, data, size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_credentials c;
	char ha1[DIGEST_HEX_SIZE];

	if (auth_credentials_parse(slice_make((const char *)data, size), &c))
		return 0;
	const struct slice fields[] = { c.username, c.realm, c.nonce,  c.uri, c.response,
					c.cnonce,   c.nc,    c.qop,    c.opaque, c.algorithm };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		check_inside(fields[i], data, size);

	digest_ha1(c.algorithm_id, "user", "realm", "password", ha1);
	auth_verify(nonces, &c, SLICE_LIT("REGISTER"), ha1);
	auth_verify_dummy(&c, SLICE_LIT("REGISTER"));
	return 0;
}
