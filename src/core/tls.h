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

#endif
