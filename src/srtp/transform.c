/*
 * transform.c - the SRTP and SRTCP transforms of one direction, given
 * the packet index: what to encrypt, what to authenticate, where the tag
 * and the SRTCP index go.
 *
 *   AES-CM + HMAC-SHA1 (RFC 3711 4.1.1, 4.2.1)
 *     IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16), 16 bytes
 *     SRTP:  header | payload^keystream | tag(HMAC(header|payload|ROC))
 *            with a 10-byte tag, 4 bytes for AES128_CM_SHA1_32
 *     SRTCP: header | payload^keystream | E|index | tag(HMAC(all before))
 *            with a 10-byte tag for both profiles: libsrtp's
 *            srtp_crypto_policy_set_from_profile_for_rtcp() gives _32 the
 *            80-bit RTCP policy (RFC 3711 requires 80 bits for SRTCP), and
 *            so do browsers
 *   AES-GCM (RFC 7714 8, 9)
 *     IV = (0x0000 | SSRC | index as 48 bits) XOR salt, 12 bytes; for
 *     SRTCP the index has 31 bits and the E flag is not part of it
 *     SRTP:  header | seal(payload) | tag16, AAD = the whole header
 *     SRTCP: header | seal(payload) | tag16 | E|index, AAD = header|E|index
 *            (E unset: everything before the tag is AAD, nothing sealed)
 *
 * Each transform keeps one EVP_CIPHER_CTX keyed once; per packet only the
 * IV is set. HMAC-SHA1 is done here on SHA_CTX states with the key pads
 * already hashed: OpenSSL 3.0's EVP_MAC and HMAC_CTX re-initialise by
 * duplicating a digest context, two allocations per packet and 2.5 times
 * the time of this (437 vs 172 ns for a 176-byte packet). SHA1_Init and
 * friends are deprecated in 3.0 but kept in 3.x; this is the one file that
 * uses them, hence OPENSSL_SUPPRESS_DEPRECATED below.
 *
 * Authentication is checked before decryption (AES-CM), and with
 * CRYPTO_memcmp. AES-GCM decrypts while it checks: on EBADMSG the payload
 * is garbage, and the caller drops it as it drops every failed packet.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "srtp/internal.h"

#include "core/byteorder.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#define RTCP_HEADER_LEN 8
#define RTCP_WORD_LEN 4
#define CM_TAG_LEN 10
#define CM_TAG_LEN_32 4
#define GCM_IV_LEN 12



/* ------------------------------------------------------------- HMAC-SHA1 */

static void hmac_init(struct srtp_hmac *h, const uint8_t key[SRTP_AUTH_KEY_LEN])
{
	uint8_t pad[64];

	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < SRTP_AUTH_KEY_LEN; i++)
		pad[i] ^= key[i];
	SHA1_Init(&h->inner);
	SHA1_Update(&h->inner, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < SRTP_AUTH_KEY_LEN; i++)
		pad[i] ^= key[i];
	SHA1_Init(&h->outer);
	SHA1_Update(&h->outer, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
}

/* HMAC over a then b (b may be empty). */
static void hmac_sha1(const struct srtp_hmac *h, const uint8_t *a, size_t a_len, const uint8_t *b,
		      size_t b_len, uint8_t out[SHA_DIGEST_LENGTH])
{
	SHA_CTX c = h->inner;
	uint8_t inner[SHA_DIGEST_LENGTH];

	SHA1_Update(&c, a, a_len);
	if (b_len)
		SHA1_Update(&c, b, b_len);
	SHA1_Final(inner, &c);
	c = h->outer;
	SHA1_Update(&c, inner, sizeof(inner));
	SHA1_Final(out, &c);
}

/* ------------------------------------------------------------- ciphers */

/* XORs the AES-CM keystream for (ssrc, index) into p. */
static int cm_crypt(struct srtp_transform *t, uint32_t ssrc, uint64_t index, uint8_t *p, size_t len)
{
	uint8_t iv[16];
	int n;

	if (!len)
		return 0;
	memcpy(iv, t->salt, 14);
	iv[14] = iv[15] = 0;
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
	if (EVP_EncryptInit_ex(t->cipher, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(t->cipher, p, &n, p, (int)len) != 1 || (size_t)n != len)
		return EIO;
	return 0;
}

static void gcm_iv(const struct srtp_transform *t, uint32_t ssrc, uint64_t index,
		   uint8_t iv[GCM_IV_LEN])
{
	memcpy(iv, t->salt, GCM_IV_LEN);
	for (int i = 0; i < 4; i++)
		iv[2 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
	for (int i = 0; i < 6; i++)
		iv[6 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* Seals p in place and writes the tag at p + len. AAD is a then b. */
static int gcm_seal(struct srtp_transform *t, const uint8_t iv[GCM_IV_LEN], const uint8_t *a,
		    size_t a_len, const uint8_t *b, size_t b_len, uint8_t *p, size_t len)
{
	EVP_CIPHER_CTX *c = t->cipher;
	int n;

	if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
	    (a_len && EVP_EncryptUpdate(c, NULL, &n, a, (int)a_len) != 1) ||
	    (b_len && EVP_EncryptUpdate(c, NULL, &n, b, (int)b_len) != 1) ||
	    (len && EVP_EncryptUpdate(c, p, &n, p, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(c, p + len, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, SRTP_GCM_TAG_LEN, p + len) != 1)
		return EIO;
	return 0;
}

/* Opens p in place against the tag at p + len: EBADMSG when it fails. */
static int gcm_open(struct srtp_transform *t, const uint8_t iv[GCM_IV_LEN], const uint8_t *a,
		    size_t a_len, const uint8_t *b, size_t b_len, uint8_t *p, size_t len)
{
	EVP_CIPHER_CTX *c = t->cipher;
	int n;

	if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, SRTP_GCM_TAG_LEN, p + len) != 1 ||
	    (a_len && EVP_DecryptUpdate(c, NULL, &n, a, (int)a_len) != 1) ||
	    (b_len && EVP_DecryptUpdate(c, NULL, &n, b, (int)b_len) != 1) ||
	    (len && EVP_DecryptUpdate(c, p, &n, p, (int)len) != 1))
		return EIO;
	return EVP_DecryptFinal_ex(c, p + len, &n) == 1 ? 0 : EBADMSG;
}

/* ------------------------------------------------------------- setup */

int srtp_transform_init(struct srtp_transform *t, enum srtp_profile profile, bool rtcp,
			const struct srtp_session_keys *keys)
{
	static const uint8_t zero_iv[16];
	bool gcm = profile == SRTP_PROFILE_AEAD_AES_128_GCM;

	memset(t, 0, sizeof(*t));
	t->gcm = gcm;
	if (gcm)
		t->tag_len = SRTP_GCM_TAG_LEN;
	else
		t->tag_len = profile == SRTP_PROFILE_AES128_CM_SHA1_32 && !rtcp ? CM_TAG_LEN_32 : CM_TAG_LEN;
	memcpy(t->salt, keys->salt, srtp_profile_salt_len(profile));
	t->cipher = EVP_CIPHER_CTX_new();
	if (!t->cipher)
		return ENOMEM;
	if (gcm ? EVP_EncryptInit_ex(t->cipher, EVP_aes_128_gcm(), NULL, keys->key, NULL) != 1
		: EVP_EncryptInit_ex(t->cipher, EVP_aes_128_ctr(), NULL, keys->key, zero_iv) != 1) {
		srtp_transform_clear(t);
		return EIO;
	}
	if (!gcm)
		hmac_init(&t->hmac, keys->auth);
	return 0;
}

int srtp_transform_derive(struct srtp_transform *t, enum srtp_profile profile, bool rtcp,
			  const struct srtp_master *master)
{
	struct srtp_session_keys keys;
	size_t salt_len = srtp_profile_salt_len(profile);
	int err;

	memset(t, 0, sizeof(*t));
	memset(&keys, 0, sizeof(keys));
	if ((err = srtp_kdf(keys.key, sizeof(keys.key), master->key, master->salt, salt_len,
			    rtcp ? SRTP_LABEL_RTCP_ENCRYPTION : SRTP_LABEL_RTP_ENCRYPTION)) ||
	    (err = srtp_kdf(keys.salt, salt_len, master->key, master->salt, salt_len,
			    rtcp ? SRTP_LABEL_RTCP_SALT : SRTP_LABEL_RTP_SALT)))
		goto out;
	if (profile != SRTP_PROFILE_AEAD_AES_128_GCM &&
	    (err = srtp_kdf(keys.auth, sizeof(keys.auth), master->key, master->salt, salt_len,
			    rtcp ? SRTP_LABEL_RTCP_AUTH : SRTP_LABEL_RTP_AUTH)))
		goto out;
	err = srtp_transform_init(t, profile, rtcp, &keys);
out:
	OPENSSL_cleanse(&keys, sizeof(keys));
	return err;
}

void srtp_transform_clear(struct srtp_transform *t)
{
	EVP_CIPHER_CTX_free(t->cipher);
	OPENSSL_cleanse(t, sizeof(*t));
}

/* ------------------------------------------------------------- SRTP */

int srtp_transform_rtp_encrypt(struct srtp_transform *t, uint8_t *buf, size_t header_len,
			       size_t payload_len, uint32_t ssrc, uint64_t index)
{
	uint8_t *payload = buf + header_len;
	uint8_t roc[4], mac[SHA_DIGEST_LENGTH];
	int err;

	if (t->gcm) {
		uint8_t iv[GCM_IV_LEN];
		gcm_iv(t, ssrc, index, iv);
		return gcm_seal(t, iv, buf, header_len, NULL, 0, payload, payload_len);
	}
	if ((err = cm_crypt(t, ssrc, index, payload, payload_len)))
		return err;
	be32_put(roc, (uint32_t)(index >> 16));
	hmac_sha1(&t->hmac, buf, header_len + payload_len, roc, sizeof(roc), mac);
	memcpy(payload + payload_len, mac, t->tag_len);
	return 0;
}

int srtp_transform_rtp_decrypt(struct srtp_transform *t, uint8_t *buf, size_t header_len,
			       size_t payload_len, uint32_t ssrc, uint64_t index)
{
	uint8_t *payload = buf + header_len;
	uint8_t roc[4], mac[SHA_DIGEST_LENGTH];

	if (t->gcm) {
		uint8_t iv[GCM_IV_LEN];
		gcm_iv(t, ssrc, index, iv);
		return gcm_open(t, iv, buf, header_len, NULL, 0, payload, payload_len);
	}
	be32_put(roc, (uint32_t)(index >> 16));
	hmac_sha1(&t->hmac, buf, header_len + payload_len, roc, sizeof(roc), mac);
	if (CRYPTO_memcmp(mac, payload + payload_len, t->tag_len) != 0)
		return EBADMSG;
	return cm_crypt(t, ssrc, index, payload, payload_len);
}

/* ------------------------------------------------------------- SRTCP */

int srtp_transform_rtcp_encrypt(struct srtp_transform *t, uint8_t *buf, size_t *len,
				uint32_t index)
{
	uint32_t ssrc = be32_get(buf + 4);
	uint8_t *payload = buf + RTCP_HEADER_LEN;
	size_t payload_len = *len - RTCP_HEADER_LEN;
	uint8_t word[RTCP_WORD_LEN], mac[SHA_DIGEST_LENGTH];
	int err;

	be32_put(word, SRTCP_E_FLAG | index);
	if (t->gcm) {
		uint8_t iv[GCM_IV_LEN];
		gcm_iv(t, ssrc, index, iv);
		if ((err = gcm_seal(t, iv, buf, RTCP_HEADER_LEN, word, sizeof(word), payload,
				    payload_len)))
			return err;
		memcpy(buf + *len + SRTP_GCM_TAG_LEN, word, sizeof(word));
	} else {
		if ((err = cm_crypt(t, ssrc, index, payload, payload_len)))
			return err;
		memcpy(buf + *len, word, sizeof(word));
		hmac_sha1(&t->hmac, buf, *len + sizeof(word), NULL, 0, mac);
		memcpy(buf + *len + sizeof(word), mac, t->tag_len);
	}
	*len += RTCP_WORD_LEN + t->tag_len;
	return 0;
}

int srtp_transform_rtcp_word(const struct srtp_transform *t, const uint8_t *buf, size_t len,
			     uint32_t *word)
{
	if (len < RTCP_HEADER_LEN + RTCP_WORD_LEN + t->tag_len)
		return EMSGSIZE;
	*word = be32_get(buf + len - RTCP_WORD_LEN - (t->gcm ? 0 : t->tag_len));
	return 0;
}

int srtp_transform_rtcp_decrypt(struct srtp_transform *t, uint8_t *buf, size_t *len)
{
	uint32_t word;
	int err;

	if ((err = srtp_transform_rtcp_word(t, buf, *len, &word)))
		return err;
	uint32_t ssrc = be32_get(buf + 4), index = word & SRTCP_INDEX_MAX;
	size_t end = *len - RTCP_WORD_LEN - t->tag_len; /* where the payload ends */
	bool encrypted = word & SRTCP_E_FLAG;

	if (t->gcm) {
		uint8_t iv[GCM_IV_LEN];
		const uint8_t *word_bytes = buf + end + SRTP_GCM_TAG_LEN;
		gcm_iv(t, ssrc, index, iv);
		if (encrypted)
			err = gcm_open(t, iv, buf, RTCP_HEADER_LEN, word_bytes, RTCP_WORD_LEN,
				       buf + RTCP_HEADER_LEN, end - RTCP_HEADER_LEN);
		else
			err = gcm_open(t, iv, buf, end, word_bytes, RTCP_WORD_LEN, buf + end, 0);
	} else {
		uint8_t mac[SHA_DIGEST_LENGTH];
		hmac_sha1(&t->hmac, buf, end + RTCP_WORD_LEN, NULL, 0, mac);
		if (CRYPTO_memcmp(mac, buf + end + RTCP_WORD_LEN, t->tag_len) != 0)
			return EBADMSG;
		if (encrypted)
			err = cm_crypt(t, ssrc, index, buf + RTCP_HEADER_LEN, end - RTCP_HEADER_LEN);
	}
	if (!err)
		*len = end;
	return err;
}
