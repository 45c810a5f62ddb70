/*
 * digest.c - digest hashes on OpenSSL's EVP interface; see digest.h.
 */
#include "core/digest.h"

#include "core/log.h"

#include <errno.h>

#include <openssl/evp.h>

static const char hex_digits[] = "0123456789abcdef";

const char *digest_algorithm_name(enum digest_algorithm alg)
{
	switch (alg) {
	case DIGEST_MD5:
		return "MD5";
	case DIGEST_SHA256:
		return "SHA-256";
	default:
		return "unknown";
	}
}

static const EVP_MD *algorithm_md(enum digest_algorithm alg)
{
	return alg == DIGEST_SHA256 ? EVP_sha256() : EVP_md5();
}

size_t digest_hex_len(enum digest_algorithm alg)
{
	return alg == DIGEST_SHA256 ? 64 : 32;
}

void digest_hex_encode(const unsigned char *bytes, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_digits[bytes[i] >> 4];
		out[2 * i + 1] = hex_digits[bytes[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int digest_hex(enum digest_algorithm alg, const struct slice *parts, size_t count,
	       char out[DIGEST_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	int err = EIO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	out[0] = '\0';
	if (!ctx) {
		err = ENOMEM;
		goto out;
	}
	if (!EVP_DigestInit_ex(ctx, algorithm_md(alg), NULL))
		goto out;
	for (size_t i = 0; i < count; i++) {
		if (i > 0 && !EVP_DigestUpdate(ctx, ":", 1))
			goto out;
		if (parts[i].len && !EVP_DigestUpdate(ctx, parts[i].p, parts[i].len))
			goto out;
	}
	if (!EVP_DigestFinal_ex(ctx, md, &md_len))
		goto out;
	digest_hex_encode(md, md_len, out);
	err = 0;
out:
	if (err)
		log_error("auth: %s digest failed", digest_algorithm_name(alg));
	EVP_MD_CTX_free(ctx);
	return err;
}

void digest_ha1(enum digest_algorithm alg, const char *user, const char *realm,
		const char *password, char out[DIGEST_HEX_SIZE])
{
	const struct slice parts[] = {
		slice_from_cstr(user), slice_from_cstr(realm), slice_from_cstr(password)
	};
	digest_hex(alg, parts, 3, out);
}
