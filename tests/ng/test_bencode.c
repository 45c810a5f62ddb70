/*
 * test_bencode.c - bencoding and the rtpengine "ng" envelope: the BEP 3
 * examples, each refusal with its reason and offset, every truncation,
 * the depth and node limits, look-ups, exact encoder bytes and round trips;
 * then ng datagrams: envelope faults (and whether the cookie survives them
 * for an error reply), command names, Kamailio's offer and answer read into
 * the typed request, and the exact bytes of replies.
 *
 * Every test checks that it gave back all the memory it took.
 */
#include "ng/bencode.h"
#include "ng/ng.h"
#include "leakcheck.h"
#include "slice_assert.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NODES 64

/* ------------------------------------------------------------- fixture */

struct env {
	struct bencode_node nodes[NODES];
	struct bencode_node *root;
	struct bencode_error err;
	struct mbuf out;
	struct ng_message msg;
	struct ng_request req;
	char datagram[2048];
	size_t datagram_len;
};

static int env_init(void *state)
{
	struct env *e = state;
	mbuf_init(&e->out);
	return 0;
}

static void env_fini(void *state)
{
	struct env *e = state;
	mbuf_free(&e->out);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

static int decode_n(struct env *e, const char *buf, size_t len, size_t max_nodes)
{
	memset(&e->err, 0, sizeof(e->err));
	e->root = NULL;
	return bencode_decode(buf, len, e->nodes, max_nodes, &e->root, &e->err);
}

static int decode(struct env *e, const char *text)
{
	return decode_n(e, text, strlen(text), NODES);
}

static int parse_ng(struct env *e)
{
	memset(&e->err, 0, sizeof(e->err));
	return ng_parse(e->datagram, e->datagram_len, e->nodes, NODES, &e->msg, &e->err);
}

static void set_datagram(struct env *e, const char *text)
{
	e->datagram_len = strlen(text);
	assert_true(e->datagram_len < sizeof(e->datagram));
	memcpy(e->datagram, text, e->datagram_len);
}

/* ------------------------------------------------------------- decoding */

static void test_bep3_examples(void **state)
{
	struct env *e = *state;
	int64_t v;
	struct slice s;

	assert_int_equal(decode(e, "4:spam"), 0);
	assert_int_equal(e->root->type, BENCODE_STR);
	assert_true(bencode_str(e->root, &s));
	assert_slice(s, "spam");
	assert_slice(e->root->raw, "4:spam");
	assert_false(slice_is_set(e->root->key));

	assert_int_equal(decode(e, "0:"), 0);
	assert_true(bencode_str(e->root, &s));
	assert_true(slice_is_set(s));
	assert_int_equal(s.len, 0);

	static const struct {
		const char *text;
		int64_t value;
	} ints[] = {
		{ "i3e", 3 },
		{ "i-3e", -3 },
		{ "i0e", 0 },
		{ "i9223372036854775807e", INT64_MAX },
		{ "i-9223372036854775808e", INT64_MIN },
	};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		assert_int_equal(decode(e, ints[i].text), 0);
		assert_true(bencode_int(e->root, &v));
		assert_true(v == ints[i].value);
		assert_slice(e->root->raw, ints[i].text);
	}

	const char *list = "l4:spam4:eggse";
	assert_int_equal(decode(e, list), 0);
	assert_int_equal(e->root->type, BENCODE_LIST);
	assert_int_equal(e->root->count, 2);
	const struct bencode_node *n = bencode_first(e->root);
	assert_slice(n->str, "spam");
	assert_slice(n->raw, "4:spam");
	assert_slice(n->next->str, "eggs");
	assert_null(n->next->next);
	assert_inside(n->next->str, list, strlen(list));

	assert_int_equal(decode(e, "d3:cow3:moo4:spam4:eggse"), 0);
	assert_int_equal(e->root->type, BENCODE_DICT);
	assert_int_equal(e->root->count, 2);
	assert_slice(bencode_dict_get_str(e->root, "cow"), "moo");
	assert_slice(bencode_dict_get_str(e->root, "spam"), "eggs");
	assert_slice(bencode_first(e->root)->key, "cow");

	assert_int_equal(decode(e, "d4:spaml1:a1:bee"), 0);
	const struct bencode_node *spam = bencode_dict_get(e->root, "spam");
	assert_non_null(spam);
	assert_int_equal(spam->type, BENCODE_LIST);
	assert_int_equal(spam->count, 2);
	assert_slice(spam->raw, "l1:a1:be");
	assert_true(bencode_list_has_string(spam, "b"));

	assert_int_equal(decode(e, "le"), 0);
	assert_int_equal(e->root->count, 0);
	assert_null(bencode_first(e->root));
	assert_int_equal(decode(e, "de"), 0);
	assert_int_equal(e->root->type, BENCODE_DICT);
	assert_null(bencode_first(e->root));

	/* strings are bytes: NUL, 'e', ':' and digits inside are data */
	static const char binary[] = "7:a\0e:1ie";
	assert_int_equal(decode_n(e, binary, sizeof(binary) - 1, NODES), 0);
	assert_int_equal(e->root->str.len, 7);
	assert_memory_equal(e->root->str.p, "a\0e:1ie", 7);
}

static void test_errors(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *text;
		int code;
		const char *reason;
		size_t offset;
	} cases[] = {
		{ "", EBADMSG, "unexpected end of input", 0 },
		{ "x", EBADMSG, "invalid character at start of value", 0 },
		{ "e", EBADMSG, "invalid character at start of value", 0 },
		{ "-1:a", EBADMSG, "invalid character at start of value", 0 },
		{ "i", EBADMSG, "unexpected end of input", 1 },
		{ "i12", EBADMSG, "unexpected end of input", 3 },
		{ "ie", EBADMSG, "integer without digits", 1 },
		{ "i-e", EBADMSG, "integer without digits", 2 },
		{ "i03e", EBADMSG, "leading zero in integer", 1 },
		{ "i00e", EBADMSG, "leading zero in integer", 1 },
		{ "i-03e", EBADMSG, "leading zero in integer", 2 },
		{ "i-0e", EBADMSG, "negative zero", 1 },
		{ "i1.5e", EBADMSG, "invalid character in integer", 2 },
		{ "i+1e", EBADMSG, "invalid character in integer", 1 },
		{ "i 1e", EBADMSG, "invalid character in integer", 1 },
		{ "i--1e", EBADMSG, "invalid character in integer", 2 },
		{ "i9223372036854775808e", ERANGE, "integer out of range", 19 },
		{ "i-9223372036854775809e", ERANGE, "integer out of range", 20 },
		{ "i99999999999999999999999e", ERANGE, "integer out of range", 19 },
		{ "1", EBADMSG, "unexpected end of input", 1 },
		{ "4:spa", EBADMSG, "string longer than the input", 0 },
		{ "5", EBADMSG, "string longer than the input", 0 },
		{ "99999999999999999999999:a", EBADMSG, "string longer than the input", 0 },
		{ "04:spam", EBADMSG, "leading zero in string length", 0 },
		{ "00:", EBADMSG, "leading zero in string length", 0 },
		{ "4spam", EBADMSG, "invalid character in string length", 1 },
		{ "l", EBADMSG, "unexpected end of input", 1 },
		{ "li1e", EBADMSG, "unexpected end of input", 4 },
		{ "lie", EBADMSG, "integer without digits", 2 },
		{ "l4:spami01ee", EBADMSG, "leading zero in integer", 8 },
		{ "d", EBADMSG, "unexpected end of input", 1 },
		{ "di1ei2ee", EBADMSG, "dictionary key is not a string", 1 },
		{ "dl1:ae1:be", EBADMSG, "dictionary key is not a string", 1 },
		{ "d1:a1:bi1e1:ce", EBADMSG, "dictionary key is not a string", 7 },
		{ "d3:fooe", EBADMSG, "dictionary key without a value", 6 },
		{ "d3:foo", EBADMSG, "unexpected end of input", 6 },
		{ "d03:fooi1ee", EBADMSG, "leading zero in string length", 1 },
		{ "i1ei2e", EBADMSG, "trailing bytes after the value", 3 },
		{ "4:spam ", EBADMSG, "trailing bytes after the value", 6 },
		{ "lee", EBADMSG, "trailing bytes after the value", 2 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = decode(e, cases[i].text);
		if (rc != cases[i].code || !e->err.reason ||
		    strcmp(e->err.reason, cases[i].reason) != 0 || e->err.offset != cases[i].offset)
			fail_msg("\"%s\": got %d \"%s\" at %zu, expected %d \"%s\" at %zu",
				 cases[i].text, rc, e->err.reason ? e->err.reason : "(none)",
				 e->err.offset, cases[i].code, cases[i].reason, cases[i].offset);
	}
}

/* No proper prefix of a value is a value, so every truncation is refused. */
static void test_truncations(void **state)
{
	struct env *e = *state;
	static const char text[] = "d7:command5:offer5:flagsl13:trust-addresse3:TOSi-184e"
				   "4:listli0ei9223372036854775807ed1:a0:eee";
	size_t len = sizeof(text) - 1;
	assert_int_equal(decode_n(e, text, len, NODES), 0);
	for (size_t cut = 0; cut < len; cut++) {
		int rc = decode_n(e, text, cut, NODES);
		if (rc != EBADMSG || e->err.offset > cut)
			fail_msg("prefix of %zu bytes: %d \"%s\" at %zu", cut, rc, e->err.reason,
				 e->err.offset);
	}
}

static void nested(char *buf, const char *open, size_t depth, const char *inner)
{
	buf[0] = '\0';
	for (size_t i = 0; i < depth; i++)
		strcat(buf, open);
	strcat(buf, inner);
	for (size_t i = 0; i < depth; i++)
		strcat(buf, "e");
}

static void test_depth_limit(void **state)
{
	struct env *e = *state;
	char buf[512];

	nested(buf, "l", BENCODE_MAX_DEPTH, "");
	assert_int_equal(decode(e, buf), 0);
	nested(buf, "l", BENCODE_MAX_DEPTH - 1, "i7e");
	assert_int_equal(decode(e, buf), 0);
	nested(buf, "l", BENCODE_MAX_DEPTH + 1, "");
	assert_int_equal(decode(e, buf), E2BIG);
	assert_string_equal(e->err.reason, "nesting too deep");
	assert_int_equal(e->err.offset, BENCODE_MAX_DEPTH);

	/* dictionaries count the same; the innermost value is found by key */
	nested(buf, "d1:a", BENCODE_MAX_DEPTH - 1, "de");
	assert_int_equal(decode(e, buf), 0);
	const struct bencode_node *n = e->root;
	for (size_t i = 0; i < BENCODE_MAX_DEPTH - 1; i++)
		n = bencode_dict_get(n, "a");
	assert_non_null(n);
	assert_int_equal(n->type, BENCODE_DICT);
	nested(buf, "d1:a", BENCODE_MAX_DEPTH, "de");
	assert_int_equal(decode(e, buf), E2BIG);
	assert_int_equal(e->err.offset, 4 * BENCODE_MAX_DEPTH);

	/* refused at the limit, long before the end of the input */
	nested(buf, "l", 200, "");
	assert_int_equal(decode(e, buf), E2BIG);
	assert_int_equal(e->err.offset, BENCODE_MAX_DEPTH);
}

static void test_node_limit(void **state)
{
	struct env *e = *state;
	const char *text = "li1ei2ei3ee"; /* four values */
	assert_int_equal(decode_n(e, text, strlen(text), 4), 0);
	assert_int_equal(decode_n(e, text, strlen(text), 3), E2BIG);
	assert_string_equal(e->err.reason, "too many values");
	assert_int_equal(e->err.offset, 7);
	assert_int_equal(decode_n(e, text, strlen(text), 0), E2BIG);
	assert_int_equal(e->err.offset, 0);

	/* a dictionary entry is one node: the key lives in its value */
	text = "d1:ai1e1:bi2ee";
	assert_int_equal(decode_n(e, text, strlen(text), 3), 0);
	assert_int_equal(decode_n(e, text, strlen(text), 2), E2BIG);

	/* pre-order: a container's node comes before its children's */
	assert_int_equal(decode(e, "ll1:ae1:be"), 0);
	assert_ptr_equal(e->root, &e->nodes[0]);
	assert_ptr_equal(e->root->child, &e->nodes[1]);
	assert_ptr_equal(e->root->child->child, &e->nodes[2]);
	assert_ptr_equal(e->root->child->next, &e->nodes[3]);
}

/* ------------------------------------------------------------- look-ups */

static void test_lookups(void **state)
{
	struct env *e = *state;
	int64_t v;
	struct slice s;

	/* unsorted keys are kept in input order; a repeated key: first wins */
	assert_int_equal(decode(e, "d4:zulu1:z5:alphai1e0:2:ek4:zulu6:shadow6:secondl1:xi5e1:ye5:emptylee"),
			 0);
	const struct bencode_node *n = bencode_first(e->root);
	assert_slice(n->key, "zulu");
	assert_slice(n->next->key, "alpha");
	assert_slice(n->next->next->key, "");
	assert_int_equal(e->root->count, 6);
	assert_slice(bencode_dict_get_str(e->root, "zulu"), "z");
	assert_slice(bencode_dict_get_str(e->root, ""), "ek");
	assert_true(bencode_int(bencode_dict_get(e->root, "alpha"), &v));
	assert_int_equal(v, 1);

	/* absent, wrong type, NULL: all "no" */
	assert_null(bencode_dict_get(e->root, "missing"));
	assert_null(bencode_dict_get(e->root, "zul"));
	assert_false(slice_is_set(bencode_dict_get_str(e->root, "alpha")));
	assert_false(bencode_str(bencode_dict_get(e->root, "alpha"), &s));
	assert_false(bencode_int(bencode_dict_get(e->root, "zulu"), &v));
	assert_false(bencode_int(NULL, &v));
	assert_null(bencode_dict_get(NULL, "a"));
	assert_null(bencode_dict_get(bencode_dict_get(e->root, "second"), "x"));
	assert_false(slice_is_set(bencode_dict_get_str(bencode_dict_get(e->root, "nope"), "x")));
	assert_null(bencode_first(bencode_dict_get(e->root, "alpha")));
	assert_null(bencode_first(NULL));

	/* lists: strings compared exactly, other elements skipped */
	const struct bencode_node *second = bencode_dict_get(e->root, "second");
	assert_true(bencode_list_has_string(second, "x"));
	assert_true(bencode_list_has_string(second, "y"));
	assert_false(bencode_list_has_string(second, "5"));
	assert_false(bencode_list_has_string(second, "X"));
	assert_false(bencode_list_has_string(e->root, "z"));
	assert_false(bencode_list_has_string(NULL, "x"));
	assert_false(bencode_list_all_strings(second));
	assert_true(bencode_list_all_strings(bencode_dict_get(e->root, "empty")));
	assert_false(bencode_list_all_strings(e->root));

	size_t count = 0;
	for (const struct bencode_node *i = bencode_first(second); i; i = i->next)
		count++;
	assert_int_equal(count, second->count);
}

/* ------------------------------------------------------------- encoding */

static void test_encode_bytes(void **state)
{
	struct env *e = *state;
	bencode_dict_begin(&e->out);
	bencode_put_str(&e->out, "result");
	bencode_put_str(&e->out, "ok");
	bencode_put_str(&e->out, "ints");
	bencode_list_begin(&e->out);
	bencode_put_int(&e->out, 0);
	bencode_put_int(&e->out, -1);
	bencode_put_int(&e->out, INT64_MAX);
	bencode_put_int(&e->out, INT64_MIN);
	bencode_list_end(&e->out);
	bencode_put_str(&e->out, "");
	bencode_put_slice(&e->out, SLICE_NULL);
	bencode_put_str(&e->out, "bin");
	bencode_put_slice(&e->out, slice_make("a\0b", 3));
	bencode_dict_end(&e->out);
	assert_false(mbuf_failed(&e->out));

	static const char expected[] = "d6:result2:ok4:intsli0ei-1ei9223372036854775807e"
				       "i-9223372036854775808ee0:0:3:bin3:a\0be";
	assert_int_equal(e->out.len, sizeof(expected) - 1);
	assert_memory_equal(e->out.data, expected, sizeof(expected) - 1);

	/* and it reads back */
	int64_t v;
	assert_int_equal(decode_n(e, e->out.data, e->out.len, NODES), 0);
	assert_slice(bencode_dict_get_str(e->root, "result"), "ok");
	const struct bencode_node *ints = bencode_dict_get(e->root, "ints");
	assert_int_equal(ints->count, 4);
	assert_true(bencode_int(ints->child->next->next->next, &v));
	assert_true(v == INT64_MIN);
	assert_int_equal(bencode_dict_get_str(e->root, "bin").len, 3);
}

/* Accepted inputs are canonical: decode, encode, same bytes, same tree. */
static void test_round_trip(void **state)
{
	struct env *e = *state;
	static const char *const texts[] = {
		"i0e",
		"0:",
		"le",
		"de",
		"d3:cow3:moo4:spam4:eggse",
		"d4:zulu1:z5:alphai1e4:zulu1:ye",
		"l4:spami-42eld1:ai1eeedee",
		"d7:command4:ping5:flagsl13:trust-address12:generate-mide3:TOSi184ee",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		mbuf_reset(&e->out);
		assert_int_equal(decode(e, texts[i]), 0);
		bencode_put_node(&e->out, e->root);
		assert_false(mbuf_failed(&e->out));
		assert_int_equal(e->out.len, strlen(texts[i]));
		assert_memory_equal(e->out.data, texts[i], e->out.len);

		struct bencode_node again[NODES], *root;
		struct bencode_error err;
		assert_int_equal(bencode_decode(e->out.data, e->out.len, again, NODES, &root, &err), 0);
		assert_int_equal(root->type, e->root->type);
		assert_int_equal(root->count, e->root->count);
		assert_true(slice_eq(root->raw, e->root->raw));
	}
}

/* ------------------------------------------------------------- ng envelope */

static void test_ng_envelope_errors(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *text;
		int code;
		const char *reason;
		size_t offset;
		bool cookie; /* can the error be answered? */
	} cases[] = {
		{ "", EBADMSG, "no space after the cookie", 0, false },
		{ "abc", EBADMSG, "no space after the cookie", 3, false },
		{ "d7:command4:pinge", EBADMSG, "no space after the cookie", 17, false },
		{ " d7:command4:pinge", EBADMSG, "empty cookie", 0, false },
		{ "c1 ", EBADMSG, "unexpected end of input", 3, true },
		{ "c1 le", EBADMSG, "message is not a dictionary", 3, true },
		{ "c1 4:ping", EBADMSG, "message is not a dictionary", 3, true },
		{ "c1 de", EBADMSG, "no command in the message", 3, true },
		{ "c1 d7:commandi1ee", EBADMSG, "command is not a string", 13, true },
		{ "c1 di1ee", EBADMSG, "dictionary key is not a string", 4, true },
		{ "c1 d7:command4:ping", EBADMSG, "unexpected end of input", 19, true },
		{ "c1 d7:command4:pinge\n", EBADMSG, "trailing bytes after the value", 20, true },
		{ "c1  d7:command4:pinge", EBADMSG, "invalid character at start of value", 3, true },
		{ "c1 d3:TOSi99999999999999999999ee", ERANGE, "integer out of range", 28, true },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_datagram(e, cases[i].text);
		int rc = parse_ng(e);
		if (rc != cases[i].code || !e->err.reason || strcmp(e->err.reason, cases[i].reason) != 0 ||
		    e->err.offset != cases[i].offset || slice_is_set(e->msg.cookie) != cases[i].cookie)
			fail_msg("\"%s\": got %d \"%s\" at %zu, expected %d \"%s\" at %zu",
				 cases[i].text, rc, e->err.reason, e->err.offset, cases[i].code,
				 cases[i].reason, cases[i].offset);
		if (cases[i].cookie)
			assert_slice(e->msg.cookie, "c1");
	}
}

static void test_ng_cookie_length(void **state)
{
	struct env *e = *state;
	char text[128];
	memset(text, 'x', NG_MAX_COOKIE);
	strcpy(text + NG_MAX_COOKIE, " d7:command4:pinge");
	set_datagram(e, text);
	assert_int_equal(parse_ng(e), 0);
	assert_int_equal(e->msg.cookie.len, NG_MAX_COOKIE);

	memset(text, 'x', NG_MAX_COOKIE + 1);
	strcpy(text + NG_MAX_COOKIE + 1, " d7:command4:pinge");
	set_datagram(e, text);
	assert_int_equal(parse_ng(e), EBADMSG);
	assert_string_equal(e->err.reason, "cookie longer than 64 bytes");
	assert_int_equal(e->err.offset, NG_MAX_COOKIE);
	assert_false(slice_is_set(e->msg.cookie));

	/* a cookie is any bytes but a space */
	set_datagram(e, "\x01:d\xff d7:command4:pinge");
	assert_int_equal(parse_ng(e), 0);
	assert_int_equal(e->msg.cookie.len, 4);
}

static void test_ng_commands(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *name;
		enum ng_command command;
	} cases[] = {
		{ "ping", NG_PING },	   { "offer", NG_OFFER }, { "answer", NG_ANSWER },
		{ "delete", NG_DELETE },   { "query", NG_QUERY }, { "list", NG_LIST },
		{ "statistics", NG_UNKNOWN }, { "Ping", NG_UNKNOWN }, { "", NG_UNKNOWN },
		{ "offerx", NG_UNKNOWN },
	};
	char text[128];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "6402_1 d7:command%zu:%se", strlen(cases[i].name),
			 cases[i].name);
		set_datagram(e, text);
		assert_int_equal(parse_ng(e), 0);
		assert_int_equal(e->msg.command, cases[i].command);
		assert_slice(e->msg.command_name, cases[i].name);
		assert_slice(e->msg.cookie, "6402_1");
		assert_int_equal(e->msg.root->type, BENCODE_DICT);
	}
}

/* ------------------------------------------------------------- ng requests */

/* What Kamailio sends for
 *   rtpengine_offer("trust-address generate-mid replace-origin
 *     replace-session-connection ICE=force DTLS=passive UDP/TLS/RTP/SAVPF
 *     rtcp-mux-offer SDES-off record-call=on")
 * on an INVITE from a SIP phone towards a browser: the phone's SDP, the
 * dialog's ids, and flags the module turned into dictionary keys.
 * "UDP/TLS/RTP/SAVPF" is the spelling in rtpengine's own transport table. */
#define PHONE_SDP                                                                          \
	"v=0\r\n"                                                                          \
	"o=Z 0 0 IN IP4 192.0.2.7\r\n"                                                     \
	"s=Z\r\n"                                                                          \
	"c=IN IP4 192.0.2.7\r\n"                                                           \
	"t=0 0\r\n"                                                                        \
	"m=audio 44076 RTP/AVP 8 0 101\r\n"                                                \
	"a=rtpmap:101 telephone-event/8000\r\n"                                            \
	"a=fmtp:101 0-16\r\n"                                                              \
	"a=sendrecv\r\n"

static void kamailio_offer(struct env *e)
{
	int n = snprintf(e->datagram, sizeof(e->datagram),
			 "9170_42 d"
			 "7:command5:offer"
			 "3:sdp%zu:%s"
			 "7:call-id24:5ojn2BUAQNNqxgBRSq4DLg.."
			 "8:from-tag8:f706186c"
			 "10:via-branch36:z9hG4bK-524287-1---c2f871b95bf7422b0"
			 "5:flagsl13:trust-address12:generate-mide"
			 "7:replacel6:origin18:session-connectione"
			 "3:ICE5:force"
			 "4:DTLS7:passive"
			 "18:transport-protocol17:UDP/TLS/RTP/SAVPF"
			 "8:rtcp-muxl5:offere"
			 "4:SDESl3:offe"
			 "11:record-call2:on"
			 "13:received-froml3:IP49:192.0.2.7e"
			 "e",
			 strlen(PHONE_SDP), PHONE_SDP);
	assert_true(n > 0 && (size_t)n < sizeof(e->datagram));
	e->datagram_len = (size_t)n;
}

static void test_ng_kamailio_offer(void **state)
{
	struct env *e = *state;
	const char *reason = NULL;
	struct ng_request *req = &e->req;
	kamailio_offer(e);
	assert_int_equal(parse_ng(e), 0);
	assert_int_equal(e->msg.command, NG_OFFER);
	assert_slice(e->msg.cookie, "9170_42");
	assert_int_equal(ng_request_parse(&e->msg, req, &reason), 0);

	assert_slice(req->call_id, "5ojn2BUAQNNqxgBRSq4DLg..");
	assert_slice(req->from_tag, "f706186c");
	assert_false(slice_is_set(req->to_tag));
	assert_slice(req->via_branch, "z9hG4bK-524287-1---c2f871b95bf7422b0");
	assert_slice(req->sdp, PHONE_SDP);
	assert_slice(req->output.transport_protocol, "UDP/TLS/RTP/SAVPF");
	assert_int_equal(req->output.ice, SESSION_ICE_FORCE);
	assert_slice(req->ice, "force");
	assert_int_equal(req->output.dtls, SESSION_DTLS_PASSIVE);
	assert_int_equal(req->output.replace, SESSION_REPLACE_ORIGIN | SESSION_REPLACE_SESSION_CONNECTION);
	assert_int_equal(req->output.rtcp_mux, SESSION_RTCP_MUX_OFFER);
	assert_true(ng_request_has_flag(req, "trust-address"));
	assert_true(ng_request_has_flag(req, "generate-mid"));
	assert_false(ng_request_has_flag(req, "symmetric"));
	assert_true(bencode_list_has_string(req->sdes, "off"));
	assert_null(req->direction);
	assert_int_equal(req->received_from->count, 2);
	assert_slice(req->received_from->child->next->str, "192.0.2.7");

	/* keys the typed request does not know stay in the dictionary */
	assert_slice(bencode_dict_get_str(e->msg.root, "record-call"), "on");

	/* zero-copy: the SDP is the datagram's own bytes */
	assert_inside(req->sdp, e->datagram, e->datagram_len);
	assert_inside(req->call_id, e->datagram, e->datagram_len);
	assert_inside(e->msg.command_name, e->datagram, e->datagram_len);

	/* the whole datagram goes back out byte for byte */
	mbuf_append_slice(&e->out, e->msg.cookie);
	mbuf_append(&e->out, " ", 1);
	bencode_put_node(&e->out, e->msg.root);
	assert_int_equal(e->out.len, e->datagram_len);
	assert_memory_equal(e->out.data, e->datagram, e->datagram_len);

	/* 23 values: a smaller node array is an error the cookie survives */
	struct bencode_node small[23];
	assert_int_equal(ng_parse(e->datagram, e->datagram_len, small, 23, &e->msg, &e->err), 0);
	assert_int_equal(ng_parse(e->datagram, e->datagram_len, small, 22, &e->msg, &e->err),
			 E2BIG);
	assert_string_equal(e->err.reason, "too many values");
	assert_slice(e->msg.cookie, "9170_42");
}

/* The answer from a browser as rtpengine logs it in the seed document
 * (Kamailio's key order: "command" last), towards a plain SIP phone. */
static void test_ng_kamailio_answer(void **state)
{
	struct env *e = *state;
	const char *reason = NULL;
	struct ng_request *req = &e->req;
	set_datagram(e, "9170_43 d"
			"3:sdp10:v=0\r\ns=-\r\n"
			"4:DTLS3:off"
			"3:ICE6:remove"
			"5:flagsl13:trust-addresse"
			"7:replacel6:origin18:session-connectione"
			"18:transport-protocol7:RTP/AVP"
			"8:rtcp-muxl5:demuxe"
			"4:SDESl3:offe"
			"7:call-id24:5ojn2BUAQNNqxgBRSq4DLg.."
			"10:via-branch36:z9hG4bK-524287-1---c2f871b95bf7422b0"
			"13:received-froml3:IP49:192.0.2.9e"
			"8:from-tag8:f706186c"
			"6:to-tag8:85941b2e"
			"7:command6:answer"
			"e");
	assert_int_equal(parse_ng(e), 0);
	assert_int_equal(e->msg.command, NG_ANSWER);
	assert_int_equal(ng_request_parse(&e->msg, req, &reason), 0);
	assert_slice(req->sdp, "v=0\r\ns=-\r\n");
	assert_slice(req->to_tag, "85941b2e");
	assert_slice(req->from_tag, "f706186c");
	assert_int_equal(req->output.dtls, SESSION_DTLS_OFF);
	assert_int_equal(req->output.ice, SESSION_ICE_REMOVE);
	assert_int_equal(req->output.rtcp_mux, SESSION_RTCP_MUX_DEMUX);
	assert_slice(req->output.transport_protocol, "RTP/AVP");
	assert_true(ng_request_has_flag(req, "trust-address"));
}

static void test_ng_request_values(void **state)
{
	struct env *e = *state;
	const char *reason = NULL;
	struct ng_request *req = &e->req;

	/* a bare delete: nothing but ids */
	set_datagram(e, "c d7:command6:delete7:call-id3:abc8:from-tag1:xe");
	assert_int_equal(parse_ng(e), 0);
	assert_int_equal(ng_request_parse(&e->msg, req, &reason), 0);
	assert_slice(req->call_id, "abc");
	assert_false(slice_is_set(req->sdp));
	assert_false(slice_is_set(req->ice));
	assert_int_equal(req->output.ice, SESSION_ICE_UNSET);
	assert_int_equal(req->output.dtls, SESSION_DTLS_UNSET);
	assert_null(req->flags);
	assert_false(ng_request_has_flag(req, "trust-address"));
	assert_int_equal(req->output.replace, 0);
	assert_int_equal(req->output.rtcp_mux, 0);

	/* other words: kept raw, known words become bits, unknown are ignored */
	set_datagram(e, "c d7:command5:offer3:ICE11:force-relay4:DTLS2:no"
			"8:rtcp-muxl5:offer5:demux6:accept6:reject7:require5:bogus0:e"
			"7:replacel6:Origin18:session connectione"
			"9:directionl8:external8:internale"
			"5:flagsle0:i1ee");
	assert_int_equal(parse_ng(e), 0);
	assert_int_equal(ng_request_parse(&e->msg, req, &reason), 0);
	assert_int_equal(req->output.ice, SESSION_ICE_OTHER);
	assert_slice(req->ice, "force-relay");
	assert_int_equal(req->output.dtls, SESSION_DTLS_OFF);
	assert_int_equal(req->output.rtcp_mux, SESSION_RTCP_MUX_OFFER | SESSION_RTCP_MUX_DEMUX |
						SESSION_RTCP_MUX_ACCEPT | SESSION_RTCP_MUX_REJECT |
						SESSION_RTCP_MUX_REQUIRE);
	assert_int_equal(req->output.replace, 0);
	assert_int_equal(req->direction->count, 2);
	assert_slice(req->direction->child->str, "external");
	assert_non_null(req->flags);
	assert_int_equal(req->flags->count, 0);

	static const struct {
		const char *dtls;
		enum session_dtls mode;
	} dtls[] = {
		{ "passive", SESSION_DTLS_PASSIVE }, { "active", SESSION_DTLS_ACTIVE }, { "off", SESSION_DTLS_OFF },
		{ "no", SESSION_DTLS_OFF },		{ "OFF", SESSION_DTLS_OTHER },     { "", SESSION_DTLS_OTHER },
	};
	char text[128];
	for (size_t i = 0; i < sizeof(dtls) / sizeof(dtls[0]); i++) {
		snprintf(text, sizeof(text), "c d7:command5:offer4:DTLS%zu:%se",
			 strlen(dtls[i].dtls), dtls[i].dtls);
		set_datagram(e, text);
		assert_int_equal(parse_ng(e), 0);
		assert_int_equal(ng_request_parse(&e->msg, req, &reason), 0);
		assert_int_equal(req->output.dtls, dtls[i].mode);
	}
}

static void test_ng_request_errors(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *text;
		const char *reason;
	} cases[] = {
		{ "c d7:command5:offer7:call-idi1ee", "call-id is not a string" },
		{ "c d7:command5:offer3:sdpl3:v=0ee", "sdp is not a string" },
		{ "c d7:command5:offer3:ICEl5:forceee", "ICE is not a string" },
		{ "c d7:command5:offer4:DTLSdee", "DTLS is not a string" },
		{ "c d7:command5:offer6:to-tagi0ee", "to-tag is not a string" },
		{ "c d7:command5:offer5:flags13:trust-addresse", "flags must be a list of strings" },
		{ "c d7:command5:offer5:flagsl13:trust-addressi1eee",
		  "flags must be a list of strings" },
		{ "c d7:command5:offer7:replacelle6:originee", "replace must be a list of strings" },
		{ "c d7:command5:offer8:rtcp-mux5:offere", "rtcp-mux must be a list of strings" },
		{ "c d7:command5:offer4:SDESi0ee", "SDES must be a list of strings" },
		{ "c d7:command5:offer18:transport-protocoli1ee",
		  "transport-protocol is not a string" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *reason = NULL;
		set_datagram(e, cases[i].text);
		assert_int_equal(parse_ng(e), 0);
		assert_int_equal(ng_request_parse(&e->msg, &e->req, &reason), EBADMSG);
		if (!reason || strcmp(reason, cases[i].reason) != 0)
			fail_msg("\"%s\": got \"%s\", expected \"%s\"", cases[i].text,
				 reason ? reason : "(none)", cases[i].reason);
	}
}

/* ------------------------------------------------------------- ng replies */

static void test_ng_replies(void **state)
{
	struct env *e = *state;
	set_datagram(e, "5ee6_1 d7:command4:pinge");
	assert_int_equal(parse_ng(e), 0);
	assert_int_equal(e->msg.command, NG_PING);
	ng_reply_pong(&e->out, e->msg.cookie);
	assert_false(mbuf_failed(&e->out));
	assert_string_equal(e->out.data, "5ee6_1 d6:result4:ponge");

	mbuf_reset(&e->out);
	ng_reply_error(&e->out, SLICE_LIT("5ee6_2"), "Unknown call-id");
	assert_string_equal(e->out.data,
			    "5ee6_2 d6:result5:error12:error-reason15:Unknown call-ide");

	/* an error reply for a body that did not decode still has the cookie */
	set_datagram(e, "77_3 d7:command");
	assert_int_equal(parse_ng(e), EBADMSG);
	mbuf_reset(&e->out);
	ng_reply_error(&e->out, e->msg.cookie, e->err.reason);
	assert_string_equal(e->out.data,
			    "77_3 d6:result5:error12:error-reason23:unexpected end of inpute");

	mbuf_reset(&e->out);
	ng_reply_ok_begin(&e->out, SLICE_LIT("5ee6_3"));
	bencode_put_str(&e->out, "sdp");
	bencode_put_str(&e->out, "v=0\r\n");
	bencode_dict_end(&e->out);
	assert_string_equal(e->out.data, "5ee6_3 d6:result2:ok3:sdp5:v=0\r\ne");

	/* replies are well-formed bencode after the cookie */
	const char *body = strchr(e->out.data, ' ') + 1;
	assert_int_equal(decode(e, body), 0);
	assert_slice(bencode_dict_get_str(e->root, "result"), "ok");
	assert_slice(bencode_dict_get_str(e->root, "sdp"), "v=0\r\n");
}

int main(void)
{
#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_bep3_examples),	   T(test_errors),
		T(test_truncations),	   T(test_depth_limit),
		T(test_node_limit),	   T(test_lookups),
		T(test_encode_bytes),	   T(test_round_trip),
		T(test_ng_envelope_errors), T(test_ng_cookie_length),
		T(test_ng_commands),	   T(test_ng_kamailio_offer),
		T(test_ng_kamailio_answer), T(test_ng_request_values),
		T(test_ng_request_errors), T(test_ng_replies),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
