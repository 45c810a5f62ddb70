/*
 * fuzz_stun.c - libFuzzer target for STUN parsing, checking and building.
 *
 * The input is one datagram. Whatever parses must be a STUN message by
 * stun_is_message(), have every slice and offset inside the datagram and a
 * type that encodes back to the bytes it came from. Integrity and
 * fingerprint are checked with a fixed key (the RFC 5769 password, so the
 * seed vectors pass). Then it is answered the way an ICE-lite agent would
 * (420 with the unknown attributes, or a success response with the address
 * it carried, or a 487), and re-sent as a request built from its fields:
 * both must parse back to the same values with good integrity and
 * fingerprint.
 */
#include "ice/stun.h"
#include "fuzz_slices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEY "VOkJxbRl1RmTxUk/WvJxBt"

static void check_inside(struct slice s, const uint8_t *buf, size_t len)
{
	if (!fuzz_slice_inside(s, buf, len))
		abort();
}

static void check_offset(size_t offset, size_t attr_len, size_t len)
{
	if (offset && (offset < STUN_HEADER_LEN || offset % 4 || offset + 4 + attr_len > len))
		abort();
}

/* Parse what we built: it must be good, signed and fingerprinted. */
static void reparse(const struct mbuf *out, const struct stun_msg *in, struct stun_msg *back)
{
	const uint8_t *b = (const uint8_t *)out->data;
	if (stun_parse(b, out->len, back) || memcmp(back->tid, in->tid, STUN_TID_LEN) ||
	    !stun_check_integrity(back, b, SLICE_LIT(KEY)) || !stun_check_fingerprint(back, b))
		abort();
}

static void answer(const struct stun_msg *msg, struct mbuf *out)
{
	const struct stun_build_opts opts = {
		.software = SLICE_LIT("fuzz"),
		.key = SLICE_LIT(KEY),
		.fingerprint = true,
	};
	struct stun_msg back;
	mbuf_reset(out);
	if (msg->unknown_count) {
		if (stun_build_binding_error(out, msg->tid, 420, msg->unknown, msg->unknown_count,
					     &opts))
			abort();
		reparse(out, msg, &back);
		if (back.error_code != 420 || back.unknown_attributes.len != 2 * msg->unknown_count)
			abort();
	} else if (msg->has_xor_mapped || msg->has_mapped) {
		const struct netaddr *a = msg->has_xor_mapped ? &msg->xor_mapped : &msg->mapped;
		if (stun_build_binding_success(out, msg->tid, a, &opts))
			abort();
		reparse(out, msg, &back);
		if (!back.has_xor_mapped || !netaddr_eq(&back.xor_mapped, a))
			abort();
	} else {
		if (stun_build_binding_error(out, msg->tid, 487, NULL, 0, &opts))
			abort();
		reparse(out, msg, &back);
		if (back.error_code != 487 || back.cls != STUN_CLASS_ERROR)
			abort();
	}
}

/* The request this one would be, rebuilt from its fields. */
static void rebuild_request(const struct stun_msg *msg, struct mbuf *out)
{
	const struct stun_build_opts opts = { .key = SLICE_LIT(KEY), .fingerprint = true };
	struct stun_binding_request req = {
		.username = msg->username,
		.priority = msg->priority,
		.controlling = msg->ice_controlling,
		.tie_breaker = msg->tie_breaker,
		.use_candidate = msg->use_candidate,
	};
	struct stun_msg back;
	memcpy(req.tid, msg->tid, STUN_TID_LEN);
	mbuf_reset(out);
	int rc = stun_build_binding_request(out, &req, &opts);
	if (msg->username.len > 513) {
		if (rc != EINVAL)
			abort();
		return;
	}
	if (rc)
		abort();
	reparse(out, msg, &back);
	if (back.cls != STUN_CLASS_REQUEST || back.method != STUN_METHOD_BINDING ||
	    back.priority != msg->priority || back.tie_breaker != msg->tie_breaker ||
	    back.use_candidate != msg->use_candidate ||
	    back.ice_controlling != msg->ice_controlling ||
	    slice_is_set(back.username) != slice_is_set(msg->username) ||
	    (slice_is_set(msg->username) && !slice_eq(back.username, msg->username)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so reading past the datagram is caught */
	uint8_t *buf = malloc(size ? size : 1);
	struct stun_msg msg;
	struct mbuf out;
	if (!buf)
		abort();
	memcpy(buf, data, size);
	int rc = stun_parse(buf, size, &msg);
	if (rc != 0 && rc != EBADMSG)
		abort();
	if (rc == 0) {
		if (!stun_is_message(buf, size) || msg.unknown_count > STUN_MAX_UNKNOWN ||
		    stun_type(msg.cls, msg.method) != (buf[0] << 8 | buf[1]))
			abort();
		check_inside(msg.username, buf, size);
		check_inside(msg.software, buf, size);
		check_inside(msg.realm, buf, size);
		check_inside(msg.nonce, buf, size);
		check_inside(msg.error_reason, buf, size);
		check_inside(msg.unknown_attributes, buf, size);
		check_offset(msg.integrity_offset, 20, size);
		check_offset(msg.integrity_sha256_offset, 16, size);
		check_offset(msg.fingerprint_offset, 4, size);
		if (msg.fingerprint_offset && msg.fingerprint_offset + 8 != size)
			abort();
		stun_check_integrity(&msg, buf, SLICE_LIT(KEY));
		stun_check_fingerprint(&msg, buf);

		mbuf_init(&out);
		answer(&msg, &out);
		rebuild_request(&msg, &out);
		if (mbuf_failed(&out))
			abort();
		mbuf_free(&out);
	}
	free(buf);
	return 0;
}
