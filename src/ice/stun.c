/*
 * stun.c - STUN parsing, integrity and fingerprint checks, and the binding
 * messages ICE sends (RFC 8489, RFC 8445, RFC 7675).
 *
 * The message layout (all big-endian):
 *
 *   0      00 type(14)     length(16): bytes of attributes after the header
 *   4      magic cookie 0x2112A442
 *   8      transaction id (96 bits)
 *   20     attributes: type(16) length(16) value, padded to 4 bytes
 *
 * The type interleaves the class bits C1 C0 with the method bits
 * M11..M0 as M11-M7 C1 M6-M4 C0 M3-M0.
 *
 * MESSAGE-INTEGRITY is an HMAC-SHA1 over everything before it, computed
 * with the header's length field as if the message ended right after the
 * integrity attribute; FINGERPRINT (always last) is the CRC-32 of
 * everything before it, XORed with 0x5354554e. The parser only notes where
 * both are; the checks run later, once the caller knows the key, so a
 * message with the wrong USERNAME costs no HMAC.
 *
 * XOR-MAPPED-ADDRESS XORs the port with the cookie's top 16 bits and the
 * address with the cookie (IPv4) or the cookie and transaction id (IPv6),
 * which are exactly bytes 4..20 of the header, so both directions XOR with
 * the header itself.
 */
#include "ice/stun.h"

#include "core/byteorder.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define ATTR_HEADER_LEN 4
#define INTEGRITY_LEN 20
#define FINGERPRINT_XOR 0x5354554eu
#define USERNAME_MAX 513





uint16_t stun_type(enum stun_class cls, uint16_t method)
{
	unsigned c = (unsigned)cls;
	return (uint16_t)((method & 0x000f) | (method & 0x0070) << 1 | (method & 0x0f80) << 2 |
			  (c & 1) << 4 | (c & 2) << 7);
}

/* CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320), a nibble at a time:
 * a 16-entry table is enough for messages of a hundred bytes. */
static uint32_t crc32_ieee(const uint8_t *p, size_t len)
{
	static const uint32_t table[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
		0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		crc = crc >> 4 ^ table[crc & 15];
		crc = crc >> 4 ^ table[crc & 15];
	}
	return ~crc;
}

/* HMAC-SHA1 of a patched copy of the header followed by the attributes
 * before the integrity attribute. */
static bool hmac_sha1(struct slice key, const uint8_t *header, const uint8_t *rest,
		      size_t rest_len, uint8_t out[INTEGRITY_LEN])
{
	char digest[] = "SHA1";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	/* a NULL key would mean "keep the previous one" to OpenSSL */
	const unsigned char *k = key.len ? (const unsigned char *)key.p : (const unsigned char *)"";
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t n = 0;
	bool ok = ctx && EVP_MAC_init(ctx, k, key.len, params) &&
		  EVP_MAC_update(ctx, header, STUN_HEADER_LEN) &&
		  EVP_MAC_update(ctx, rest, rest_len) &&
		  EVP_MAC_final(ctx, out, &n, INTEGRITY_LEN) && n == INTEGRITY_LEN;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok;
}

/* ------------------------------------------------------------ parsing */

bool stun_is_message(const uint8_t *buf, size_t len)
{
	if (len < STUN_HEADER_LEN || (buf[0] & 0xc0) || be32_get(buf + 4) != STUN_MAGIC_COOKIE)
		return false;
	size_t body = be16_get(buf + 2);
	return body % 4 == 0 && body == len - STUN_HEADER_LEN;
}

/* MAPPED-ADDRESS or XOR-MAPPED-ADDRESS: reserved(8) family(8) port(16)
 * address(32 or 128). */
static int read_address(const uint8_t *v, size_t len, const uint8_t *header, bool xored,
			struct netaddr *a)
{
	if (len < 4)
		return EBADMSG;
	const uint8_t *mask = header + 4; /* cookie, then transaction id */
	uint16_t port = be16_get(v + 2) ^ (xored ? STUN_MAGIC_COOKIE >> 16 : 0);
	uint8_t ip[16];
	size_t ip_len = v[1] == 1 ? 4 : v[1] == 2 ? 16 : 0;
	if (!ip_len || len != 4 + ip_len)
		return EBADMSG;
	for (size_t i = 0; i < ip_len; i++)
		ip[i] = v[4 + i] ^ (xored ? mask[i] : 0);
	memset(a, 0, sizeof(*a));
	if (ip_len == 4) {
		a->u.in.sin_family = AF_INET;
		a->u.in.sin_port = htons(port);
		memcpy(&a->u.in.sin_addr, ip, 4);
		a->len = sizeof(a->u.in);
	} else {
		a->u.in6.sin6_family = AF_INET6;
		a->u.in6.sin6_port = htons(port);
		memcpy(&a->u.in6.sin6_addr, ip, 16);
		a->len = sizeof(a->u.in6);
	}
	return 0;
}

static struct slice value_slice(const uint8_t *v, size_t len)
{
	return slice_make((const char *)v, len);
}

/* One attribute before MESSAGE-INTEGRITY; the first of a kind wins. */
static int read_attr(struct stun_msg *msg, const uint8_t *buf, uint16_t type, const uint8_t *v,
		     size_t len)
{
	switch (type) {
	case STUN_ATTR_USERNAME:
		if (!slice_is_set(msg->username))
			msg->username = value_slice(v, len);
		return 0;
	case STUN_ATTR_SOFTWARE:
		if (!slice_is_set(msg->software))
			msg->software = value_slice(v, len);
		return 0;
	case STUN_ATTR_REALM:
		if (!slice_is_set(msg->realm))
			msg->realm = value_slice(v, len);
		return 0;
	case STUN_ATTR_NONCE:
		if (!slice_is_set(msg->nonce))
			msg->nonce = value_slice(v, len);
		return 0;
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
		if (len % 2)
			return EBADMSG;
		if (!slice_is_set(msg->unknown_attributes))
			msg->unknown_attributes = value_slice(v, len);
		return 0;
	case STUN_ATTR_ERROR_CODE:
		/* reserved(21) class(3) number(8), then the reason phrase */
		if (len < 4 || (v[2] & 7) < 3 || (v[2] & 7) > 6 || v[3] > 99)
			return EBADMSG;
		if (!msg->error_code) {
			msg->error_code = (uint16_t)((v[2] & 7) * 100 + v[3]);
			msg->error_reason = value_slice(v + 4, len - 4);
		}
		return 0;
	case STUN_ATTR_PRIORITY:
		if (len != 4)
			return EBADMSG;
		if (!msg->has_priority) {
			msg->has_priority = true;
			msg->priority = be32_get(v);
		}
		return 0;
	case STUN_ATTR_USE_CANDIDATE:
		if (len != 0)
			return EBADMSG;
		msg->use_candidate = true;
		return 0;
	case STUN_ATTR_ICE_CONTROLLED:
	case STUN_ATTR_ICE_CONTROLLING:
		if (len != 8)
			return EBADMSG;
		if (!msg->ice_controlled && !msg->ice_controlling) {
			msg->ice_controlling = type == STUN_ATTR_ICE_CONTROLLING;
			msg->ice_controlled = type == STUN_ATTR_ICE_CONTROLLED;
			msg->tie_breaker = (uint64_t)be32_get(v) << 32 | be32_get(v + 4);
		}
		return 0;
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_MAPPED_ADDRESS: {
		bool xored = type == STUN_ATTR_XOR_MAPPED_ADDRESS;
		bool *has = xored ? &msg->has_xor_mapped : &msg->has_mapped;
		struct netaddr a;
		if (read_address(v, len, buf, xored, &a))
			return EBADMSG;
		if (!*has) {
			*has = true;
			*(xored ? &msg->xor_mapped : &msg->mapped) = a;
		}
		return 0;
	}
	default:
		if (type < 0x8000 && msg->unknown_count < STUN_MAX_UNKNOWN)
			msg->unknown[msg->unknown_count++] = type;
		return 0;
	}
}

int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
	if (!stun_is_message(buf, len))
		return EBADMSG;
	uint16_t type = be16_get(buf);
	msg->cls = (enum stun_class)((type >> 7 & 2) | (type >> 4 & 1));
	msg->method = (uint16_t)((type & 0x000f) | (type >> 1 & 0x0070) | (type >> 2 & 0x0f80));
	memcpy(msg->tid, buf + 8, STUN_TID_LEN);

	size_t pos = STUN_HEADER_LEN;
	while (pos < len) {
		if (msg->fingerprint_offset || len - pos < ATTR_HEADER_LEN)
			return EBADMSG;
		uint16_t at = be16_get(buf + pos);
		size_t alen = be16_get(buf + pos + 2);
		size_t padded = (alen + 3) & ~(size_t)3;
		if (len - pos - ATTR_HEADER_LEN < padded)
			return EBADMSG;
		const uint8_t *v = buf + pos + ATTR_HEADER_LEN;
		bool after_integrity = msg->integrity_offset || msg->integrity_sha256_offset;

		if (at == STUN_ATTR_FINGERPRINT) {
			if (alen != 4)
				return EBADMSG;
			msg->fingerprint_offset = pos;
		} else if (at == STUN_ATTR_MESSAGE_INTEGRITY_SHA256) {
			if (alen < 16 || alen > 32 || alen % 4)
				return EBADMSG;
			if (!msg->integrity_sha256_offset)
				msg->integrity_sha256_offset = pos;
		} else if (after_integrity) {
			/* RFC 8489 14.5: ignore what follows the integrity */
		} else if (at == STUN_ATTR_MESSAGE_INTEGRITY) {
			if (alen != INTEGRITY_LEN)
				return EBADMSG;
			msg->integrity_offset = pos;
		} else if (read_attr(msg, buf, at, v, alen)) {
			return EBADMSG;
		}
		pos += ATTR_HEADER_LEN + padded;
	}
	return 0;
}

bool stun_check_integrity(const struct stun_msg *msg, const uint8_t *buf, struct slice key)
{
	size_t at = msg->integrity_offset;
	if (!at || !slice_is_set(key))
		return false;
	uint8_t header[STUN_HEADER_LEN], mac[INTEGRITY_LEN];
	memcpy(header, buf, STUN_HEADER_LEN);
	be16_put(header + 2, (uint16_t)(at + ATTR_HEADER_LEN + INTEGRITY_LEN - STUN_HEADER_LEN));
	if (!hmac_sha1(key, header, buf + STUN_HEADER_LEN, at - STUN_HEADER_LEN, mac))
		return false;
	return CRYPTO_memcmp(mac, buf + at + ATTR_HEADER_LEN, INTEGRITY_LEN) == 0;
}

bool stun_check_fingerprint(const struct stun_msg *msg, const uint8_t *buf)
{
	size_t at = msg->fingerprint_offset;
	if (!at)
		return false;
	return be32_get(buf + at + ATTR_HEADER_LEN) == (crc32_ieee(buf, at) ^ FINGERPRINT_XOR);
}

int stun_long_term_key(struct slice username, struct slice realm, struct slice password,
		       uint8_t key[16])
{
	unsigned n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
		  EVP_DigestUpdate(ctx, username.p, username.len) &&
		  EVP_DigestUpdate(ctx, ":", 1) && EVP_DigestUpdate(ctx, realm.p, realm.len) &&
		  EVP_DigestUpdate(ctx, ":", 1) &&
		  EVP_DigestUpdate(ctx, password.p, password.len) &&
		  EVP_DigestFinal_ex(ctx, key, &n) && n == 16;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : ENOMEM;
}

/* ------------------------------------------------------------ building */

static uint8_t *at_offset(struct mbuf *out, size_t offset)
{
	return (uint8_t *)out->data + offset;
}

static void put_header(struct mbuf *out, uint16_t type, const uint8_t tid[STUN_TID_LEN])
{
	uint8_t h[STUN_HEADER_LEN];
	be16_put(h, type);
	be16_put(h + 2, 0);
	be32_put(h + 4, STUN_MAGIC_COOKIE);
	memcpy(h + 8, tid, STUN_TID_LEN);
	mbuf_append(out, h, sizeof(h));
}

static void put_attr(struct mbuf *out, uint16_t type, const void *value, size_t len)
{
	static const char spaces[3] = { ' ', ' ', ' ' };
	uint8_t h[ATTR_HEADER_LEN];
	be16_put(h, type);
	be16_put(h + 2, (uint16_t)len);
	mbuf_append(out, h, sizeof(h));
	mbuf_append(out, value, len);
	mbuf_append(out, spaces, (4 - len % 4) % 4);
}

static void put_u32(struct mbuf *out, uint16_t type, uint32_t v)
{
	uint8_t b[4];
	be32_put(b, v);
	put_attr(out, type, b, sizeof(b));
}

/* Set the header's length as if `extra` more bytes of attributes followed. */
static void set_length(struct mbuf *out, size_t start, size_t extra)
{
	be16_put(at_offset(out, start + 2), (uint16_t)(out->len - start - STUN_HEADER_LEN + extra));
}

/* SOFTWARE goes first, after the message's own attributes come
 * MESSAGE-INTEGRITY and FINGERPRINT, and the length is set last. */
static void put_software(struct mbuf *out, const struct stun_build_opts *opts)
{
	if (opts && slice_is_set(opts->software))
		put_attr(out, STUN_ATTR_SOFTWARE, opts->software.p, opts->software.len);
}

static int finish(struct mbuf *out, size_t start, const struct stun_build_opts *opts)
{
	/* room for the length field to count integrity and fingerprint too */
	if (mbuf_failed(out) || out->len - start > 0xffff - 32)
		goto fail;
	if (opts && slice_is_set(opts->key)) {
		uint8_t mac[INTEGRITY_LEN];
		set_length(out, start, ATTR_HEADER_LEN + INTEGRITY_LEN);
		if (!hmac_sha1(opts->key, at_offset(out, start), at_offset(out, start + STUN_HEADER_LEN),
			       out->len - start - STUN_HEADER_LEN, mac))
			goto fail;
		put_attr(out, STUN_ATTR_MESSAGE_INTEGRITY, mac, sizeof(mac));
	}
	if (opts && opts->fingerprint && !mbuf_failed(out)) {
		set_length(out, start, ATTR_HEADER_LEN + 4);
		put_u32(out, STUN_ATTR_FINGERPRINT,
			crc32_ieee(at_offset(out, start), out->len - start) ^ FINGERPRINT_XOR);
	}
	if (mbuf_failed(out))
		goto fail;
	set_length(out, start, 0);
	return 0;
fail:
	if (!mbuf_failed(out))
		out->len = start;
	return ENOMEM;
}

int stun_build_binding_success(struct mbuf *out, const uint8_t tid[STUN_TID_LEN],
			       const struct netaddr *mapped, const struct stun_build_opts *opts)
{
	uint8_t v[20];
	size_t ip_len;
	const uint8_t *ip;
	if (netaddr_family(mapped) == AF_INET) {
		v[1] = 1;
		ip_len = 4;
		ip = (const uint8_t *)&mapped->u.in.sin_addr;
	} else if (netaddr_family(mapped) == AF_INET6) {
		v[1] = 2;
		ip_len = 16;
		ip = (const uint8_t *)&mapped->u.in6.sin6_addr;
	} else {
		return EINVAL;
	}
	size_t start = out->len;
	put_header(out, stun_type(STUN_CLASS_SUCCESS, STUN_METHOD_BINDING), tid);
	if (mbuf_failed(out))
		return ENOMEM;
	const uint8_t *mask = at_offset(out, start + 4);
	v[0] = 0;
	be16_put(v + 2, (uint16_t)(netaddr_port(mapped) ^ STUN_MAGIC_COOKIE >> 16));
	for (size_t i = 0; i < ip_len; i++)
		v[4 + i] = ip[i] ^ mask[i];
	put_software(out, opts);
	put_attr(out, STUN_ATTR_XOR_MAPPED_ADDRESS, v, 4 + ip_len);
	return finish(out, start, opts);
}

static const char *reason_phrase(uint16_t code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 420:
		return "Unknown Attribute";
	case 487:
		return "Role Conflict";
	case 500:
		return "Server Error";
	default:
		return "Error";
	}
}

int stun_build_binding_error(struct mbuf *out, const uint8_t tid[STUN_TID_LEN], uint16_t code,
			     const uint16_t *unknown, size_t unknown_count,
			     const struct stun_build_opts *opts)
{
	if (code < 300 || code > 699 || unknown_count > 0xffff / 2)
		return EINVAL;
	const char *reason = reason_phrase(code);
	size_t reason_len = strlen(reason);
	uint8_t v[4 + 32];
	v[0] = v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	memcpy(v + 4, reason, reason_len);

	size_t start = out->len;
	put_header(out, stun_type(STUN_CLASS_ERROR, STUN_METHOD_BINDING), tid);
	put_software(out, opts);
	put_attr(out, STUN_ATTR_ERROR_CODE, v, 4 + reason_len);
	if (unknown_count) {
		uint8_t h[ATTR_HEADER_LEN], t[2];
		be16_put(h, STUN_ATTR_UNKNOWN_ATTRIBUTES);
		be16_put(h + 2, (uint16_t)(2 * unknown_count));
		mbuf_append(out, h, sizeof(h));
		for (size_t i = 0; i < unknown_count; i++) {
			be16_put(t, unknown[i]);
			mbuf_append(out, t, sizeof(t));
		}
		if (unknown_count % 2)
			mbuf_append(out, "  ", 2);
	}
	return finish(out, start, opts);
}

int stun_build_binding_request(struct mbuf *out, const struct stun_binding_request *req,
			       const struct stun_build_opts *opts)
{
	if (req->username.len > USERNAME_MAX)
		return EINVAL;
	size_t start = out->len;
	put_header(out, stun_type(STUN_CLASS_REQUEST, STUN_METHOD_BINDING), req->tid);
	put_software(out, opts);
	if (req->priority)
		put_u32(out, STUN_ATTR_PRIORITY, req->priority);
	uint8_t tie[8];
	be32_put(tie, (uint32_t)(req->tie_breaker >> 32));
	be32_put(tie + 4, (uint32_t)req->tie_breaker);
	put_attr(out, req->controlling ? STUN_ATTR_ICE_CONTROLLING : STUN_ATTR_ICE_CONTROLLED, tie,
		 sizeof(tie));
	if (req->use_candidate)
		put_attr(out, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	if (slice_is_set(req->username))
		put_attr(out, STUN_ATTR_USERNAME, req->username.p, req->username.len);
	return finish(out, start, opts);
}
