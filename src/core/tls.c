/*
 * tls.c - one OpenSSL context per listener kind, and the generated
 * self-signed certificate that makes TLS work on first start.
 *
 * Context settings, and why:
 *   - TLS 1.2 and 1.3 only; no compression (CRIME); OpenSSL's TLS 1.3
 *     suites and the Mozilla "intermediate" list for TLS 1.2, which SIP
 *     phones of the last decade support.
 *   - No session cache and no tickets: SIP connections are long-lived, so
 *     a full handshake on reconnect costs less than the per-session state
 *     and the ticket keys that resumption would need us to manage.
 *   - Partial writes and moving write buffers, because the transports
 *     write from an output queue that may be reallocated between retries;
 *     released buffers, because most SIP connections sit idle.
 *
 * Files: a configured certificate file may hold a chain (leaf first) and,
 * when no key file is configured, the key too. Without a configured file
 * the pair is <state_dir>/tls-cert.pem and tls-key.pem: loaded when both
 * exist, otherwise generated (ECDSA P-256, self-signed, 10 years) and
 * written through a temporary file and rename, so a crash never leaves a
 * half-written key. An existing pair that does not load is an error, never
 * silently replaced: the operator may have put it there.
 */
#include "core/tls.h"

#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define TLS12_CIPHERS                                                                      \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                       \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                       \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                       \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"

#define CERT_VALID_DAYS 3652
#define FINGERPRINT_PREFIX "sha-256 "

struct tls_ctx {
	SSL_CTX *ssl;
	char fingerprint[TLS_FINGERPRINT_SIZE];
};

/* The most recent OpenSSL error as text; clears the queue. */
static const char *ssl_error(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, buf, size);
	else
		snprintf(buf, size, "unknown OpenSSL error");
	ERR_clear_error();
	return buf;
}

/* ---------------------------------------------------------------------------
 * Generating the self-signed pair
 */

/* Only letters, digits, '-' and '.' may go into a DNS subjectAltName; the
 * value is also spliced into an OpenSSL config string, where ',' or ':'
 * would add entries of their own. */
static bool dns_name_ok(const char *s)
{
	if (!s[0] || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.'))
			return false;
	return true;
}

static int cert_add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	int ok = ext && X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : EINVAL;
}

int tls_cert_self_signed(X509 **certp, EVP_PKEY *key, const char *cn, const char *san,
			 long back_s, int valid_days)
{
	X509 *cert = X509_new();
	BIGNUM *serial = BN_new();
	int err = ENOMEM;

	if (!cert || !serial)
		goto out;
	err = EINVAL;
	/* 128 random bits, top bit set: positive, non-zero, within RFC 5280's 20 octets. */
	if (!X509_set_version(cert, X509_VERSION_3) ||
	    !BN_rand(serial, 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -back_s) ||
	    !X509_time_adj_ex(X509_getm_notAfter(cert), valid_days, 0, NULL) ||
	    !X509_set_pubkey(cert, key) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(cert)))
		goto out;
	/* No keyUsage: with it, the certificate would need keyCertSign to count
	 * as self-signed, and RFC 5280 allows that bit only on a CA. Without
	 * it, a peer can pin this certificate as its own trust anchor. */
	if (san && ((err = cert_add_ext(cert, NID_basic_constraints, "critical,CA:FALSE")) ||
		    /* clientAuth too: the same context makes outgoing connections */
		    (err = cert_add_ext(cert, NID_ext_key_usage, "serverAuth,clientAuth")) ||
		    (err = cert_add_ext(cert, NID_subject_key_identifier, "hash")) ||
		    (err = cert_add_ext(cert, NID_subject_alt_name, san))))
		goto out;
	if (!X509_sign(cert, key, EVP_sha256())) {
		err = EINVAL;
		goto out;
	}
	*certp = cert;
	cert = NULL;
	err = 0;
out:
	X509_free(cert);
	BN_free(serial);
	return err;
}

/* The TLS certificate: CN this host's name, SAN it, localhost and the
 * loopback addresses; valid from an hour back, for peers whose clock is a
 * little behind. */
static int cert_build(X509 **certp, EVP_PKEY *key)
{
	char host[256] = "";
	char san[512];

	if (gethostname(host, sizeof(host)) || !dns_name_ok(host))
		snprintf(host, sizeof(host), "localhost");
	if (strcmp(host, "localhost") == 0)
		snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1");
	else
		snprintf(san, sizeof(san), "DNS:localhost,DNS:%s,IP:127.0.0.1,IP:::1", host);
	return tls_cert_self_signed(certp, key, host, san, 3600, CERT_VALID_DAYS);
}

/* Writes a key (when key is set) or a certificate to path with mode, via
 * path.tmp and rename. */
static int pem_write(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int fd = -1;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		err = ENAMETOOLONG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	/* fchmod: a leftover tmp file keeps its old mode through O_TRUNC */
	if (fd < 0 || fchmod(fd, mode)) {
		err = errno;
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = errno;
		goto out;
	}
	fd = -1;
	if (!(key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert))) {
		err = EIO;
		goto out;
	}
	if (fflush(f) || fsync(fileno(f)))
		err = errno;
out:
	if (f && fclose(f) && !err)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		log_error("cannot write %s: %s", path, strerror(err));
		unlink(tmp);
	}
	return err;
}

static int pair_generate(const char *state_dir, const char *cert_path, const char *key_path)
{
	char buf[256];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int err = 0;

	if (mkdir(state_dir, 0700) && errno != EEXIST) {
		err = errno;
		log_error("cannot create state directory %s: %s", state_dir, strerror(err));
		goto out;
	}
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!key) {
		err = ENOMEM;
		log_error("cannot generate a TLS key: %s", ssl_error(buf, sizeof(buf)));
		goto out;
	}
	if ((err = cert_build(&cert, key))) {
		log_error("cannot build a self-signed certificate: %s", ssl_error(buf, sizeof(buf)));
		goto out;
	}
	/* key first: a certificate never exists without its key */
	if ((err = pem_write(key_path, 0600, key, NULL)) || (err = pem_write(cert_path, 0644, NULL, cert)))
		goto out;
	log_notice("generated a self-signed TLS certificate %s (key %s)", cert_path, key_path);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return err;
}

/* Fills cert_path and key_path with the generated pair in state_dir,
 * creating it unless both files are there. */
static int pair_ensure(const char *state_dir, char *cert_path, char *key_path)
{
	bool have_cert, have_key;

	if (!state_dir || !state_dir[0]) {
		log_error("TLS: no certificate configured and no state directory to generate one into");
		return EINVAL;
	}
	if (snprintf(cert_path, PATH_MAX, "%s/tls-cert.pem", state_dir) >= PATH_MAX ||
	    snprintf(key_path, PATH_MAX, "%s/tls-key.pem", state_dir) >= PATH_MAX) {
		log_error("TLS: state directory name too long: %s", state_dir);
		return ENAMETOOLONG;
	}
	have_cert = access(cert_path, F_OK) == 0;
	have_key = access(key_path, F_OK) == 0;
	if (have_cert && have_key)
		return 0;
	if (have_cert || have_key)
		log_warn("TLS: %s is missing; generating a new pair", have_cert ? key_path : cert_path);
	return pair_generate(state_dir, cert_path, key_path);
}

/* ---------------------------------------------------------------------------
 * The context
 */

static int ctx_configure(SSL_CTX *ssl)
{
	SSL_CTX_set_options(ssl, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ssl, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (!SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ssl, TLS12_CIPHERS) || !SSL_CTX_set_num_tickets(ssl, 0) ||
	    !SSL_CTX_set_dh_auto(ssl, 1))
		return EINVAL;
	return 0;
}

/* Key first, then the certificate chain: OpenSSL drops a mismatching key
 * silently when the certificate comes second, and the check below then
 * says so in words instead of a half-loaded context. */
static int pair_load(SSL_CTX *ssl, const char *cert_path, const char *key_path)
{
	char buf[256];
	int err;

	if (access(key_path, R_OK)) {
		err = errno;
		log_error("cannot read TLS key %s: %s", key_path, strerror(err));
		return err;
	}
	if (access(cert_path, R_OK)) {
		err = errno;
		log_error("cannot read TLS certificate %s: %s", cert_path, strerror(err));
		return err;
	}
	if (SSL_CTX_use_PrivateKey_file(ssl, key_path, SSL_FILETYPE_PEM) != 1) {
		log_error("TLS key %s: not a usable PEM private key (%s)", key_path, ssl_error(buf, sizeof(buf)));
		return EINVAL;
	}
	if (SSL_CTX_use_certificate_chain_file(ssl, cert_path) != 1) {
		log_error("TLS certificate %s: not a usable PEM certificate (%s)", cert_path,
			  ssl_error(buf, sizeof(buf)));
		return EINVAL;
	}
	if (SSL_CTX_check_private_key(ssl) != 1) {
		ERR_clear_error();
		log_error("TLS key %s does not belong to the certificate in %s", key_path, cert_path);
		return EINVAL;
	}
	return 0;
}

int tls_cert_fingerprint(X509 *cert, char *out, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!cert || !X509_digest(cert, EVP_sha256(), md, &len) || size < TLS_FINGERPRINT_SIZE)
		return EINVAL;
	size_t used = strlen(FINGERPRINT_PREFIX);
	memcpy(out, FINGERPRINT_PREFIX, used + 1);
	for (unsigned int i = 0; i < len; i++)
		used += (size_t)snprintf(out + used, size - used, i ? ":%02X" : "%02X", md[i]);
	return 0;
}

static int fingerprint_set(struct tls_ctx *ctx)
{
	return tls_cert_fingerprint(SSL_CTX_get0_certificate(ctx->ssl), ctx->fingerprint,
				    sizeof(ctx->fingerprint));
}

int tls_ctx_create(struct tls_ctx **ctxp, const char *cert_file, const char *key_file,
		   const char *state_dir)
{
	char cert_path[PATH_MAX], key_path[PATH_MAX];
	char buf[256];
	struct tls_ctx *ctx = NULL;
	int err;

	if (!ctxp)
		return EINVAL;
	if (cert_file && cert_file[0]) {
		const char *key = key_file && key_file[0] ? key_file : cert_file;
		if (snprintf(cert_path, sizeof(cert_path), "%s", cert_file) >= (int)sizeof(cert_path) ||
		    snprintf(key_path, sizeof(key_path), "%s", key) >= (int)sizeof(key_path)) {
			log_error("TLS: certificate or key file name too long");
			err = ENAMETOOLONG;
			goto out;
		}
	} else if ((err = pair_ensure(state_dir, cert_path, key_path))) {
		goto out;
	}

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		err = ENOMEM;
		goto out;
	}
	ctx->ssl = SSL_CTX_new(TLS_method());
	if (!ctx->ssl || (err = ctx_configure(ctx->ssl))) {
		log_error("TLS: cannot set up a context: %s", ssl_error(buf, sizeof(buf)));
		err = ctx->ssl ? err : ENOMEM;
		goto out;
	}
	if ((err = pair_load(ctx->ssl, cert_path, key_path)) || (err = fingerprint_set(ctx)))
		goto out;
	log_info("TLS certificate %s, fingerprint %s", cert_path, ctx->fingerprint);
	*ctxp = ctx;
	ctx = NULL;
out:
	tls_ctx_free(ctx);
	return err;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl);
	free(ctx);
}

SSL_CTX *tls_ctx_ssl(struct tls_ctx *ctx)
{
	return ctx ? ctx->ssl : NULL;
}

const char *tls_ctx_fingerprint(struct tls_ctx *ctx)
{
	return ctx ? ctx->fingerprint : "";
}
