/*
 * test_parse.c - SIP message parser: RFC 4475 and RFC 5118 torture
 * messages (read byte-exact from ../shared/testdata), field extraction,
 * stream framing, and every truncation of a valid message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mem.h"
#include "sip/msg.h"
#include "leakcheck.h"
#include "testdata.h"

#include <errno.h>
#include <string.h>

static char buf[70000];

static struct sip_msg *parse_file(const char *rel, int *rc, struct sip_parse_error *err)
{
	long n = testdata_read(rel, buf, sizeof(buf));
	if (n < 0)
		fail_msg("cannot read %s (is ../shared/testdata there?)", rel);
	struct sip_msg *msg = NULL;
	*rc = sip_msg_parse(&msg, buf, (size_t)n, false, err);
	return msg;
}

static const char *const valid_files[] = {
	"rfc4475/valid/wsinv.dat", "rfc4475/valid/intmeth.dat", "rfc4475/valid/esc01.dat",
	"rfc4475/valid/escnull.dat", "rfc4475/valid/esc02.dat", "rfc4475/valid/lwsdisp.dat",
	"rfc4475/valid/longreq.dat", "rfc4475/valid/dblreq.dat", "rfc4475/valid/semiuri.dat",
	"rfc4475/valid/transports.dat", "rfc4475/valid/mpart01.dat", "rfc4475/valid/unreason.dat",
	"rfc4475/valid/noreason.dat", "rfc4475/valid/badbranch.dat", "rfc4475/valid/unkscm.dat",
	"rfc4475/valid/novelsc.dat", "rfc4475/valid/unksm2.dat", "rfc4475/valid/bext01.dat",
	"rfc4475/valid/invut.dat", "rfc4475/valid/regaut01.dat", "rfc4475/valid/bcast.dat",
	"rfc4475/valid/zeromf.dat", "rfc4475/valid/cparam01.dat", "rfc4475/valid/cparam02.dat",
	"rfc4475/valid/regescrt.dat", "rfc4475/valid/sdp01.dat", "rfc4475/valid/inv2543.dat",
	"rfc5118/valid/ipv6-good.dat", "rfc5118/valid/port-ambiguous.dat",
	"rfc5118/valid/port-unambiguous.dat", "rfc5118/valid/via-received-param-with-delim.dat",
	"rfc5118/valid/via-received-param-no-delim.dat", "rfc5118/valid/ipv6-in-sdp.dat",
	"rfc5118/valid/mult-ip-in-header.dat", "rfc5118/valid/mult-ip-in-sdp.dat",
	"rfc5118/valid/ipv4-mapped-ipv6.dat", "rfc5118/valid/ipv6-correct-abnf-2-colons.dat",
};

/* Invalid files and the status each must get (0 = dropped: a response). */
static const struct {
	const char *file;
	uint16_t status;
} invalid_files[] = {
	{ "rfc4475/invalid/badinv01.dat", 400 }, { "rfc4475/invalid/clerr.dat", 400 },
	{ "rfc4475/invalid/ncl.dat", 400 },      { "rfc4475/invalid/scalar02.dat", 400 },
	{ "rfc4475/invalid/scalarlg.dat", 0 },   { "rfc4475/invalid/quotbal.dat", 400 },
	{ "rfc4475/invalid/ltgtruri.dat", 400 }, { "rfc4475/invalid/lwsruri.dat", 400 },
	{ "rfc4475/invalid/lwsstart.dat", 400 }, { "rfc4475/invalid/trws.dat", 400 },
	{ "rfc4475/invalid/escruri.dat", 400 },  { "rfc4475/invalid/badaspec.dat", 400 },
	{ "rfc4475/invalid/baddn.dat", 400 },    { "rfc4475/invalid/badvers.dat", 505 },
	{ "rfc4475/invalid/mismatch01.dat", 400 }, { "rfc4475/invalid/mismatch02.dat", 501 },
	{ "rfc4475/invalid/bigcode.dat", 0 },    { "rfc4475/invalid/insuf.dat", 400 },
	{ "rfc4475/invalid/multi01.dat", 400 },  { "rfc4475/invalid/mcl01.dat", 400 },
	{ "rfc5118/invalid/ipv6-bad.dat", 400 }, { "rfc5118/invalid/ipv6-bug-abnf-3-colons.dat", 400 },
	{ "rfc4475/unclassified/test.dat", 0 },
};

static void test_valid_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid_files) / sizeof(valid_files[0]); i++) {
		int rc;
		struct sip_parse_error err;
		struct sip_msg *msg = parse_file(valid_files[i], &rc, &err);
		if (rc != 0)
			fail_msg("%s refused: %u %s", valid_files[i], err.status, err.reason);
		assert_non_null(msg);
		mem_deref(msg);
	}
}

static void test_invalid_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid_files) / sizeof(invalid_files[0]); i++) {
		int rc;
		struct sip_parse_error err;
		struct sip_msg *msg = parse_file(invalid_files[i].file, &rc, &err);
		if (rc != EBADMSG)
			fail_msg("%s accepted", invalid_files[i].file);
		if (invalid_files[i].status == 0) {
			if (msg)
				fail_msg("%s should be dropped", invalid_files[i].file);
		} else {
			if (!msg)
				fail_msg("%s should be answerable", invalid_files[i].file);
			if (err.status != invalid_files[i].status)
				fail_msg("%s: got %u %s, want %u", invalid_files[i].file, err.status, err.reason,
					 invalid_files[i].status);
			assert_non_null(err.reason);
		}
		mem_deref(msg);
	}
}

static void test_wsinv_fields(void **state)
{
	int rc;
	struct sip_parse_error err;
	(void)state;
	struct sip_msg *msg = parse_file("rfc4475/valid/wsinv.dat", &rc, &err);
	assert_int_equal(rc, 0);
	assert_true(msg->is_request);
	assert_int_equal(msg->method_id, SIP_METHOD_INVITE);
	assert_true(slice_eq_cstr(msg->call_id, "wsinv.ndaksdj@192.0.2.1"));
	assert_int_equal(msg->cseq, 9);
	assert_int_equal(msg->cseq_method_id, SIP_METHOD_INVITE);
	assert_int_equal(msg->max_forwards, 68);
	assert_true(slice_eq_cstr(msg->to.tag, "1918181833n"));
	assert_true(slice_eq_cstr(msg->from.tag, "98asjd8"));
	assert_true(slice_eq_cstr(msg->via.transport, "UDP"));
	assert_true(slice_eq_cstr(msg->via.host, "192.0.2.2"));
	assert_true(slice_eq_cstr(msg->via.branch, "390skdjuw"));
	assert_true(slice_eq_cstr(msg->ruri.user, "vivekg"));
	assert_true(slice_eq_cstr(msg->ruri.host, "chair-dnrc.example.com"));
	assert_int_equal(msg->body.len, 150);
	/* three Via values over two header lines */
	struct sip_value_iter it;
	struct slice v;
	int vias = 0;
	sip_value_iter_init(&it, msg, SIP_HDR_VIA);
	while (sip_value_iter_next(&it, &v))
		vias++;
	assert_int_equal(vias, 3);
	/* the unknown header stays opaque */
	struct sip_header *h = sip_msg_header_by_name(msg, "UnknownHeaderWithUnusualValue");
	assert_non_null(h);
	assert_true(slice_eq_cstr(h->value, ";;,,;;,;"));
	/* compact Contact with display name and params */
	struct sip_addr contact;
	assert_int_equal(sip_addr_parse(msg->first[SIP_HDR_CONTACT]->value, &contact), 0);
	struct slice q;
	assert_true(sip_param_find(contact.params, "q", &q));
	assert_true(slice_eq_cstr(q, "0.33"));
	mem_deref(msg);
}

static void test_escapes(void **state)
{
	int rc;
	struct sip_parse_error err;
	char out[64];
	(void)state;
	struct sip_msg *msg = parse_file("rfc4475/valid/escnull.dat", &rc, &err);
	assert_int_equal(rc, 0);
	long n = sip_unescape(msg->to.uri.user, out, sizeof(out));
	assert_int_equal(n, 11); /* "null-\0-null": the NUL does not truncate */
	assert_memory_equal(out, "null-\0-null", 11);
	mem_deref(msg);

	msg = parse_file("rfc4475/valid/esc01.dat", &rc, &err);
	assert_int_equal(rc, 0);
	struct sip_addr contact;
	assert_int_equal(sip_addr_parse(msg->first[SIP_HDR_CONTACT]->value, &contact), 0);
	struct slice value;
	/* the parameter name is escaped too; match the raw form */
	assert_true(sip_param_find(contact.uri.params, "n%61me", &value));
	n = sip_unescape(value, out, sizeof(out));
	assert_int_equal(n, 8);
	assert_memory_equal(out, "value%41", 8); /* unescaped once, not twice */
	mem_deref(msg);

	msg = parse_file("rfc4475/valid/esc02.dat", &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(msg->method_id, SIP_METHOD_UNKNOWN); /* RE%47IST%45R is not REGISTER */
	mem_deref(msg);
}

static void test_misc_valid(void **state)
{
	int rc;
	struct sip_parse_error err;
	(void)state;
	struct sip_msg *msg = parse_file("rfc4475/valid/dblreq.dat", &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(msg->method_id, SIP_METHOD_REGISTER);
	assert_int_equal(msg->body.len, 0); /* trailing INVITE discarded */
	mem_deref(msg);

	msg = parse_file("rfc4475/valid/semiuri.dat", &rc, &err);
	assert_int_equal(rc, 0);
	assert_true(slice_eq_cstr(msg->ruri.user, "user;par=u%40example.net"));
	mem_deref(msg);

	msg = parse_file("rfc5118/valid/port-ambiguous.dat", &rc, &err);
	assert_int_equal(rc, 0);
	assert_true(slice_eq_cstr(msg->ruri.host, "[2001:db8::10:5070]"));
	assert_int_equal(msg->ruri.port, 0);
	mem_deref(msg);

	msg = parse_file("rfc5118/valid/port-unambiguous.dat", &rc, &err);
	assert_int_equal(rc, 0);
	assert_true(slice_eq_cstr(msg->ruri.host, "[2001:db8::10]"));
	assert_int_equal(msg->ruri.port, 5070);
	mem_deref(msg);

	msg = parse_file("rfc4475/valid/noreason.dat", &rc, &err);
	assert_int_equal(rc, 0);
	assert_false(msg->is_request);
	assert_int_equal(msg->status, 100);
	assert_int_equal(msg->reason.len, 0);
	mem_deref(msg);

	msg = parse_file("rfc4475/valid/mpart01.dat", &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal((long)msg->body.len, msg->content_length);
	mem_deref(msg);

	msg = parse_file("rfc4475/valid/inv2543.dat", &rc, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(msg->max_forwards, -1);
	assert_int_equal(msg->content_length, -1);
	assert_true(msg->body.len > 0); /* body = rest of the datagram */
	mem_deref(msg);
}

static const char register_msg[] =
	"REGISTER sip:example.com SIP/2.0\r\n"
	"Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	"From: Bob <sip:bob@example.com>;tag=456248\r\n"
	"Call-ID: 843817637684230@998sdasdh09\r\n"
	"CSeq: 1826 REGISTER\r\n"
	"Contact: <sip:bob@192.0.2.4;transport=tcp>;expires=7200, <sip:bob@192.0.2.5>;q=0.5\r\n"
	"Content-Length: 5\r\n"
	"\r\n"
	"hello";

static void test_framing(void **state)
{
	size_t skip, len;
	(void)state;
	size_t total = sizeof(register_msg) - 1;
	/* two messages back to back, preceded by a keep-alive */
	char stream[2 * sizeof(register_msg) + 4];
	memcpy(stream, "\r\n\r\n", 4);
	memcpy(stream + 4, register_msg, total);
	memcpy(stream + 4 + total, register_msg, total);
	assert_int_equal(sip_frame_length(stream, 4 + 2 * total, 65535, &skip, &len), 0);
	assert_int_equal(skip, 4);
	assert_int_equal(len, total);
	assert_int_equal(sip_frame_length(stream + 4 + total, total, 65535, &skip, &len), 0);
	assert_int_equal(len, total);
	/* too large */
	assert_int_equal(sip_frame_length(register_msg, total, 100, &skip, &len), EMSGSIZE);
	/* Content-Length broken on a stream */
	static const char broken[] = "OPTIONS sip:a SIP/2.0\r\nContent-Length: -5\r\n\r\n";
	assert_int_equal(sip_frame_length(broken, sizeof(broken) - 1, 65535, &skip, &len), EBADMSG);
	static const char missing[] = "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n";
	assert_int_equal(sip_frame_length(missing, sizeof(missing) - 1, 65535, &skip, &len), EBADMSG);
	static const char doubled[] = "OPTIONS sip:a SIP/2.0\r\nl: 0\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_frame_length(doubled, sizeof(doubled) - 1, 65535, &skip, &len), EBADMSG);
}

static void test_truncations(void **state)
{
	size_t skip, len;
	(void)state;
	size_t total = sizeof(register_msg) - 1;
	for (size_t cut = 0; cut < total; cut++) {
		/* exact-size heap copy so ASan sees any overread */
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, register_msg, cut);
		assert_int_equal(sip_frame_length(copy, cut, 65535, &skip, &len), EAGAIN);
		struct sip_msg *msg = NULL;
		struct sip_parse_error err;
		sip_msg_parse(&msg, copy, cut, false, &err);
		mem_deref(msg);
		free(copy);
	}
	struct sip_msg *msg = NULL;
	struct sip_parse_error err;
	assert_int_equal(sip_msg_parse(&msg, register_msg, total, true, &err), 0);
	assert_int_equal(msg->body.len, 5);
	struct sip_value_iter it;
	struct slice v;
	int contacts = 0;
	sip_value_iter_init(&it, msg, SIP_HDR_CONTACT);
	while (sip_value_iter_next(&it, &v))
		contacts++;
	assert_int_equal(contacts, 2);
	assert_true(msg->via.has_rport);
	assert_int_equal(msg->via.port, 5060);
	mem_deref(msg);
}

static void test_uri(void **state)
{
	struct sip_uri uri;
	(void)state;
	assert_int_equal(sip_uri_parse(SLICE_LIT("sip:alice:secret@[::1]:5070;transport=tcp;lr?subject=x"), &uri), 0);
	assert_true(slice_eq_cstr(uri.user, "alice"));
	assert_true(slice_eq_cstr(uri.password, "secret"));
	assert_true(slice_eq_cstr(uri.host, "[::1]"));
	assert_int_equal(uri.port, 5070);
	assert_true(slice_eq_cstr(uri.params, ";transport=tcp;lr"));
	assert_true(slice_eq_cstr(uri.headers, "subject=x"));
	assert_int_equal(sip_uri_parse(SLICE_LIT("sip:a@host:99999"), &uri), EINVAL);
	assert_int_equal(sip_uri_parse(SLICE_LIT("sip:a@[::1"), &uri), EINVAL);
	assert_int_equal(sip_uri_parse(SLICE_LIT("sip:a b@host"), &uri), EINVAL);
	assert_int_equal(sip_uri_parse(SLICE_LIT("sip:a@host;;lr"), &uri), EINVAL);
	assert_int_equal(sip_uri_parse(SLICE_LIT("tel:+15551234;phone-context=x"), &uri), 0);
	assert_int_equal(uri.scheme_id, SIP_URI_TEL);
	assert_true(sip_uri_user_eq(SLICE_LIT("al%69ce"), SLICE_LIT("alice")));
	assert_false(sip_uri_user_eq(SLICE_LIT("Alice"), SLICE_LIT("alice")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		leak_test(test_valid_accepted, NULL), leak_test(test_invalid_refused, NULL),
		leak_test(test_wsinv_fields, NULL),   leak_test(test_escapes, NULL),
		leak_test(test_misc_valid, NULL),     leak_test(test_framing, NULL),
		leak_test(test_truncations, NULL),    leak_test(test_uri, NULL),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
