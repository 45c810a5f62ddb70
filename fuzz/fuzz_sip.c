/*
 * fuzz_sip.c - libFuzzer target for the SIP parser: datagram parsing,
 * stream framing, the header value parsers (name-addr, Via, parameters,
 * comma lists) and response building from whatever parsed.
 */
#include "core/mbuf.h"
#include "core/mem.h"
#include "sip/build.h"
#include "sip/msg.h"

#include <stddef.h>
#include <stdint.h>

static void exercise(const struct sip_msg *msg)
{
	for (size_t i = 0; i < msg->header_count; i++) {
		const struct sip_header *h = &msg->headers[i];
		struct slice rest = h->value, value;
		while (sip_value_next(&rest, &value)) {
			struct sip_addr addr;
			struct sip_via via;
			if (h->id == SIP_HDR_VIA)
				sip_via_parse(value, &via);
			else if (sip_addr_parse(value, &addr) == 0)
				sip_param_find(addr.params, "expires", &value);
		}
	}
	char out[256];
	sip_unescape(msg->ruri.user, out, sizeof(out));
	if (msg->is_request) {
		struct mbuf b;
		mbuf_init(&b);
		sip_build_response(&b, msg, 400, "Bad Request", "tag", NULL, SLICE_NULL, SLICE_NULL);
		mbuf_free(&b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg *msg = NULL;
	struct sip_parse_error err;
	sip_msg_parse(&msg, (const char *)data, size, false, &err);
	if (msg)
		exercise(msg);
	mem_deref(msg);

	size_t skip, len;
	if (sip_frame_length((const char *)data, size, 65535, &skip, &len) == 0) {
		msg = NULL;
		sip_msg_parse(&msg, (const char *)data + skip, len, true, &err);
		if (msg)
			exercise(msg);
		mem_deref(msg);
	}
	return 0;
}
