/*
 * cert.c - the media certificate and the DTLS context every
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
#include "dtls/dtls.h"

#include "core/log.h"
#include "core/mem.h"
#include "core/tls.h"

#include <errno.h>
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

struct dtls_cert {
	SSL_CTX *ssl_ctx; /* holds the key and the certificate */
	char fingerprint[TLS_FINGERPRINT_SIZE];
};


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
	/* no extensions; a day back for peers' clocks */
	if ((err = tls_cert_self_signed(&x509, key, "rtcbridge", NULL, 24 * 3600,
					CERT_VALID_DAYS)) ||
	    (err = tls_cert_fingerprint(x509, cert->fingerprint, sizeof(cert->fingerprint))) ||
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
