/*
 * sdp.h - SDP session descriptions (RFC 8866, the syntax of RFC 4566) as a
 * data model for RFC 3264 offer/answer: parse, rewrite, print.
 *
 * The media gateway parses each leg's SDP into a struct sdp_session, edits
 * it (addresses, ports, profile, ICE credentials and candidates, DTLS or
 * SDES keys, codecs, direction) and prints it for the other leg. Nothing here
 * knows about sockets: addresses and ports are just text and numbers.
 *
 * Memory: sdp_parse() never allocates and never copies. Every slice points
 * into the caller's buffer, which must outlive the session. A caller that
 * rewrites a field points the slice at memory of its own (which must outlive
 * the printing). Numbers are parsed into integers. A zeroed struct is a valid
 * empty session; every "absent" is 0, false or SLICE_NULL, so a session can
 * also be built from scratch with calloc.
 *
 * Limits: the arrays below have fixed sizes (SDP_MAX_*). Input with more
 * entries than fit is refused with a reason naming the limit; nothing is
 * dropped silently and nothing overflows. A whole struct sdp_session is
 * large (about 330 KB): allocate it, do not put it on a worker's stack.
 *
 * Known attributes are parsed into typed fields; every other attribute is
 * kept, in order, as a name/value pair (struct sdp_attribute) and printed
 * back unchanged, and so are unknown line types (struct sdp_line).
 * Attribute names are matched case-sensitively, as written in the RFCs, so a
 * misspelt or oddly cased attribute ("a=rtp-mux", "a=ice-frag") is unknown
 * and passes through untouched.
 *
 * In media whose proto is an RTP profile ("RTP/AVP", "UDP/TLS/RTP/SAVPF",
 * ...) the formats are payload types 0-127, each a struct sdp_codec that also
 * carries its a=rtpmap and a=fmtp; a=rtcp-fb lines are kept per media with
 * their payload type. In any other media (SCTP data channels, T.38) the
 * format list is one raw slice and rtpmap/fmtp/rtcp-fb are ordinary
 * attributes. An a=rtpmap, a=fmtp or a=rtcp-fb naming a payload type the
 * m= line does not list is kept as an ordinary attribute, too.
 */
#ifndef RTCB_SDP_SDP_H
#define RTCB_SDP_SDP_H

#include "core/mbuf.h"
#include "core/slice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_MEDIA 16        /* m= sections */
#define SDP_MAX_CODECS 64       /* payload types on one m= line */
#define SDP_MAX_RTCP_FB 128     /* a=rtcp-fb per media (Chrome video: ~80) */
#define SDP_MAX_CANDIDATES 64   /* a=candidate per media */
#define SDP_MAX_ATTRIBUTES 64   /* unknown attributes per session or media level */
#define SDP_MAX_LINES 16        /* unknown or extra lines (u=, e=, r=, k=, ...) per level */
#define SDP_MAX_SSRCS 64        /* a=ssrc per media */
#define SDP_MAX_CRYPTO 8        /* a=crypto per media */
#define SDP_MAX_EXTMAPS 32      /* a=extmap per media */
#define SDP_MAX_FINGERPRINTS 4  /* a=fingerprint per level */
#define SDP_MAX_MSIDS 4         /* a=msid per media */
#define SDP_MAX_BANDWIDTHS 4    /* b= per level */
#define SDP_MAX_GROUPS 4        /* a=group in a session */

/* a=sendrecv and friends. NONE (no attribute) is not the same as SENDRECV
 * when printing, although it means sendrecv (RFC 3264 5.1). */
enum sdp_direction {
	SDP_DIRECTION_NONE = 0,
	SDP_DIRECTION_SENDRECV,
	SDP_DIRECTION_SENDONLY,
	SDP_DIRECTION_RECVONLY,
	SDP_DIRECTION_INACTIVE,
};

/* a=setup (RFC 4145, RFC 8842): who opens the DTLS connection. */
enum sdp_setup {
	SDP_SETUP_NONE = 0,
	SDP_SETUP_ACTPASS,
	SDP_SETUP_ACTIVE,
	SDP_SETUP_PASSIVE,
	SDP_SETUP_HOLDCONN,
};

/* c=<nettype> <addrtype> <address>, also the address part of o= and a=rtcp.
 * Set when address is set. address keeps a multicast "/ttl/count" suffix. */
struct sdp_connection {
	struct slice nettype, addrtype, address;
};

struct sdp_origin {
	struct slice username;   /* "-" when the peer has none */
	struct slice session_id; /* numeric text, may exceed 64 bits */
	uint64_t session_version; /* an answerer bumps it on every change */
	struct sdp_connection address;
};

/* b=<type>:<kbps> */
struct sdp_bandwidth {
	struct slice type; /* "AS", "TIAS", "CT", "RS", "RR" */
	uint32_t value;
};

/* Any attribute without a typed field. value is SLICE_NULL for a flag
 * attribute ("a=foo"), set (maybe empty) after a colon ("a=foo:..."), and
 * kept byte for byte, not trimmed. */
struct sdp_attribute {
	struct slice name, value;
};

/* A line of a type without a field of its own (u=, e=, p=, r=, z=, k=, i=,
 * a second t=, unknown letters), kept in order and printed where RFC 8866
 * puts its type. */
struct sdp_line {
	char type;
	struct slice value;
};

/* a=fingerprint:<hash function> <value> (RFC 8122) */
struct sdp_fingerprint {
	struct slice hash, value; /* "sha-256", "AB:CD:..." */
};

/* a=group:<semantics> <mid>... (RFC 5888, RFC 9143 BUNDLE) */
struct sdp_group {
	struct slice semantics; /* "BUNDLE", "LS" */
	struct slice mids;      /* the rest: "0 1", may be empty */
};

/* One payload type of an RTP m= line with its a=rtpmap and a=fmtp. */
struct sdp_codec {
	uint8_t pt;
	struct slice encoding; /* SLICE_NULL: no a=rtpmap (a static payload type) */
	uint32_t clock_rate;   /* from a=rtpmap; 0 with no rtpmap */
	uint32_t channels;     /* 0: not given (audio: 1) */
	struct slice fmtp;     /* parameters; SLICE_NULL: no a=fmtp */
};

/* a=rtcp-fb:<pt> <value> (RFC 4585); value is "nack pli", "transport-cc"... */
struct sdp_rtcp_fb {
	int pt; /* -1 for "*": every payload type */
	struct slice value;
};

/* a=candidate (RFC 8839 5.1) */
struct sdp_candidate {
	struct slice foundation;
	uint32_t component;  /* 1 RTP, 2 RTCP */
	struct slice transport; /* "udp", "UDP", "tcp" as written */
	uint32_t priority;
	struct slice address; /* IPv4, IPv6 or an mDNS "<uuid>.local" name */
	uint16_t port;
	struct slice type;    /* "host", "srflx", "prflx", "relay" */
	struct slice raddr;   /* SLICE_NULL when absent */
	bool has_rport;
	uint16_t rport;
	/* the rest, e.g. "generation 0 network-id 1"; SLICE_NULL when none */
	struct slice extensions;
};

/* a=ssrc:<id> <attribute> (RFC 5576); attribute is "cname:x", "msid:a b"... */
struct sdp_ssrc {
	uint32_t id;
	struct slice attribute; /* may be empty */
};

/* a=crypto:<tag> <suite> <key-params> [<session-params>] (RFC 4568) */
struct sdp_crypto {
	uint32_t tag;
	struct slice suite;          /* "AES_CM_128_HMAC_SHA1_80" */
	struct slice key_params;     /* "inline:<key||salt>[|lifetime][|MKI:len]" */
	struct slice session_params; /* SLICE_NULL when absent */
};

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285) */
struct sdp_extmap {
	uint16_t id;              /* 1-4351 */
	enum sdp_direction direction; /* NONE when not given */
	struct slice uri;
	struct slice attributes;  /* SLICE_NULL when absent */
};

struct sdp_media {
	struct slice type;  /* "audio", "video", "application", ... */
	uint16_t port;      /* 0: rejected or disabled */
	uint16_t port_count; /* "/<n>" after the port; 0: not given */
	struct slice proto; /* "RTP/AVP", "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP" */
	/* the formats of a non-RTP proto, as written ("webrtc-datachannel") */
	struct slice formats;
	struct sdp_codec codecs[SDP_MAX_CODECS]; /* RTP: in m= line order */
	size_t codec_count;
	struct sdp_rtcp_fb rtcp_fb[SDP_MAX_RTCP_FB];
	size_t rtcp_fb_count;

	struct sdp_connection connection; /* c=; unset: the session's */
	struct sdp_bandwidth bandwidths[SDP_MAX_BANDWIDTHS];
	size_t bandwidth_count;

	enum sdp_direction direction;
	bool has_rtcp;       /* a=rtcp (RFC 3605) */
	uint16_t rtcp_port;
	struct sdp_connection rtcp_connection; /* unset when only a port */
	bool rtcp_mux, rtcp_rsize;
	struct slice mid;
	struct slice msids[SDP_MAX_MSIDS]; /* "<stream id> <track id>" */
	size_t msid_count;
	uint32_t ptime, maxptime; /* ms; 0 when absent */

	struct slice ice_ufrag, ice_pwd, ice_options;
	struct sdp_candidate candidates[SDP_MAX_CANDIDATES];
	size_t candidate_count;
	bool end_of_candidates;

	struct sdp_fingerprint fingerprints[SDP_MAX_FINGERPRINTS];
	size_t fingerprint_count;
	enum sdp_setup setup;
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];
	size_t crypto_count;

	struct sdp_extmap extmaps[SDP_MAX_EXTMAPS];
	size_t extmap_count;
	struct sdp_ssrc ssrcs[SDP_MAX_SSRCS];
	size_t ssrc_count;

	struct sdp_attribute attributes[SDP_MAX_ATTRIBUTES];
	size_t attribute_count;
	struct sdp_line lines[SDP_MAX_LINES]; /* i=, k=, unknown */
	size_t line_count;
};

struct sdp_session {
	struct sdp_origin origin;
	struct slice name; /* s=; SLICE_NULL when missing, printed as "-" */
	struct sdp_connection connection;
	struct sdp_bandwidth bandwidths[SDP_MAX_BANDWIDTHS];
	size_t bandwidth_count;
	uint64_t start_time, stop_time; /* the first t=; 0 0 when missing */

	struct sdp_group groups[SDP_MAX_GROUPS];
	size_t group_count;
	struct slice msid_semantic; /* "WMS *" (the value, trimmed) */
	bool ice_lite;
	struct slice ice_ufrag, ice_pwd, ice_options;
	struct sdp_fingerprint fingerprints[SDP_MAX_FINGERPRINTS];
	size_t fingerprint_count;
	enum sdp_setup setup;
	enum sdp_direction direction; /* default for media without one */

	struct sdp_attribute attributes[SDP_MAX_ATTRIBUTES];
	size_t attribute_count;
	struct sdp_line lines[SDP_MAX_LINES]; /* i=, u=, e=, p=, r=, z=, k=, t=... */
	size_t line_count;

	size_t media_count;
	struct sdp_media media[SDP_MAX_MEDIA]; /* last: sdp_parse() clears what is before it */
};

/* Why sdp_parse() refused its input: a reason naming the fault
 * ("m=: port out of range") and the 1-based line it is on (0 when the fault
 * is not on one line, as for a missing o=). On success reason is NULL, and
 * warning names the first thing that was tolerated against RFC 8866 ("missing
 * s= line"), worth a log line about the peer; NULL when there was none. */
struct sdp_error {
	const char *reason;
	unsigned line;
	const char *warning;
	unsigned warning_line; /* 0 when not on one line */
};

/*
 * Parse buf[0..len) into s, whose previous content is discarded (entries
 * past each count are left as they were, not cleared). 0 on success; -1
 * with err filled on refusal, when the fields of s are unspecified.
 *
 * Tolerated, as real peers send it: LF or CRLF line endings, trailing spaces,
 * tabs and CRs, empty lines, runs of spaces between fields, unknown
 * attributes and line types (kept); and, with err->warning set, a missing s=
 * or t=, "t=<start>" without a stop time, an m= line without formats.
 *
 * Refused: a NUL byte; a CR inside a line; a line that is not one lower
 * case letter and '='; a first line other than "v=0"; no o=; a second v=,
 * o= or s=, or a second c= on one level (no multicast address lists); a
 * session-level line (o, s, t, r, z, u, e, p) after the first m=; numbers
 * that are not plain digits or out of range (ports 0-65535, payload types
 * 0-127); malformed known lines and attributes (o=, c=, b=, t=, m=, rtpmap,
 * fmtp and rtcp-fb for a listed payload type, rtcp, candidate, crypto,
 * extmap, fingerprint, setup, ssrc, group, ptime); a second value of a
 * single-valued attribute (mid, ice-ufrag, setup, a direction, ...) on one
 * level; more entries than an SDP_MAX_* limit.
 */
int sdp_parse(const char *buf, size_t len, struct sdp_session *s, struct sdp_error *err);

/*
 * Append s as SDP text with CRLF line endings, in canonical order: v, o, s,
 * i/u/e/p lines, c, b, t, r/z/k and unknown lines, session attributes
 * (group, msid-semantic, ice-lite, ice-ufrag, ice-pwd, ice-options,
 * fingerprint, setup, direction, then the unknown ones in order); then per
 * media: m, i, c, b, k and unknown lines, then a=rtpmap, a=fmtp and
 * a=rtcp-fb for each payload type in m= line order, a=rtcp-fb:*, then mid,
 * msid, direction, rtcp, rtcp-mux, rtcp-rsize, ice-ufrag, ice-pwd,
 * ice-options, fingerprint, setup, crypto, extmap, ptime, maxptime,
 * candidate, end-of-candidates, ssrc, then the unknown attributes in order.
 * A missing s= is printed as "s=-" and a missing t= as "t=0 0". Slices are
 * printed as they are: a caller that fills them from elsewhere makes sure
 * they hold no CR, LF or NUL. Failure to allocate is left in out
 * (mbuf_failed).
 */
void sdp_print(struct mbuf *out, const struct sdp_session *s);

/* ------------------------------------------------------------ editing */

/* "PCMU/8000", "opus/48000": the codec's name (from a=rtpmap, or RFC 3551's
 * for a static payload type) and clock rate; the bare payload type number
 * when neither is known. 0, or ENOSPC when size is too small (out holds a
 * truncated name). */
int sdp_codec_name(const struct sdp_codec *c, char *out, size_t size);
/* Payload type of the first codec called name (ASCII case folded) at
 * clock_rate (0: any), or -1. Static payload types without a=rtpmap match
 * by their RFC 3551 names: PCMU/8000 finds 0, G722/8000 finds 9. */
int sdp_media_find_codec(const struct sdp_media *m, const char *name, uint32_t clock_rate);
/* Remove payload type pt with its rtpmap, fmtp and rtcp-fb lines; false when
 * the m= line does not list it. */
bool sdp_media_remove_codec(struct sdp_media *m, uint8_t pt);
/* Append a codec to the m= line: 0, EEXIST when pt is listed, ENOSPC. */
int sdp_media_add_codec(struct sdp_media *m, const struct sdp_codec *codec);
/* Append a candidate: 0 or ENOSPC. */
int sdp_media_add_candidate(struct sdp_media *m, const struct sdp_candidate *c);
/* Append an unknown-kind attribute to a media or the session level
 * (value SLICE_NULL for a flag): 0 or ENOSPC. */
int sdp_media_add_attribute(struct sdp_media *m, struct slice name, struct slice value);
int sdp_session_add_attribute(struct sdp_session *s, struct slice name, struct slice value);
/* Remove every unknown-kind attribute called name; returns how many. */
size_t sdp_media_remove_attribute(struct sdp_media *m, const char *name);
size_t sdp_session_remove_attribute(struct sdp_session *s, const char *name);
/* A zeroed media section appended to s, or NULL when SDP_MAX_MEDIA are there. */
struct sdp_media *sdp_session_add_media(struct sdp_session *s);

void sdp_media_set_direction(struct sdp_media *m, enum sdp_direction d);
/* The direction in force: the media's, else the session's, else sendrecv. */
enum sdp_direction sdp_media_direction(const struct sdp_session *s, const struct sdp_media *m);

/* Drop ICE: ice-ufrag, ice-pwd, ice-options, candidates, end-of-candidates
 * and the untyped remote-candidates and ice-mismatch attributes. The session
 * variants clear the session level and every media. */
void sdp_media_clear_ice(struct sdp_media *m);
void sdp_session_clear_ice(struct sdp_session *s);
/* Drop DTLS: fingerprints, setup and the untyped tls-id attribute. */
void sdp_media_clear_dtls(struct sdp_media *m);
void sdp_session_clear_dtls(struct sdp_session *s);
/* Drop SDES: every a=crypto. */
void sdp_media_clear_crypto(struct sdp_media *m);

/* ------------------------------------------------------------ names */

/* The answer to an offered direction (RFC 3264 6.1): sendonly -> recvonly,
 * recvonly -> sendonly, inactive -> inactive, sendrecv and none -> sendrecv. */
enum sdp_direction sdp_direction_answer(enum sdp_direction offered);
/* "sendrecv", ...; NULL for NONE or an unknown value. */
const char *sdp_direction_name(enum sdp_direction d);
/* The direction an attribute name stands for; NONE when it is none. */
enum sdp_direction sdp_direction_parse(struct slice name);

/* The answerer's role for an offered setup (RFC 8842 5.2): actpass ->
 * active, active -> passive, passive -> active, holdconn -> holdconn, none
 * (no DTLS offered) -> none. */
enum sdp_setup sdp_setup_answer(enum sdp_setup offered);
const char *sdp_setup_name(enum sdp_setup setup);
enum sdp_setup sdp_setup_parse(struct slice value);

/* Is proto an RTP profile, whose formats are payload types? */
bool sdp_proto_is_rtp(struct slice proto);

/* ------------------------------------------------------------ slices */

/* Called with every set slice of a session; it may point the slice
 * elsewhere. For moving a session along when its buffer is copied or moved
 * (add the distance to each p), and for checking where slices point. */
typedef void(sdp_slice_h)(struct slice *slice, void *arg);
void sdp_session_for_each_slice(struct sdp_session *s, sdp_slice_h *fn, void *arg);

#endif
