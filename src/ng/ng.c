/*
 * ng.c - rtpengine "ng" envelope: cookie and command, the common request
 * fields, and the reply dictionaries.
 *
 * The request fields are read through two tables (string fields, list
 * fields), each entry naming a key, where its value goes in struct
 * ng_request and the reason given when the value has the wrong type; a new
 * common field is one more table line. Known words inside the values (ICE,
 * DTLS, replace, rtcp-mux) become enums and bits here, so the handlers
 * switch on them instead of comparing strings; anything else stays
 * available as the raw slice or list.
 */
#include "ng/ng.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static int refuse(struct bencode_error *err, size_t offset, const char *reason)
{
	err->reason = reason;
	err->offset = offset;
	return EBADMSG;
}

/* ------------------------------------------------------------ envelope */

static const char *const command_names[] = {
	[NG_PING] = "ping",	[NG_OFFER] = "offer", [NG_ANSWER] = "answer",
	[NG_DELETE] = "delete", [NG_QUERY] = "query", [NG_LIST] = "list",
};

enum ng_command ng_command_from_name(struct slice name)
{
	for (size_t i = 0; i < NG_UNKNOWN; i++)
		if (slice_eq_cstr(name, command_names[i]))
			return (enum ng_command)i;
	return NG_UNKNOWN;
}

int ng_parse(const char *buf, size_t len, struct bencode_node *nodes, size_t max_nodes,
	     struct ng_message *msg, struct bencode_error *err)
{
	memset(msg, 0, sizeof(*msg));
	msg->command = NG_UNKNOWN;

	/* The space can only be among the first NG_MAX_COOKIE + 1 bytes. */
	size_t scan = len < NG_MAX_COOKIE + 1 ? len : NG_MAX_COOKIE + 1;
	const char *space = scan ? memchr(buf, ' ', scan) : NULL;
	if (!space && len > NG_MAX_COOKIE)
		return refuse(err, NG_MAX_COOKIE, "cookie longer than 64 bytes");
	if (!space)
		return refuse(err, len, "no space after the cookie");
	if (space == buf)
		return refuse(err, 0, "empty cookie");
	msg->cookie = slice_make(buf, (size_t)(space - buf));

	size_t body = msg->cookie.len + 1;
	int rc = bencode_decode(buf + body, len - body, nodes, max_nodes, &msg->root, err);
	if (rc) {
		msg->root = NULL;
		err->offset += body;
		return rc;
	}
	if (msg->root->type != BENCODE_DICT)
		return refuse(err, body, "message is not a dictionary");
	const struct bencode_node *command = bencode_dict_get(msg->root, "command");
	if (!command)
		return refuse(err, body, "no command in the message");
	if (!bencode_str(command, &msg->command_name))
		return refuse(err, (size_t)(command->raw.p - buf), "command is not a string");
	msg->command = ng_command_from_name(msg->command_name);
	return 0;
}

/* ------------------------------------------------------------ requests */

static const struct {
	const char *key;
	size_t offset; /* of a struct slice in struct ng_request */
	const char *refusal;
} string_fields[] = {
	{ "call-id", offsetof(struct ng_request, call_id), "call-id is not a string" },
	{ "from-tag", offsetof(struct ng_request, from_tag), "from-tag is not a string" },
	{ "to-tag", offsetof(struct ng_request, to_tag), "to-tag is not a string" },
	{ "via-branch", offsetof(struct ng_request, via_branch), "via-branch is not a string" },
	{ "sdp", offsetof(struct ng_request, sdp), "sdp is not a string" },
	{ "transport-protocol", offsetof(struct ng_request, output.transport_protocol),
	  "transport-protocol is not a string" },
	{ "ICE", offsetof(struct ng_request, ice), "ICE is not a string" },
	{ "DTLS", offsetof(struct ng_request, dtls), "DTLS is not a string" },
};

static const struct {
	const char *key;
	size_t offset; /* of a const struct bencode_node * in struct ng_request */
	const char *refusal;
} list_fields[] = {
	{ "flags", offsetof(struct ng_request, flags), "flags must be a list of strings" },
	{ "replace", offsetof(struct ng_request, replace_list),
	  "replace must be a list of strings" },
	{ "rtcp-mux", offsetof(struct ng_request, rtcp_mux_list),
	  "rtcp-mux must be a list of strings" },
	{ "SDES", offsetof(struct ng_request, sdes), "SDES must be a list of strings" },
	{ "direction", offsetof(struct ng_request, direction),
	  "direction must be a list of strings" },
	{ "received-from", offsetof(struct ng_request, received_from),
	  "received-from must be a list of strings" },
};

struct word {
	const char *name;
	unsigned bit;
};

static const struct word replace_words[] = {
	{ "origin", SESSION_REPLACE_ORIGIN },
	{ "session-connection", SESSION_REPLACE_SESSION_CONNECTION },
};

static const struct word rtcp_mux_words[] = {
	{ "offer", SESSION_RTCP_MUX_OFFER },	  { "demux", SESSION_RTCP_MUX_DEMUX },
	{ "accept", SESSION_RTCP_MUX_ACCEPT }, { "reject", SESSION_RTCP_MUX_REJECT },
	{ "require", SESSION_RTCP_MUX_REQUIRE },
};

/* The bits of the words a list of strings holds. */
static unsigned list_bits(const struct bencode_node *list, const struct word *words, size_t count)
{
	unsigned bits = 0;
	for (const struct bencode_node *n = bencode_first(list); n; n = n->next)
		for (size_t i = 0; i < count; i++)
			if (slice_eq_cstr(n->str, words[i].name))
				bits |= words[i].bit;
	return bits;
}

static enum session_ice ice_mode(struct slice s)
{
	if (!slice_is_set(s))
		return SESSION_ICE_UNSET;
	if (slice_eq_cstr(s, "force"))
		return SESSION_ICE_FORCE;
	if (slice_eq_cstr(s, "remove"))
		return SESSION_ICE_REMOVE;
	return SESSION_ICE_OTHER;
}

static enum session_dtls dtls_mode(struct slice s)
{
	if (!slice_is_set(s))
		return SESSION_DTLS_UNSET;
	if (slice_eq_cstr(s, "passive"))
		return SESSION_DTLS_PASSIVE;
	if (slice_eq_cstr(s, "active"))
		return SESSION_DTLS_ACTIVE;
	if (slice_eq_cstr(s, "off") || slice_eq_cstr(s, "no"))
		return SESSION_DTLS_OFF;
	return SESSION_DTLS_OTHER;
}

int ng_request_parse(const struct ng_message *msg, struct ng_request *req, const char **reason)
{
	memset(req, 0, sizeof(*req));
	for (size_t i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
		const struct bencode_node *n = bencode_dict_get(msg->root, string_fields[i].key);
		struct slice *field = (struct slice *)((char *)req + string_fields[i].offset);
		if (n && !bencode_str(n, field)) {
			*reason = string_fields[i].refusal;
			return EBADMSG;
		}
	}
	for (size_t i = 0; i < sizeof(list_fields) / sizeof(list_fields[0]); i++) {
		const struct bencode_node *n = bencode_dict_get(msg->root, list_fields[i].key);
		if (n && !bencode_list_all_strings(n)) {
			*reason = list_fields[i].refusal;
			return EBADMSG;
		}
		*(const struct bencode_node **)((char *)req + list_fields[i].offset) = n;
	}
	req->output.ice = ice_mode(req->ice);
	req->output.dtls = dtls_mode(req->dtls);
	req->output.replace = list_bits(req->replace_list, replace_words,
				 sizeof(replace_words) / sizeof(replace_words[0]));
	req->output.rtcp_mux = list_bits(req->rtcp_mux_list, rtcp_mux_words,
				  sizeof(rtcp_mux_words) / sizeof(rtcp_mux_words[0]));
	return 0;
}

bool ng_request_has_flag(const struct ng_request *req, const char *flag)
{
	return bencode_list_has_string(req->flags, flag);
}

/* ------------------------------------------------------------ replies */

/* "<cookie> d6:result<result>", the dictionary left open */
static void reply_begin(struct mbuf *out, struct slice cookie, const char *result)
{
	mbuf_append_slice(out, cookie);
	mbuf_append(out, " ", 1);
	bencode_dict_begin(out);
	bencode_put_str(out, "result");
	bencode_put_str(out, result);
}

void ng_reply_pong(struct mbuf *out, struct slice cookie)
{
	reply_begin(out, cookie, "pong");
	bencode_dict_end(out);
}

void ng_reply_error(struct mbuf *out, struct slice cookie, const char *reason)
{
	reply_begin(out, cookie, "error");
	bencode_put_str(out, "error-reason");
	bencode_put_str(out, reason);
	bencode_dict_end(out);
}

void ng_reply_ok_begin(struct mbuf *out, struct slice cookie)
{
	reply_begin(out, cookie, "ok");
}
