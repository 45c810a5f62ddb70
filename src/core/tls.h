/*
 * tls.h - OpenSSL contexts for the TLS (and later WSS/DTLS) transports.
 *
 * With no certificate configured, a self-signed ECDSA P-256 certificate is
 * generated once into the state directory (tls-cert.pem, tls-key.pem with
 * mode 0600) and reused on later starts.
 */
#ifndef RTCB_CORE_TLS_H
#define RTCB_CORE_TLS_H

#include <openssl/ssl.h>

struct tls_ctx;

/* Server context (TLS 1.2 and 1.3) from cert_file/key_file, or from the
 * generated pair in state_dir when cert_file is NULL or empty. Also usable
 * for outgoing connections (SSL_new + SSL_set_connect_state); peers are not
 * verified for now. Errors are logged with what to fix. */
int tls_ctx_create(struct tls_ctx **ctxp, const char *cert_file, const char *key_file,
		   const char *state_dir);
void tls_ctx_free(struct tls_ctx *ctx);
SSL_CTX *tls_ctx_ssl(struct tls_ctx *ctx);
/* "sha-256 AB:CD:..." fingerprint of the certificate (for SDP/logs). */
const char *tls_ctx_fingerprint(struct tls_ctx *ctx);

/* Certificates, shared with the DTLS media certificate (dtls/cert.c). */

/* A self-signed X.509v3 certificate for key: subject and issuer CN=cn, a
 * random 128-bit serial, valid from back_s seconds ago for valid_days,
 * signed with SHA-256. With san ("DNS:localhost,IP:127.0.0.1"), also
 * basicConstraints CA:FALSE, extendedKeyUsage serverAuth+clientAuth,
 * subjectKeyIdentifier and subjectAltName; san NULL: no extensions at all.
 * 0, ENOMEM or EINVAL (OpenSSL's error queue says more). */
int tls_cert_self_signed(X509 **certp, EVP_PKEY *key, const char *cn, const char *san,
			 long back_s, int valid_days);

/* "sha-256 " and the hex pairs: room for any digest. */
#define TLS_FINGERPRINT_SIZE (sizeof("sha-256 ") + EVP_MAX_MD_SIZE * 3)
/* cert's "sha-256 AB:CD:..." fingerprint (RFC 8122) into out. 0, or EINVAL
 * (no certificate, digest failure, size below TLS_FINGERPRINT_SIZE). */
int tls_cert_fingerprint(X509 *cert, char *out, size_t size);

#endif
