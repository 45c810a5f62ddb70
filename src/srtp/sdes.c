/*
 * sdes.c - SDP Security Descriptions (RFC 4568): the a=crypto value.
 *
 *   a=crypto:<tag> <suite> inline:<base64(key || salt)>[|<lifetime>][|<MKI>:<len>]
 *
 * One inline key per line, no MKI and no session parameters: that is what
 * SIP phones, Asterisk, FreeSWITCH and rtpengine send in practice, and
 * each of the refused features would change how packets are protected
 * (UNENCRYPTED_SRTP, KDR, a second key selected by MKI), so accepting and
 * ignoring them would break the call in ways that are hard to see. The
 * caller answers with another line, or rejects the m= line, and can log the
 * reason.
 *
 * Base64 through OpenSSL's EVP_DecodeBlock, after restoring the '=' padding
 * that some endpoints leave out.
 */
#include "srtp/srtp.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define TAG_MAX 999999999u /* 1*9DIGIT */
#define KEY_SALT_MAX (SRTP_MASTER_KEY_LEN + SRTP_MASTER_SALT_MAX)
/* base64 of KEY_SALT_MAX bytes, padded */
#define BASE64_MAX (((KEY_SALT_MAX + 2) / 3) * 4)

static const struct {
	const char *name;
	enum srtp_profile profile;
} suites[] = {
	{ "AES_CM_128_HMAC_SHA1_80", SRTP_PROFILE_AES128_CM_SHA1_80 },
	{ "AES_CM_128_HMAC_SHA1_32", SRTP_PROFILE_AES128_CM_SHA1_32 },
	{ "AEAD_AES_128_GCM", SRTP_PROFILE_AEAD_AES_128_GCM },
};

static const char *suite_name(enum srtp_profile profile)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].profile == profile)
			return suites[i].name;
	return NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The next whitespace-separated field of *rest; *rest moves past it. */
static struct slice next_field(struct slice *rest)
{
	size_t i = 0;
	while (i < rest->len && is_space(rest->p[i]))
		i++;
	size_t start = i;
	while (i < rest->len && !is_space(rest->p[i]))
		i++;
	struct slice field = slice_make(rest->p + start, i - start);
	*rest = slice_make(rest->p + i, rest->len - i);
	return field;
}

/* Splits *rest at the first c: returns what comes before, *rest becomes
 * what follows (empty and unset when there is no c). */
static struct slice split_at(struct slice *rest, char c)
{
	long i = slice_index(*rest, c);
	if (i < 0) {
		struct slice all = *rest;
		*rest = SLICE_NULL;
		return all;
	}
	struct slice before = slice_make(rest->p, (size_t)i);
	*rest = slice_make(rest->p + i + 1, rest->len - (size_t)i - 1);
	return before;
}

/* "2^n" or a decimal packet count (RFC 4568 9.2). */
static bool lifetime_valid(struct slice s)
{
	uint32_t v;
	if (s.len > 2 && s.p[0] == '2' && s.p[1] == '^')
		return slice_to_u32(slice_make(s.p + 2, s.len - 2), &v) == 0 && v <= 64;
	uint64_t n;
	return slice_to_u64(s, &n) == 0;
}

/* Decodes base64 text of exactly want bytes into out. */
static bool base64_decode(struct slice text, uint8_t *out, size_t want)
{
	char padded[BASE64_MAX + 1];
	unsigned char raw[BASE64_MAX];
	size_t len = text.len, pad = 0;
	bool ok = false;

	while (len && text.p[len - 1] == '=') {
		len--;
		pad++;
	}
	/* 4n+1 characters never encode whole bytes */
	if (pad > 2 || len % 4 == 1 || len + (4 - len % 4) % 4 > BASE64_MAX)
		return false;
	memcpy(padded, text.p, len);
	pad = (4 - len % 4) % 4;
	memset(padded + len, '=', pad);
	padded[len + pad] = '\0';
	int n = EVP_DecodeBlock(raw, (const unsigned char *)padded, (int)(len + pad));
	/* EVP_DecodeBlock counts the bytes the padding stands for */
	if (n >= 0 && (size_t)n - pad == want && memchr(padded, '=', len) == NULL) {
		memcpy(out, raw, want);
		ok = true;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(padded, sizeof(padded));
	return ok;
}

int sdes_crypto_parse(struct sdes_crypto *out, struct slice value, const char **reason)
{
	struct slice rest = slice_trim(value);
	struct slice tag = next_field(&rest);
	struct slice suite = next_field(&rest);
	struct slice params = next_field(&rest);
	uint8_t key_salt[KEY_SALT_MAX];
	const char *why = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!params.len) {
		why = "expected <tag> <suite> inline:<key>";
		goto out;
	}
	if (next_field(&rest).len) {
		why = "session parameters are not supported";
		goto out;
	}
	if (tag.len > 9 || slice_to_u32(tag, &out->tag) || out->tag > TAG_MAX) {
		why = "bad tag";
		goto out;
	}
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (slice_eq_cstr(suite, suites[i].name))
			break;
	if (i == sizeof(suites) / sizeof(suites[0])) {
		why = "unsupported crypto suite";
		goto out;
	}
	out->profile = suites[i].profile;
	if (slice_index(params, ';') >= 0) {
		why = "more than one key is not supported";
		goto out;
	}
	if (!slice_starts_with_case(params, "inline:")) {
		why = "key method is not inline";
		goto out;
	}
	params = slice_make(params.p + 7, params.len - 7);
	struct slice key = split_at(&params, '|');
	struct slice lifetime = split_at(&params, '|');
	if (slice_index(lifetime, ':') >= 0 || slice_is_set(params)) {
		why = "MKI is not supported";
		goto out;
	}
	if (slice_is_set(lifetime) && !lifetime_valid(lifetime)) {
		why = "bad key lifetime";
		goto out;
	}
	size_t salt_len = srtp_profile_salt_len(out->profile);
	if (!base64_decode(key, key_salt, SRTP_MASTER_KEY_LEN + salt_len)) {
		why = "key is not base64 of the suite's key and salt length";
		goto out;
	}
	memcpy(out->master.key, key_salt, SRTP_MASTER_KEY_LEN);
	memcpy(out->master.salt, key_salt + SRTP_MASTER_KEY_LEN, salt_len);
out:
	OPENSSL_cleanse(key_salt, sizeof(key_salt));
	if (why) {
		OPENSSL_cleanse(out, sizeof(*out));
		if (reason)
			*reason = why;
		return EINVAL;
	}
	return 0;
}

int sdes_crypto_generate(struct sdes_crypto *out, uint32_t tag, enum srtp_profile profile)
{
	if (!out || !suite_name(profile) || tag > TAG_MAX)
		return EINVAL;
	memset(out, 0, sizeof(*out));
	out->tag = tag;
	out->profile = profile;
	if (RAND_bytes(out->master.key, SRTP_MASTER_KEY_LEN) != 1 ||
	    RAND_bytes(out->master.salt, (int)srtp_profile_salt_len(profile)) != 1) {
		OPENSSL_cleanse(out, sizeof(*out));
		return EIO;
	}
	return 0;
}

void sdes_crypto_print(struct mbuf *b, const struct sdes_crypto *crypto)
{
	uint8_t key_salt[KEY_SALT_MAX];
	char text[BASE64_MAX + 1];
	const char *name = suite_name(crypto->profile);
	size_t salt_len = srtp_profile_salt_len(crypto->profile);

	if (!name) {
		b->failed = true;
		return;
	}
	memcpy(key_salt, crypto->master.key, SRTP_MASTER_KEY_LEN);
	memcpy(key_salt + SRTP_MASTER_KEY_LEN, crypto->master.salt, salt_len);
	EVP_EncodeBlock((unsigned char *)text, key_salt, (int)(SRTP_MASTER_KEY_LEN + salt_len));
	mbuf_printf(b, "%u %s inline:%s", (unsigned)crypto->tag, name, text);
	OPENSSL_cleanse(key_salt, sizeof(key_salt));
	OPENSSL_cleanse(text, sizeof(text));
}
