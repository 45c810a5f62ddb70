/*
 * fuzz_bencode.c - libFuzzer target for the bencode decoder and encoder and
 * the rtpengine "ng" envelope built on them.
 *
 * The input is decoded as one bencoded value. A refusal must carry a known
 * code, a reason and an offset within the input. A decoded tree must keep
 * to its limits (nodes in the array, depth, counts that match the links)
 * with every slice inside the input; encoded again it must give back the
 * input byte for byte (accepted inputs are canonical), and that encoding
 * must decode to an equal tree.
 *
 * The same input is then read as an ng datagram: a cookie that is set lies
 * at the start, is at most NG_MAX_COOKIE bytes and holds no space; a parsed
 * message has a dictionary with its command; its typed request points into
 * the datagram; and the replies we would send (an error, or "ok" with
 * some of the request's fields, and a pong) decode as dictionaries.
 */
#include "ng/bencode.h"
#include "ng/ng.h"
#include "fuzz_slices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NODES 512

static void check_inside(struct slice s, const char *buf, size_t len)
{
	if (!fuzz_slice_inside(s, buf, len))
		abort();
}

static void check_error(int rc, const struct bencode_error *err, size_t len)
{
	if ((rc != EBADMSG && rc != ERANGE && rc != E2BIG) || !err->reason || err->offset > len)
		abort();
}

/* Walk a decoded tree: limits, links, slices. Returns the values in it. */
static size_t check_tree(const struct bencode_node *n, const struct bencode_node *nodes,
			 unsigned depth, const char *buf, size_t len)
{
	if (n < nodes || n >= nodes + NODES)
		abort();
	check_inside(n->raw, buf, len);
	check_inside(n->key, buf, len);
	if (!slice_is_set(n->raw) || n->raw.len == 0)
		abort();
	switch (n->type) {
	case BENCODE_INT:
		return 1;
	case BENCODE_STR:
		if (!slice_is_set(n->str))
			abort();
		check_inside(n->str, buf, len);
		return 1;
	case BENCODE_LIST:
	case BENCODE_DICT:
		break;
	default:
		abort();
	}
	if (depth >= BENCODE_MAX_DEPTH)
		abort();
	size_t count = 0, values = 1;
	for (const struct bencode_node *c = n->child; c; c = c->next) {
		if (slice_is_set(c->key) != (n->type == BENCODE_DICT))
			abort();
		if (c->raw.p < n->raw.p || c->raw.p + c->raw.len > n->raw.p + n->raw.len)
			abort();
		values += check_tree(c, nodes, depth + 1, buf, len);
		count++;
	}
	if (count != n->count)
		abort();
	return values;
}

static void check_equal(const struct bencode_node *a, const struct bencode_node *b)
{
	if (a->type != b->type || a->count != b->count || !slice_eq(a->key, b->key) ||
	    !slice_eq(a->raw, b->raw))
		abort();
	if ((a->type == BENCODE_INT && a->num != b->num) ||
	    (a->type == BENCODE_STR && !slice_eq(a->str, b->str)))
		abort();
	const struct bencode_node *x = a->child, *y = b->child;
	for (; x && y; x = x->next, y = y->next)
		check_equal(x, y);
	if (x || y)
		abort();
}

static void check_bencode(const char *buf, size_t size)
{
	static struct bencode_node nodes[NODES], again[NODES];
	struct bencode_node *root, *root2;
	struct bencode_error err = { 0 };
	int rc = bencode_decode(buf, size, nodes, NODES, &root, &err);
	if (rc) {
		check_error(rc, &err, size);
		return;
	}
	check_tree(root, nodes, 0, buf, size);
	if (root->raw.p != buf || root->raw.len != size)
		abort();

	struct mbuf out;
	mbuf_init(&out);
	bencode_put_node(&out, root);
	if (mbuf_failed(&out) || out.len != size || memcmp(out.data, buf, size) != 0)
		abort();
	if (bencode_decode(out.data, out.len, again, NODES, &root2, &err) != 0)
		abort();
	check_equal(root, root2);
	mbuf_free(&out);
}

/* A reply we built: "<cookie> <dictionary with result>". */
static void check_reply(const struct mbuf *out, struct slice cookie)
{
	static struct bencode_node nodes[NODES];
	struct bencode_node *root;
	struct bencode_error err;
	size_t body = cookie.len + 1;
	if (mbuf_failed(out) || out->len <= body || memcmp(out->data, cookie.p, cookie.len) != 0 ||
	    out->data[cookie.len] != ' ' ||
	    bencode_decode(out->data + body, out->len - body, nodes, NODES, &root, &err) != 0 ||
	    root->type != BENCODE_DICT || !slice_is_set(bencode_dict_get_str(root, "result")))
		abort();
}

static void check_ng(const char *buf, size_t size)
{
	static struct bencode_node nodes[NG_MAX_NODES];
	struct ng_message msg;
	struct ng_request req;
	struct bencode_error err = { 0 };
	struct mbuf out;
	const char *reason = NULL;

	int rc = ng_parse(buf, size, nodes, NG_MAX_NODES, &msg, &err);
	if (slice_is_set(msg.cookie) &&
	    (msg.cookie.p != buf || msg.cookie.len == 0 || msg.cookie.len > NG_MAX_COOKIE ||
	     msg.cookie.len >= size || memchr(msg.cookie.p, ' ', msg.cookie.len) ||
	     buf[msg.cookie.len] != ' '))
		abort();
	mbuf_init(&out);
	if (rc) {
		check_error(rc, &err, size);
		if (slice_is_set(msg.cookie)) {
			ng_reply_error(&out, msg.cookie, err.reason);
			check_reply(&out, msg.cookie);
		}
		mbuf_free(&out);
		return;
	}
	if (!slice_is_set(msg.cookie) || !msg.root || msg.root->type != BENCODE_DICT ||
	    msg.command != ng_command_from_name(msg.command_name))
		abort();
	check_inside(msg.command_name, buf, size);

	if (ng_request_parse(&msg, &req, &reason) == 0) {
		const struct slice fields[] = { req.call_id, req.from_tag,	  req.to_tag,
						req.via_branch, req.sdp,	  req.output.transport_protocol,
						req.ice,	req.dtls };
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			check_inside(fields[i], buf, size);
		if ((req.output.ice == SESSION_ICE_UNSET) == slice_is_set(req.ice) ||
		    (req.output.dtls == SESSION_DTLS_UNSET) == slice_is_set(req.dtls) ||
		    (req.flags && !bencode_list_all_strings(req.flags)) ||
		    (!req.replace_list && req.output.replace) ||
		    (!req.rtcp_mux_list && req.output.rtcp_mux))
			abort();
		ng_reply_ok_begin(&out, msg.cookie);
		bencode_put_str(&out, "command");
		bencode_put_slice(&out, msg.command_name);
		if (req.flags) {
			bencode_put_str(&out, "flags");
			bencode_put_node(&out, req.flags);
		}
		if (slice_is_set(req.sdp)) {
			bencode_put_str(&out, "sdp");
			bencode_put_slice(&out, req.sdp);
		}
		bencode_dict_end(&out);
	} else {
		if (!reason)
			abort();
		ng_reply_error(&out, msg.cookie, reason);
	}
	check_reply(&out, msg.cookie);
	if (msg.command == NG_PING) {
		mbuf_reset(&out);
		ng_reply_pong(&out, msg.cookie);
		check_reply(&out, msg.cookie);
	}
	mbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	check_bencode(buf, size);
	check_ng(buf, size);
	return 0;
}
