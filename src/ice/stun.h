/*
 * stun.h - STUN messages (RFC 8489, RFC 5389) as ICE-lite needs them:
 * connectivity checks (RFC 8445 7.3) and consent freshness (RFC 7675).
 *
 * Parsing is zero-copy: stun_parse() fills a struct stun_msg whose slices
 * point into the datagram, and records where MESSAGE-INTEGRITY and
 * FINGERPRINT sit so stun_check_integrity() and stun_check_fingerprint() can
 * verify them afterwards against the same buffer. A datagram is one whole
 * message: its STUN length must match the datagram's.
 *
 * The builders append one whole message to an mbuf: binding success and
 * error responses for the checks we answer, and binding requests for tests
 * and for a full-ICE agent later. Variable-length attributes are padded
 * with spaces, as the RFC 5769 test vectors are (any padding is legal), so
 * those vectors can be rebuilt byte for byte.
 *
 * Not here: long-term credential challenges (REALM/NONCE are parsed, never
 * sent), SASLprep/OpaqueString of passwords (ICE passwords are ASCII),
 * MESSAGE-INTEGRITY-SHA256 verification, TCP framing, RFC 3489 (no magic
 * cookie) peers.
 */
#ifndef RTCB_ICE_STUN_H
#define RTCB_ICE_STUN_H

#include "core/mbuf.h"
#include "core/netaddr.h"
#include "core/slice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112a442u
#define STUN_TID_LEN 12
/* Comprehension-required attributes we do not know, remembered for a 420. */
#define STUN_MAX_UNKNOWN 8

enum stun_class {
	STUN_CLASS_REQUEST = 0,
	STUN_CLASS_INDICATION = 1,
	STUN_CLASS_SUCCESS = 2,
	STUN_CLASS_ERROR = 3,
};

enum stun_method {
	STUN_METHOD_BINDING = 0x001,
};

enum stun_attr {
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000a,
	STUN_ATTR_REALM = 0x0014,
	STUN_ATTR_NONCE = 0x0015,
	STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001c,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_PRIORITY = 0x0024,
	STUN_ATTR_USE_CANDIDATE = 0x0025,
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,
	STUN_ATTR_ICE_CONTROLLING = 0x802a,
};

/* The 14-bit message type from a class and a method, and back. */
uint16_t stun_type(enum stun_class cls, uint16_t method);

struct stun_msg {
	enum stun_class cls;
	uint16_t method;
	uint8_t tid[STUN_TID_LEN];

	/* Attributes: a slice that is not set, a false has_ flag or an offset
	 * of 0 (no attribute starts inside the header) means absent. Only the
	 * first of a repeated attribute counts; after MESSAGE-INTEGRITY only
	 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are looked at. */
	struct slice username, software, realm, nonce;
	size_t integrity_offset;        /* MESSAGE-INTEGRITY's attribute header */
	size_t integrity_sha256_offset; /* noted, never checked */
	size_t fingerprint_offset;      /* always the last attribute */
	bool has_priority;
	uint32_t priority;
	bool use_candidate;
	bool ice_controlling, ice_controlled; /* either may carry the tie-breaker */
	uint64_t tie_breaker;
	bool has_xor_mapped, has_mapped;
	struct netaddr xor_mapped, mapped; /* XOR already undone */
	uint16_t error_code;               /* 300-699, 0 when absent */
	struct slice error_reason;
	struct slice unknown_attributes; /* UNKNOWN-ATTRIBUTES' raw value (in a 420) */

	/* Comprehension-required (type < 0x8000) attributes we do not know, in
	 * order, at most STUN_MAX_UNKNOWN: a request with any gets a 420. */
	uint16_t unknown[STUN_MAX_UNKNOWN];
	size_t unknown_count;
};

/*
 * Could this datagram be a STUN message? The first two bits are zero, the
 * magic cookie is there, and the length field is a multiple of 4 that
 * accounts for the rest of the datagram.
 */
bool stun_is_message(const uint8_t *buf, size_t len);

/*
 * Parse one datagram. 0, or EBADMSG when it is not a well-formed STUN
 * message: not stun_is_message(), an attribute running past the end, an
 * attribute after FINGERPRINT, a known attribute of the wrong size, an
 * address of an unknown family, an ERROR-CODE outside 300-699.
 */
int stun_parse(const uint8_t *buf, size_t len, struct stun_msg *msg);

/*
 * Does the message carry a MESSAGE-INTEGRITY that is right for key?
 * HMAC-SHA1 over the message up to that attribute, with the header's length
 * field counting the attributes up to and including it (RFC 8489 14.5).
 * Short-term credentials (ICE): the key is the password. Long-term: the
 * key from stun_long_term_key(). buf is the buffer msg was parsed from.
 */
bool stun_check_integrity(const struct stun_msg *msg, const uint8_t *buf, struct slice key);

/* Does the message carry a FINGERPRINT, and is it right? */
bool stun_check_fingerprint(const struct stun_msg *msg, const uint8_t *buf);

/* The long-term credential key MD5(username ":" realm ":" password), with
 * the password already processed by OpaqueString. 0 or ENOMEM. */
int stun_long_term_key(struct slice username, struct slice realm, struct slice password,
		       uint8_t key[16]);

/* ------------------------------------------------------------ building */

/* What a built message carries besides its own attributes. */
struct stun_build_opts {
	struct slice software; /* SOFTWARE, first; not set: none */
	struct slice key;      /* MESSAGE-INTEGRITY with this key; not set: none */
	bool fingerprint;      /* FINGERPRINT, last */
};

/* Binding success: XOR-MAPPED-ADDRESS (IPv4 or IPv6). 0, EINVAL for another
 * address family, ENOMEM. */
int stun_build_binding_success(struct mbuf *out, const uint8_t tid[STUN_TID_LEN],
			       const struct netaddr *mapped, const struct stun_build_opts *opts);

/*
 * Binding error: ERROR-CODE with the standard reason phrase (400 Bad
 * Request, 401 Unauthorized, 420 Unknown Attribute, 487 Role Conflict, 500
 * Server Error, otherwise "Error"), and UNKNOWN-ATTRIBUTES when
 * unknown_count > 0. 0, EINVAL for a code outside 300-699, ENOMEM.
 */
int stun_build_binding_error(struct mbuf *out, const uint8_t tid[STUN_TID_LEN], uint16_t code,
			     const uint16_t *unknown, size_t unknown_count,
			     const struct stun_build_opts *opts);

struct stun_binding_request {
	uint8_t tid[STUN_TID_LEN];
	struct slice username; /* "remote-ufrag:local-ufrag"; not set: none */
	uint32_t priority;     /* 0: no PRIORITY */
	bool controlling;      /* ICE-CONTROLLING, else ICE-CONTROLLED */
	uint64_t tie_breaker;
	bool use_candidate;
};

/* Binding request: SOFTWARE, PRIORITY, ICE-CONTROLLED or ICE-CONTROLLING,
 * USE-CANDIDATE, USERNAME in that order (the order of the RFC 5769 sample
 * request). 0, EINVAL for a username over 513 bytes, ENOMEM. */
int stun_build_binding_request(struct mbuf *out, const struct stun_binding_request *req,
			       const struct stun_build_opts *opts);

#endif
