/*
 * bencode.h - bencoding (BEP 3), the body format of rtpengine's "ng"
 * control protocol (see ng.h).
 *
 *   integer     i42e  i-7e  i0e        (no leading zeros, no -0, int64 range)
 *   byte string 4:spam  0:             (length in decimal, no leading zeros)
 *   list        l4:spami42ee
 *   dictionary  d3:cow3:moo4:spam4:eggse   (keys are byte strings)
 *
 * Decoding is zero-copy and never allocates: bencode_decode() builds a small
 * tree in a node array the caller provides (usually on the stack), one node
 * per value, and every slice in it points into the input, which must stay
 * put while the tree is looked at. A dictionary's values carry their key in
 * node->key, so a dictionary entry costs one node, not two.
 *
 * Strict where the encoding could have two spellings (leading zeros, -0), so
 * an accepted input is exactly the encoding of its tree: bencode_put_node()
 * gives back the same bytes. Lenient where rtpengine's clients are: keys may
 * come in any order (they are kept in input order) and may repeat (lookups
 * find the first). Nesting is limited to BENCODE_MAX_DEPTH containers, which
 * also bounds the decoder's and encoder's recursion.
 *
 * The encoder appends to an mbuf; its failure is sticky (mbuf_failed), so a
 * reply is built with a run of calls and checked once. The caller writes
 * dictionary keys as bencode_put_str() calls, in the order it wants.
 */
#ifndef RTCB_NG_BENCODE_H
#define RTCB_NG_BENCODE_H

#include "core/mbuf.h"
#include "core/slice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Containers inside containers: 32 nested lists decode, 33 do not. */
#define BENCODE_MAX_DEPTH 32

enum bencode_type {
	BENCODE_INT,
	BENCODE_STR,
	BENCODE_LIST,
	BENCODE_DICT,
};

struct bencode_node {
	enum bencode_type type;
	struct slice key;  /* the key of a dictionary value; not set elsewhere */
	struct slice raw;  /* the whole encoded value, e.g. "4:spam" */
	struct slice str;  /* BENCODE_STR: the bytes (set, maybe empty) */
	int64_t num;       /* BENCODE_INT */
	size_t count;      /* BENCODE_LIST: elements; BENCODE_DICT: entries */
	/* first element or entry of a container, and the next one in the
	 * container that holds this node; NULL at the end */
	struct bencode_node *child, *next;
};

/* Why an input was refused, e.g. "leading zero in integer" at offset 1. */
struct bencode_error {
	const char *reason;
	size_t offset; /* of the byte at fault; the input length at its end */
};

/*
 * Decode buf[0..len), which must hold exactly one value, into nodes[0..
 * max_nodes) and point *root at it. 0, or with err filled:
 *   EBADMSG  malformed: unexpected end of input, a byte that cannot start a
 *            value, no digits or a leading zero or -0 in an integer, a bad
 *            or zero-padded string length, a string longer than the input,
 *            a dictionary key that is not a string, bytes after the value
 *   ERANGE   an integer outside int64_t
 *   E2BIG    more than BENCODE_MAX_DEPTH nested containers, or more than
 *            max_nodes values
 * On error the nodes hold nothing useful.
 */
int bencode_decode(const char *buf, size_t len, struct bencode_node *nodes, size_t max_nodes,
		   struct bencode_node **root, struct bencode_error *err);

/* ------------------------------------------------------------ lookups
 * All take NULL (a missing value) and answer "absent", so look-ups chain:
 * bencode_dict_get_str(bencode_dict_get(root, "a"), "b"). */

/* The first value under key in a dictionary; NULL when absent or when dict
 * is not a dictionary. */
const struct bencode_node *bencode_dict_get(const struct bencode_node *dict, const char *key);

/* The string under key, or SLICE_NULL when absent or not a string. */
struct slice bencode_dict_get_str(const struct bencode_node *dict, const char *key);

/* The string in node, or false when node is not a string. */
bool bencode_str(const struct bencode_node *node, struct slice *out);

/* The integer in node, or false when node is not an integer. */
bool bencode_int(const struct bencode_node *node, int64_t *out);

/* First element of a list or entry of a dictionary, NULL when empty or not
 * a container; iterate with ->next:
 *   for (const struct bencode_node *n = bencode_first(list); n; n = n->next) */
const struct bencode_node *bencode_first(const struct bencode_node *node);

/* Does a list hold the string s (bytes compared exactly)? For "flags"
 * style lists: bencode_list_has_string(flags, "trust-address"). */
bool bencode_list_has_string(const struct bencode_node *list, const char *s);

/* Is every element of a list a string? */
bool bencode_list_all_strings(const struct bencode_node *list);

/* ------------------------------------------------------------ encoding */

void bencode_put_int(struct mbuf *b, int64_t v);
void bencode_put_str(struct mbuf *b, const char *s);
void bencode_put_slice(struct mbuf *b, struct slice s);
void bencode_dict_begin(struct mbuf *b);
void bencode_dict_end(struct mbuf *b);
void bencode_list_begin(struct mbuf *b);
void bencode_list_end(struct mbuf *b);

/* A decoded value and everything in it, dictionary keys in node order. */
void bencode_put_node(struct mbuf *b, const struct bencode_node *node);

#endif
