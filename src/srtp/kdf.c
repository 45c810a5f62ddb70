/*
 * kdf.c - SRTP key derivation (RFC 3711 4.3), the AES-CM PRF.
 *
 * With a key derivation rate of 0 (what DTLS-SRTP and our SDES use; MKI
 * and KDR are refused by the SDES parser) r = 0 and the key id is just the
 * label, so x = master_salt XOR (label << 48): the label lands in byte 7 of
 * the 14-byte salt. The output is the AES-CTR keystream under the master
 * key from IV = x || 0x0000.
 *
 * AES-GCM's master salt has 12 bytes (RFC 7714 11): it is padded with two
 * zero bytes at the end to the PRF's 112 bits, as libsrtp does, so the
 * label still lands in byte 7.
 *
 * Runs when a session is made, never per packet: the context is made and
 * freed here.
 */
#include "srtp/internal.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>

int srtp_kdf(uint8_t *out, size_t len, const uint8_t key[SRTP_MASTER_KEY_LEN],
	     const uint8_t *salt, size_t salt_len, enum srtp_label label)
{
	uint8_t iv[16] = { 0 };
	EVP_CIPHER_CTX *ctx = NULL;
	int n, err = EIO;

	if (salt_len > SRTP_SESSION_SALT_MAX || len > INT_MAX)
		return EINVAL;
	memcpy(iv, salt, salt_len);
	iv[7] ^= (uint8_t)label;
	memset(out, 0, len);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return ENOMEM;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv) == 1 &&
	    EVP_EncryptUpdate(ctx, out, &n, out, (int)len) == 1 && (size_t)n == len)
		err = 0;
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(iv, sizeof(iv));
	if (err)
		OPENSSL_cleanse(out, len);
	return err;
}
