/*
 * dtls_cert.c - the media certificate and the DTLS context every
 * connection shares.
 *
 * The certificate is made in memory at each start and never stored: peers
 * pin it by the fingerprint in our SDP, which is only valid for this run's
 * calls, so there is nothing to keep (browsers do the same). ECDSA P-256
 * because every WebRTC stack accepts it and it signs fast; self-signed, no
 * extensions a peer could trip on; valid from a day back (peer clocks) for
 * ten years (a long-running daemon).
 *
 * Context settings, and why:
 *   - DTLS 1.2 only: what RFC 8827 requires, and 1.0 is deprecated
 *     (RFC 8996).
 *   - ECDHE suites with AES-GCM, ChaCha20 and, for older SIP endpoints,
 *     AES-CBC; ECDSA and RSA peer certificates (Asterisk and FreeSWITCH
 *     often have RSA ones).
 *   - SSL_OP_NO_QUERY_MTU: there is no socket to ask; dtls.c sets DTLS_MTU.
 *   - No tickets, no session cache, no renegotiation: every media
 *     transport does one full handshake and keeps its keys.
 *   - use_srtp with GCM first: the server's order decides (OpenSSL picks
 *     the first of its own list that the client offers).
 *   - Peer verification is set per connection by dtls.c (fingerprint).
 */
#include "media/dtls.h"

#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define CIPHERS                                                                            \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                       \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                       \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                       \
	"ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA"
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"
#define CERT_VALID_DAYS 3652
#define FINGERPRINT_PREFIX "sha-256 "

struct dtls_cert {
	SSL_CTX *ssl_ctx; /* holds the key and the certificate */
	char fingerprint[sizeof(FINGERPRINT_PREFIX) + 32 * 3];
};

static int cert_build(X509 **certp, EVP_PKEY *key)
{
	X509 *cert = X509_new();
	BIGNUM *serial = BN_new();
	int err = ENOMEM;

	if (!cert || !serial)
		goto out;
	err = EINVAL;
	/* 64 random bits, top bit set: positive and non-zero */
	if (!X509_set_version(cert, X509_VERSION_3) ||
	    !BN_rand(serial, 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -24 * 3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), CERT_VALID_DAYS, 0, NULL) ||
	    !X509_set_pubkey(cert, key) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
					(const unsigned char *)"rtcbridge", -1, -1, 0) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(cert)) ||
	    !X509_sign(cert, key, EVP_sha256()))
		goto out;
	*certp = cert;
	cert = NULL;
	err = 0;
out:
	X509_free(cert);
	BN_free(serial);
	return err;
}

static int fingerprint_set(struct dtls_cert *cert, X509 *x509)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!X509_digest(x509, EVP_sha256(), md, &len) || len != 32)
		return EINVAL;
	size_t used = strlen(FINGERPRINT_PREFIX);
	memcpy(cert->fingerprint, FINGERPRINT_PREFIX, used + 1);
	for (unsigned int i = 0; i < len; i++)
		used += (size_t)snprintf(cert->fingerprint + used, sizeof(cert->fingerprint) - used,
					 i ? ":%02X" : "%02X", md[i]);
	return 0;
}

static int ctx_configure(SSL_CTX *ctx, X509 *x509, EVP_PKEY *key)
{
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_read_ahead(ctx, 1);
	if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, CIPHERS) ||
	    /* 0 is success here */
	    SSL_CTX_set_tlsext_use_srtp(ctx, SRTP_PROFILES) ||
	    SSL_CTX_use_certificate(ctx, x509) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return EINVAL;
	return 0;
}

static void cert_destroy(void *obj)
{
	struct dtls_cert *cert = obj;
	SSL_CTX_free(cert->ssl_ctx);
}

int dtls_cert_alloc(struct dtls_cert **certp)
{
	struct dtls_cert *cert = NULL;
	EVP_PKEY *key = NULL;
	X509 *x509 = NULL;
	int err;

	if (!certp)
		return EINVAL;
	cert = mem_alloc(sizeof(*cert), cert_destroy);
	if (!cert) {
		err = ENOMEM;
		goto out;
	}
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	cert->ssl_ctx = SSL_CTX_new(DTLS_method());
	if (!key || !cert->ssl_ctx) {
		err = ENOMEM;
		goto out;
	}
	if ((err = cert_build(&x509, key)) || (err = fingerprint_set(cert, x509)) ||
	    (err = ctx_configure(cert->ssl_ctx, x509, key)))
		goto out;
	*certp = cert;
	cert = NULL;
out:
	if (err) {
		const char *why = ERR_reason_error_string(ERR_peek_last_error());
		log_error("DTLS: cannot make the media certificate: %s", why ? why : strerror(err));
		ERR_clear_error();
	}
	X509_free(x509);
	EVP_PKEY_free(key);
	mem_deref(cert);
	return err;
}

const char *dtls_cert_fingerprint(const struct dtls_cert *cert)
{
	return cert ? cert->fingerprint : "";
}

SSL_CTX *dtls_cert_ssl_ctx(const struct dtls_cert *cert)
{
	return cert ? cert->ssl_ctx : NULL;
}
