/*
 * bencode.c - bencoding (BEP 3): a recursive-descent decoder into a caller's
 * node array, look-ups on the tree, and an encoder into an mbuf.
 *
 * The decoder takes a node for a value before looking inside it, so a
 * container's node precedes its children in the array (pre-order) and the
 * node limit is checked once per value. Recursion is one level per nested
 * container, at most BENCODE_MAX_DEPTH deep. Each fault is reported where it
 * is found, with the offset of the offending byte, and the first one ends
 * the decode.
 */
#include "ng/bencode.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

struct decoder {
	const char *buf;
	size_t len, pos;
	struct bencode_node *nodes;
	size_t max_nodes, used;
	struct bencode_error *err;
};

static int refuse(struct decoder *d, int code, size_t offset, const char *reason)
{
	d->err->reason = reason;
	d->err->offset = offset;
	return code;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool at_end(const struct decoder *d)
{
	return d->pos == d->len;
}

/* ------------------------------------------------------------ decoding */

/* i[-]<digits>e, the value within int64_t. */
static int decode_int(struct decoder *d, struct bencode_node *n)
{
	d->pos++; /* 'i' */
	bool negative = !at_end(d) && d->buf[d->pos] == '-';
	if (negative)
		d->pos++;
	size_t digits = d->pos;
	uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t v = 0;
	for (; !at_end(d) && is_digit(d->buf[d->pos]); d->pos++) {
		unsigned digit = (unsigned)(d->buf[d->pos] - '0');
		if (d->pos > digits && d->buf[digits] == '0')
			return refuse(d, EBADMSG, digits, "leading zero in integer");
		if (v > (limit - digit) / 10)
			return refuse(d, ERANGE, d->pos, "integer out of range");
		v = v * 10 + digit;
	}
	if (at_end(d))
		return refuse(d, EBADMSG, d->pos, "unexpected end of input");
	if (d->buf[d->pos] != 'e')
		return refuse(d, EBADMSG, d->pos, "invalid character in integer");
	if (d->pos == digits)
		return refuse(d, EBADMSG, d->pos, "integer without digits");
	if (negative && v == 0)
		return refuse(d, EBADMSG, digits - 1, "negative zero");
	d->pos++;
	n->type = BENCODE_INT;
	/* -(INT64_MAX + 1) without signed overflow */
	n->num = negative ? -(int64_t)(v - 1) - 1 : (int64_t)v;
	return 0;
}

/* <length>:<bytes>, the length bounded by what is left of the input. */
static int decode_string(struct decoder *d, struct slice *out)
{
	size_t start = d->pos;
	size_t n = 0;
	for (; !at_end(d) && is_digit(d->buf[d->pos]); d->pos++) {
		unsigned digit = (unsigned)(d->buf[d->pos] - '0');
		if (d->pos > start && d->buf[start] == '0')
			return refuse(d, EBADMSG, start, "leading zero in string length");
		if (n > d->len / 10 || n * 10 + digit > d->len)
			return refuse(d, EBADMSG, start, "string longer than the input");
		n = n * 10 + digit;
	}
	if (at_end(d))
		return refuse(d, EBADMSG, d->pos, "unexpected end of input");
	if (d->buf[d->pos] != ':')
		return refuse(d, EBADMSG, d->pos, "invalid character in string length");
	d->pos++;
	if (n > d->len - d->pos)
		return refuse(d, EBADMSG, start, "string longer than the input");
	*out = slice_make(d->buf + d->pos, n);
	d->pos += n;
	return 0;
}

static int decode_value(struct decoder *d, unsigned depth, struct bencode_node **out);

/* l<value>*e or d(<string><value>)*e; the opening byte is at d->pos. */
static int decode_container(struct decoder *d, unsigned depth, struct bencode_node *n)
{
	bool dict = d->buf[d->pos] == 'd';
	if (depth == BENCODE_MAX_DEPTH)
		return refuse(d, E2BIG, d->pos, "nesting too deep");
	d->pos++;
	n->type = dict ? BENCODE_DICT : BENCODE_LIST;
	struct bencode_node **link = &n->child;
	for (;;) {
		if (at_end(d))
			return refuse(d, EBADMSG, d->pos, "unexpected end of input");
		if (d->buf[d->pos] == 'e') {
			d->pos++;
			return 0;
		}
		struct slice key = SLICE_NULL;
		if (dict) {
			if (!is_digit(d->buf[d->pos]))
				return refuse(d, EBADMSG, d->pos, "dictionary key is not a string");
			int rc = decode_string(d, &key);
			if (rc)
				return rc;
			if (!at_end(d) && d->buf[d->pos] == 'e')
				return refuse(d, EBADMSG, d->pos, "dictionary key without a value");
		}
		struct bencode_node *child;
		int rc = decode_value(d, depth + 1, &child);
		if (rc)
			return rc;
		child->key = key;
		*link = child;
		link = &child->next;
		n->count++;
	}
}

/* One value at d->pos; depth counts the containers around it. */
static int decode_value(struct decoder *d, unsigned depth, struct bencode_node **out)
{
	if (at_end(d))
		return refuse(d, EBADMSG, d->pos, "unexpected end of input");
	if (d->used == d->max_nodes)
		return refuse(d, E2BIG, d->pos, "too many values");
	struct bencode_node *n = &d->nodes[d->used++];
	memset(n, 0, sizeof(*n));
	size_t start = d->pos;
	char c = d->buf[d->pos];
	int rc;
	if (c == 'i') {
		rc = decode_int(d, n);
	} else if (is_digit(c)) {
		n->type = BENCODE_STR;
		rc = decode_string(d, &n->str);
	} else if (c == 'l' || c == 'd') {
		rc = decode_container(d, depth, n);
	} else {
		return refuse(d, EBADMSG, d->pos, "invalid character at start of value");
	}
	if (rc)
		return rc;
	n->raw = slice_make(d->buf + start, d->pos - start);
	*out = n;
	return 0;
}

int bencode_decode(const char *buf, size_t len, struct bencode_node *nodes, size_t max_nodes,
		   struct bencode_node **root, struct bencode_error *err)
{
	struct decoder d = {
		.buf = buf, .len = len, .nodes = nodes, .max_nodes = max_nodes, .err = err,
	};
	int rc = decode_value(&d, 0, root);
	if (rc)
		return rc;
	if (!at_end(&d))
		return refuse(&d, EBADMSG, d.pos, "trailing bytes after the value");
	return 0;
}

/* ------------------------------------------------------------ lookups */

const struct bencode_node *bencode_dict_get(const struct bencode_node *dict, const char *key)
{
	if (!dict || dict->type != BENCODE_DICT)
		return NULL;
	for (const struct bencode_node *n = dict->child; n; n = n->next)
		if (slice_eq_cstr(n->key, key))
			return n;
	return NULL;
}

struct slice bencode_dict_get_str(const struct bencode_node *dict, const char *key)
{
	struct slice s;
	return bencode_str(bencode_dict_get(dict, key), &s) ? s : SLICE_NULL;
}

bool bencode_str(const struct bencode_node *node, struct slice *out)
{
	if (!node || node->type != BENCODE_STR)
		return false;
	*out = node->str;
	return true;
}

bool bencode_int(const struct bencode_node *node, int64_t *out)
{
	if (!node || node->type != BENCODE_INT)
		return false;
	*out = node->num;
	return true;
}

const struct bencode_node *bencode_first(const struct bencode_node *node)
{
	if (!node || (node->type != BENCODE_LIST && node->type != BENCODE_DICT))
		return NULL;
	return node->child;
}

bool bencode_list_has_string(const struct bencode_node *list, const char *s)
{
	if (!list || list->type != BENCODE_LIST)
		return false;
	for (const struct bencode_node *n = list->child; n; n = n->next)
		if (n->type == BENCODE_STR && slice_eq_cstr(n->str, s))
			return true;
	return false;
}

bool bencode_list_all_strings(const struct bencode_node *list)
{
	if (!list || list->type != BENCODE_LIST)
		return false;
	for (const struct bencode_node *n = list->child; n; n = n->next)
		if (n->type != BENCODE_STR)
			return false;
	return true;
}

/* ------------------------------------------------------------ encoding */

void bencode_put_int(struct mbuf *b, int64_t v)
{
	mbuf_printf(b, "i%" PRId64 "e", v);
}

void bencode_put_slice(struct mbuf *b, struct slice s)
{
	mbuf_printf(b, "%zu:", s.len);
	mbuf_append_slice(b, s);
}

void bencode_put_str(struct mbuf *b, const char *s)
{
	bencode_put_slice(b, slice_from_cstr(s));
}

void bencode_dict_begin(struct mbuf *b)
{
	mbuf_append(b, "d", 1);
}

void bencode_list_begin(struct mbuf *b)
{
	mbuf_append(b, "l", 1);
}

void bencode_dict_end(struct mbuf *b)
{
	mbuf_append(b, "e", 1);
}

void bencode_list_end(struct mbuf *b)
{
	mbuf_append(b, "e", 1);
}

void bencode_put_node(struct mbuf *b, const struct bencode_node *node)
{
	switch (node->type) {
	case BENCODE_INT:
		bencode_put_int(b, node->num);
		return;
	case BENCODE_STR:
		bencode_put_slice(b, node->str);
		return;
	case BENCODE_LIST:
	case BENCODE_DICT:
		mbuf_append(b, node->type == BENCODE_DICT ? "d" : "l", 1);
		for (const struct bencode_node *n = node->child; n; n = n->next) {
			if (node->type == BENCODE_DICT)
				bencode_put_slice(b, n->key);
			bencode_put_node(b, n);
		}
		mbuf_append(b, "e", 1);
		return;
	}
}
