/* rtpload - the RTP load generator of bench/rtp-bench.sh (not part of the
 * Makefile; the script builds it with `cc -O2 ... -lsrtp2`).
 *
 *   rtpload --ng 127.0.0.1:PORT --calls N --duration SECS [--socks S]
 *           [--srtp] [--tag TAG] [--drain SECS]
 *
 * 1. Creates N calls over the rtpengine ng protocol, one request at a time,
 *    each bounded (2 s, 3 tries): offer from phone A, answer from phone B
 *    (PCMU, 127.0.0.1). Plain: RTP/AVP on both legs. --srtp: phone A offers
 *    RTP/SAVP with an a=crypto AES_CM_128_HMAC_SHA1_80 key of ours and the
 *    offer carries "transport-protocol": "RTP/AVP", so the relay offers
 *    plain RTP to B and answers A with RTP/SAVP and a key of its own: the
 *    relay decrypts A's packets and encrypts B's. Every reply is checked
 *    (proto, a=crypto present or absent) and a surprise ends the run with
 *    the reply in the error. The phones' UDP sockets belong to the
 *    generator: S per side (default one per leg endpoint, S = N), call i
 *    uses socket i % S on each side.
 * 2. With --srtp, protects with libsrtp2 every packet A will send (in
 *    sequence order per call, as if sent). Prints "MEDIA_START" (the driver
 *    samples the relay's CPU), then for DURATION seconds every call sends
 *    one RTP packet (12 header + 160 PCMU, 172 bytes; 182 with the SRTP
 *    tag) every 20 ms on each leg, A -> relay -> B and B -> relay -> A.
 *    Calls are spread over the 20 ms period in 1 ms slots (a timerfd) so
 *    the load is smooth. A slot's packets go out with sendmmsg in chunks of
 *    up to 64, one or more per socket and direction (a slot that starts
 *    more than 2 ms late is skipped and counted). After each slot's
 *    sends the sockets with data (epoll, never waited on) are read with
 *    recvmmsg: the generator wakes once a ms, not once a packet.
 * 3. Waits DRAIN seconds for stragglers, prints "MEDIA_END", waits for one
 *    line on stdin (the driver reads the sockets' drop counts meanwhile;
 *    EOF is fine), unprotects with libsrtp2 and checks every SRTP packet A
 *    received (kept as it arrived), deletes the calls over ng and prints
 *    "RESULT {json}".
 *
 * Why SRTP happens outside the media phase: libsrtp2 costs the generator
 * what it costs the relay (one protect or unprotect per packet relayed),
 * and Debian's libsrtp2 (NSS backend) takes several microseconds a packet:
 * done inline, the generator would reach the end of its core before a
 * relay using the same library. Done before and after, the relay gets the
 * same packets and every one of them is still authenticated and checked.
 *
 * What the latency is. The RTP header says the stream (SSRC: call and
 * direction) and the sequence number, which give the slot, socket and
 * chunk the packet was sent in. Around each sendmmsg the generator reads
 * CLOCK_REALTIME (start, end) into send_times[] for that chunk; each
 * received packet has the kernel's receive timestamp (SO_TIMESTAMPNS, set
 * when the relay's packet entered the loopback device, not when the
 * generator got round to reading it). So
 *   added latency = kernel receive time - start of the sendmmsg that sent it
 * which no lateness of the generator's schedule or of its receive loop
 * enters; it overstates the relay's latency by at most the time the packet
 * waited inside that sendmmsg behind the chunk's earlier packets (the
 * call's duration, tens of microseconds). When a sendmmsg lasted more than
 * 1 ms the generator was descheduled inside it: for its packets the end of
 * the call is used instead, and they are counted as "stalled".
 * p99_upper_ms always uses the start (an upper bound).
 * Loss is exact: a bitmap per stream marks the sequence numbers received;
 * duplicates, misrouted packets (wrong socket or direction), malformed
 * ones and those failing SRTP authentication are counted apart, not as
 * received. The generator's own lateness (how late each 1 ms slot
 * started) and its CPU are reported, and the driver reads the drops at its
 * sockets from /proc/net/udp (SO_RXQ_OVFL reports nothing for UDP on this
 * kernel), so the driver can tell when the generator, not the relay, was
 * the limit. Every loop is bounded in count and time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#define RTP_LEN 172      /* 12 header + 160 PCMU */
#define SRTP_TAG_LEN 10  /* AES_CM_128_HMAC_SHA1_80 */
#define PKT_MAX 256
#define PERIOD_NS 20000000LL
#define SLOT_NS 1000000LL
#define NSLOTS 20
#define BATCH 64
#define HIST_US 100000 /* 1 us buckets up to 100 ms, then overflow */
#define MAGIC 0x52544c44u
#define SEND_TIMES_MAX (1u << 22) /* entries of send_times[] */
#define SRTP_MEM_MAX (4ULL << 30)  /* bytes for the SRTP packets kept */
#define STALL_NS 1000000LL    /* a sendmmsg longer than this was descheduled */
#define SKIP_NS 2000000LL     /* a slot starting later than this is not sent */
#define KEY_LEN 30            /* AES-128 master key + 112-bit salt */

/* The payload after the RTP header: magic, call, direction, sequence
 * number (as in the header, which SRTP leaves in the clear), filler. */
enum { OFF_MAGIC = 12, OFF_CALL = 16, OFF_DIR = 20, OFF_SEQ = 24, OFF_FILL = 28 };
enum { DIR_A_TO_B = 0, DIR_B_TO_A = 1 };

struct call {
	int sock_a, sock_b;            /* indexes into socks[] within each side */
	struct sockaddr_in to_relay_a; /* where A sends (port from the answer reply) */
	struct sockaddr_in to_relay_b; /* where B sends (port from the offer reply) */
	uint8_t key_ours[KEY_LEN];     /* --srtp: A's key, and the relay's toward A */
	uint8_t key_relay[KEY_LEN];
};

/* 1 us buckets up to HIST_US, then one overflow count. */
struct hist {
	uint64_t *us, over, n;
	int64_t max_ns;
};

static struct call *calls;
static int *socks; /* 2S: [0, S) side A, [S, 2S) side B */
static int nsocks_side, ncalls;
static int use_srtp;
static uint32_t pkts_per_stream;
static uint8_t *seen;        /* bitmap per stream (call * 2 + direction) */
static size_t seen_bytes;    /* per stream */
static struct hist lat, lat_upper, slot_lag, send_call;

static struct {
	uint64_t sent, send_fail, batches, stalled_batches, stalled_pkts, skipped_slots, skipped_pkts;
	uint64_t received, duplicates, bad, misrouted, srtp_fail, unmatched, no_stamp, clock_back;
} st;

static int64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static void die(const char *what)
{
	fprintf(stderr, "rtpload: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void hist_init(struct hist *h)
{
	h->us = calloc(HIST_US, sizeof *h->us);
	if (!h->us)
		die("calloc");
}

static void hist_add(struct hist *h, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	h->n++;
	if (ns > h->max_ns)
		h->max_ns = ns;
	int64_t us = ns / 1000;
	if (us >= HIST_US)
		h->over++;
	else
		h->us[us]++;
}

/* The p-quantile in ms (-1 when empty); past the histogram: its top. */
static double hist_ms(const struct hist *h, double p)
{
	if (!h->n)
		return -1;
	uint64_t want = (uint64_t)(p * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	uint64_t acc = 0;
	for (int us = 0; us < HIST_US; us++) {
		acc += h->us[us];
		if (acc > want)
			return us / 1000.0;
	}
	return HIST_US / 1000.0;
}

static uint64_t hist_above(const struct hist *h, int64_t us_min)
{
	uint64_t n = h->over;
	for (int64_t us = us_min; us < HIST_US; us++)
		n += h->us[us];
	return n;
}

/* ---- SDES keys ---------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_encode(char *out, const uint8_t *in, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = 0;
}

/* Decodes base64 from s up to the first character that is not base64 into
 * exactly KEY_LEN bytes; -1 otherwise. */
static int base64_key(const char *s, uint8_t out[KEY_LEN])
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	for (; *s; s++) {
		const char *c = strchr(b64, *s);
		if (!c)
			break;
		acc = acc << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == KEY_LEN)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n == KEY_LEN ? 0 : -1;
}

/* One session at a time: with Debian's libsrtp2 (NSS backend) every
 * protect and unprotect costs more the more sessions exist (about 3 us
 * with one, 15 with 800, 40-50 with 2000), so the generator keeps none
 * while it sends. */
static srtp_t srtp_session(const uint8_t key[KEY_LEN], int outbound)
{
	srtp_t session;
	srtp_policy_t policy;
	memset(&policy, 0, sizeof policy);
	srtp_crypto_policy_set_rtp_default(&policy.rtp); /* AES_CM_128_HMAC_SHA1_80 */
	srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
	policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	policy.key = (unsigned char *)key;
	policy.window_size = 128;
	if (srtp_create(&session, &policy) != srtp_err_status_ok) {
		fprintf(stderr, "rtpload: srtp_create failed\n");
		exit(2);
	}
	return session;
}

/* ---- ng ----------------------------------------------------------------- */

static int ng_sock;
static struct sockaddr_in ng_addr;
static char tag[64] = "rl";

static size_t bstr(char *out, const char *s)
{
	return (size_t)sprintf(out, "%zu:%s", strlen(s), s);
}

static size_t bkv(char *out, const char *k, const char *v)
{
	size_t n = bstr(out, k);
	return n + bstr(out + n, v);
}

/* A phone's SDP; with crypto (base64 key) RTP/SAVP and one a=crypto. */
static void phone_sdp(char *out, int port, int sess, const char *crypto)
{
	int n = sprintf(out,
			"v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=phone\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			"m=audio %d %s 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
			"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
			sess, port, crypto ? "RTP/SAVP" : "RTP/AVP");
	if (crypto)
		sprintf(out + n, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n", crypto);
}

/* Send one ng request, wait for the reply with the same cookie; returns the
 * reply length (0 on failure). Bounded: 3 tries of 2 s. */
static size_t ng_request(const char *body, size_t blen, char *reply, size_t rcap)
{
	static unsigned long counter;
	char msg[4096], cookie[64];
	int cl = snprintf(cookie, sizeof cookie, "%s_%lu", tag, ++counter);
	if ((size_t)cl + 1 + blen > sizeof msg)
		return 0;
	memcpy(msg, cookie, (size_t)cl);
	msg[cl] = ' ';
	memcpy(msg + cl + 1, body, blen);
	struct timeval tv = {0, 200000};
	setsockopt(ng_sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (int attempt = 0; attempt < 3; attempt++) {
		if (sendto(ng_sock, msg, (size_t)cl + 1 + blen, 0, (struct sockaddr *)&ng_addr, sizeof ng_addr) < 0)
			die("ng sendto");
		int64_t deadline = now_ns() + 2000000000LL;
		for (int spins = 0; spins < 1000 && now_ns() < deadline; spins++) {
			ssize_t n = recv(ng_sock, reply, rcap - 1, 0);
			if (n <= 0)
				continue;
			reply[n] = 0;
			if (n > cl && memcmp(reply, cookie, (size_t)cl) == 0 && reply[cl] == ' ')
				return (size_t)n;
		}
	}
	return 0;
}

/* Checks the SDP in an ng reply: result ok, m=audio with the proto wanted
 * and, for RTP/SAVP, an AES_CM_128_HMAC_SHA1_80 a=crypto whose key goes to
 * key (for RTP/AVP: no a=crypto). Returns the port, or -1 with why. */
static int reply_media(const char *reply, const char *proto, uint8_t key[KEY_LEN], const char **why)
{
	if (!strstr(reply, "6:result2:ok")) {
		*why = "result is not ok";
		return -1;
	}
	const char *m = strstr(reply, "m=audio ");
	if (!m) {
		*why = "no m=audio";
		return -1;
	}
	char *end;
	long port = strtol(m + 8, &end, 10);
	size_t pl = strlen(proto);
	if (port <= 0 || port > 65535 || *end != ' ' || strncmp(end + 1, proto, pl) != 0 || end[1 + pl] != ' ') {
		*why = strcmp(proto, "RTP/AVP") ? "m=audio is not RTP/SAVP" : "m=audio is not RTP/AVP";
		return -1;
	}
	const char *crypto = strstr(m, "a=crypto:");
	if (!key) {
		if (crypto) {
			*why = "a=crypto toward the plain leg";
			return -1;
		}
		return (int)port;
	}
	for (int lines = 0; crypto && lines < 16; lines++, crypto = strstr(crypto + 9, "a=crypto:")) {
		const char *suite = strchr(crypto, ' ');
		if (suite && strncmp(suite + 1, "AES_CM_128_HMAC_SHA1_80 inline:", 31) == 0 &&
		    base64_key(suite + 32, key) == 0)
			return (int)port;
	}
	*why = "no usable a=crypto AES_CM_128_HMAC_SHA1_80";
	return -1;
}

static void reply_error(char *err, size_t errcap, const char *what, int i, const char *why, const char *reply)
{
	const char *sdp = strstr(reply, "v=0");
	snprintf(err, errcap, "%s %d: %s: %.600s", what, i, why, sdp ? sdp : reply);
}

static int ng_call(int i, char *err, size_t errcap)
{
	char body[3072], sdp[1024], reply[8192], callid[96], key_text[64];
	uint8_t *key_ours = calls[i].key_ours, *key_relay = calls[i].key_relay;
	const char *why = "";
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	snprintf(callid, sizeof callid, "%s-%d@rtpload", tag, i);
	if (use_srtp) {
		if (getrandom(key_ours, KEY_LEN, 0) != KEY_LEN)
			die("getrandom");
		base64_encode(key_text, key_ours, KEY_LEN);
	}

	/* offer from A */
	getsockname(socks[calls[i].sock_a], (struct sockaddr *)&sa, &sl);
	phone_sdp(sdp, ntohs(sa.sin_port), 1000 + i, use_srtp ? key_text : NULL);
	size_t n = 0;
	body[n++] = 'd';
	n += bkv(body + n, "command", "offer");
	n += bkv(body + n, "call-id", callid);
	n += bkv(body + n, "from-tag", "a");
	n += bkv(body + n, "sdp", sdp);
	if (use_srtp)
		n += bkv(body + n, "transport-protocol", "RTP/AVP");
	n += bstr(body + n, "received-from");
	n += (size_t)sprintf(body + n, "l3:IP49:127.0.0.1e");
	n += bstr(body + n, "flags");
	n += (size_t)sprintf(body + n, "l13:trust-addresse");
	n += bstr(body + n, "replace");
	n += (size_t)sprintf(body + n, "l6:origine");
	body[n++] = 'e';
	if (!ng_request(body, n, reply, sizeof reply)) {
		snprintf(err, errcap, "offer %d: no reply", i);
		return -1;
	}
	int to_b = reply_media(reply, "RTP/AVP", NULL, &why);
	if (to_b <= 0) {
		reply_error(err, errcap, "offer", i, why, reply);
		return -1;
	}

	/* answer from B */
	sl = sizeof sa;
	getsockname(socks[nsocks_side + calls[i].sock_b], (struct sockaddr *)&sa, &sl);
	phone_sdp(sdp, ntohs(sa.sin_port), 2000 + i, NULL);
	n = 0;
	body[n++] = 'd';
	n += bkv(body + n, "command", "answer");
	n += bkv(body + n, "call-id", callid);
	n += bkv(body + n, "from-tag", "a");
	n += bkv(body + n, "to-tag", "b");
	n += bkv(body + n, "sdp", sdp);
	n += bstr(body + n, "received-from");
	n += (size_t)sprintf(body + n, "l3:IP49:127.0.0.1e");
	n += bstr(body + n, "flags");
	n += (size_t)sprintf(body + n, "l13:trust-addresse");
	body[n++] = 'e';
	if (!ng_request(body, n, reply, sizeof reply)) {
		snprintf(err, errcap, "answer %d: no reply", i);
		return -1;
	}
	int to_a = reply_media(reply, use_srtp ? "RTP/SAVP" : "RTP/AVP", use_srtp ? key_relay : NULL, &why);
	if (to_a <= 0) {
		reply_error(err, errcap, "answer", i, why, reply);
		return -1;
	}
	memset(&calls[i].to_relay_a, 0, sizeof calls[i].to_relay_a);
	calls[i].to_relay_a.sin_family = AF_INET;
	calls[i].to_relay_a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	calls[i].to_relay_a.sin_port = htons((uint16_t)to_a);
	calls[i].to_relay_b = calls[i].to_relay_a;
	calls[i].to_relay_b.sin_port = htons((uint16_t)to_b);
	return 0;
}

static void ng_delete(int i)
{
	char body[512], reply[2048], callid[96];
	snprintf(callid, sizeof callid, "%s-%d@rtpload", tag, i);
	size_t n = 0;
	body[n++] = 'd';
	n += bkv(body + n, "command", "delete");
	n += bkv(body + n, "call-id", callid);
	n += bkv(body + n, "from-tag", "a");
	body[n++] = 'e';
	ng_request(body, n, reply, sizeof reply);
}

/* ---- sending ------------------------------------------------------------ */

static uint8_t pkts[BATCH][PKT_MAX];
static struct mmsghdr send_mm[BATCH];
static struct iovec send_iov[BATCH];
/* Calls grouped by (phase, socket): group g = phase * S + socket holds
 * order[group_start[g] .. group_start[g + 1]), sent in chunks of BATCH;
 * chunk_of[i] is call i's chunk in its group. */
static int *order, *group_start, max_chunks;
static uint16_t *chunk_of;
/* --srtp: A's packets, protected before the media phase, and the SRTP
 * packets that reach A, kept to be unprotected after it: STRIDE bytes per
 * (call, sequence number). */
#define STRIDE 192
static uint8_t *srtp_tx, *srtp_rx;

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static size_t packet_index(int i, uint32_t seq)
{
	return (size_t)i * pkts_per_stream + seq;
}

/* The RTP packet of call i, direction dir, sequence number seq, in p. */
static void write_packet(uint8_t *p, int i, int dir, uint32_t seq)
{
	uint16_t seq16 = htons((uint16_t)seq);
	uint32_t rtpts = htonl(seq * 160), ssrc = htonl((uint32_t)(i * 2 + dir + 1));
	p[0] = 0x80;
	p[1] = 0;
	memcpy(p + 2, &seq16, 2);
	memcpy(p + 4, &rtpts, 4);
	memcpy(p + 8, &ssrc, 4);
	put32(p + OFF_MAGIC, MAGIC);
	put32(p + OFF_CALL, (uint32_t)i);
	put32(p + OFF_DIR, (uint32_t)dir);
	put32(p + OFF_SEQ, seq);
	memset(p + OFF_FILL, 0xff, RTP_LEN - OFF_FILL);
}

/* Protects every packet phone A will send, with libsrtp2, in sequence
 * order per call (as it would be sent). */
static void srtp_protect_all(void)
{
	for (int i = 0; i < ncalls; i++) {
		srtp_t session = srtp_session(calls[i].key_ours, 1);
		for (uint32_t seq = 0; seq < pkts_per_stream; seq++) {
			uint8_t *p = srtp_tx + packet_index(i, seq) * STRIDE;
			int len = RTP_LEN;
			write_packet(p, i, DIR_A_TO_B, seq);
			if (srtp_protect(session, p, &len) != srtp_err_status_ok || len != RTP_LEN + SRTP_TAG_LEN) {
				fprintf(stderr, "rtpload: srtp_protect failed\n");
				exit(2);
			}
		}
		srtp_dealloc(session);
	}
}

static void queue_packet(int k, int i, int dir, uint32_t seq)
{
	if (use_srtp && dir == DIR_A_TO_B) {
		send_iov[k].iov_base = srtp_tx + packet_index(i, seq) * STRIDE;
		send_iov[k].iov_len = RTP_LEN + SRTP_TAG_LEN;
	} else {
		write_packet(pkts[k], i, dir, seq);
		send_iov[k].iov_base = pkts[k];
		send_iov[k].iov_len = RTP_LEN;
	}
	memset(&send_mm[k].msg_hdr, 0, sizeof send_mm[k].msg_hdr);
	send_mm[k].msg_hdr.msg_iov = &send_iov[k];
	send_mm[k].msg_hdr.msg_iovlen = 1;
	send_mm[k].msg_hdr.msg_name = dir ? &calls[i].to_relay_b : &calls[i].to_relay_a;
	send_mm[k].msg_hdr.msg_namelen = sizeof calls[i].to_relay_a;
}

/* When each chunk went out: one entry per (slot, direction, socket,
 * chunk), kept for the last send_ring slots. */
struct send_time {
	int64_t slot; /* -1: none */
	int64_t start, end; /* CLOCK_REALTIME around its sendmmsg */
};
static struct send_time *send_times;
static int64_t send_ring;

static struct send_time *send_time_of(int64_t slot, int dir, int sock, int chunk)
{
	size_t per_slot = (size_t)2 * nsocks_side * max_chunks;
	return &send_times[(size_t)(slot % send_ring) * per_slot + ((size_t)dir * nsocks_side + sock) * max_chunks + chunk];
}

/* sendmmsg the nb packets queued; their send time goes to *t. */
static void send_chunk(int fd, int nb, int64_t slot, struct send_time *t)
{
	int64_t start = clock_ns(CLOCK_REALTIME);
	int off = 0;
	for (int tries = 0; off < nb && tries < 8; tries++) {
		int r = sendmmsg(fd, send_mm + off, (unsigned)(nb - off), 0);
		if (r > 0)
			off += r;
		else if (r < 0 && errno != EAGAIN && errno != EINTR && errno != ENOBUFS)
			break;
	}
	int64_t end = clock_ns(CLOCK_REALTIME);
	t->slot = slot;
	t->start = start;
	t->end = end;
	st.batches++;
	if (end - start > STALL_NS)
		st.stalled_batches++;
	hist_add(&send_call, end - start);
	st.sent += (uint64_t)off;
	st.send_fail += (uint64_t)(nb - off);
}

/* Slot `slot` sends period slot / NSLOTS of the calls in phase slot % NSLOTS. */
static void send_slot(int64_t slot)
{
	int S = nsocks_side, phase = (int)(slot % NSLOTS);
	uint32_t seq = (uint32_t)(slot / NSLOTS);
	for (int dir = 0; dir < 2; dir++) {
		for (int s = 0; s < S; s++) {
			int g = phase * S + s, fd = socks[dir ? S + s : s];
			for (int j = group_start[g], chunk = 0; j < group_start[g + 1]; chunk++) {
				int nb = group_start[g + 1] - j;
				if (nb > BATCH)
					nb = BATCH;
				for (int k = 0; k < nb; k++)
					queue_packet(k, order[j + k], dir, seq);
				send_chunk(fd, nb, slot, send_time_of(slot, dir, s, chunk));
				j += nb;
			}
		}
	}
}

/* ---- receiving ---------------------------------------------------------- */

/* The payload of a plain packet of call i, direction dir, number seq. */
static int payload_ok(const uint8_t *p, int len, int i, int dir, uint32_t seq)
{
	return len == RTP_LEN && get32(p + OFF_MAGIC) == MAGIC && get32(p + OFF_CALL) == (uint32_t)i &&
	       get32(p + OFF_DIR) == (uint32_t)dir && get32(p + OFF_SEQ) == seq;
}

/* Who sent it comes from the RTP header (SSRC: call and direction;
 * sequence number), which SRTP leaves in the clear; the payload is checked
 * against it at once, or for SRTP once unprotected after the media phase. */
static void receive_packet(int sock, uint8_t *p, int len, struct msghdr *mh)
{
	int S = nsocks_side, side_b = sock >= S;
	int64_t rx = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof ts);
			rx = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		}
	}
	if (rx < 0) {
		st.no_stamp++;
		rx = clock_ns(CLOCK_REALTIME);
	}
	if (len < 12) {
		st.bad++;
		return;
	}
	uint32_t ssrc = ntohl(get32(p + 8));
	uint16_t seq16;
	memcpy(&seq16, p + 2, 2);
	uint32_t seq = ntohs(seq16); /* < 65536: at most 600 s of 50 packets */
	if (ssrc == 0 || ssrc > (uint32_t)ncalls * 2 || seq >= pkts_per_stream) {
		st.bad++;
		return;
	}
	int i = (int)((ssrc - 1) / 2), dir = (int)((ssrc - 1) % 2);
	if (dir != (side_b ? DIR_A_TO_B : DIR_B_TO_A) ||
	    (side_b ? calls[i].sock_b != sock - S : calls[i].sock_a != sock)) {
		st.misrouted++;
		return;
	}
	int srtp_in = use_srtp && !side_b;
	if (srtp_in ? len != RTP_LEN + SRTP_TAG_LEN : !payload_ok(p, len, i, dir, seq)) {
		st.bad++;
		return;
	}
	uint8_t *bits = seen + (size_t)(i * 2 + dir) * seen_bytes;
	if (bits[seq / 8] & (1u << (seq % 8))) {
		st.duplicates++;
		return;
	}
	bits[seq / 8] |= (uint8_t)(1u << (seq % 8));
	st.received++;
	if (srtp_in)
		memcpy(srtp_rx + packet_index(i, seq) * STRIDE, p, (size_t)len);
	int64_t slot = (int64_t)seq * NSLOTS + i % NSLOTS;
	const struct send_time *t = send_time_of(slot, dir, (side_b ? calls[i].sock_a : calls[i].sock_b), chunk_of[i]);
	if (t->slot != slot) {
		st.unmatched++; /* older than the table: very late */
		hist_add(&lat, (int64_t)HIST_US * 1000);
		hist_add(&lat_upper, (int64_t)HIST_US * 1000);
		return;
	}
	if (rx < t->start)
		st.clock_back++;
	int64_t sent = t->start;
	if (t->end - t->start > STALL_NS) {
		sent = t->end;
		st.stalled_pkts++;
	}
	hist_add(&lat, rx - sent);
	hist_add(&lat_upper, rx - t->start);
}

/* After the media phase: unprotect what reached A, in sequence order per
 * call, and check it; a packet that fails is no longer counted received. */
static void srtp_unprotect_all(void)
{
	for (int i = 0; i < ncalls; i++) {
		const uint8_t *bits = seen + (size_t)(i * 2 + DIR_B_TO_A) * seen_bytes;
		srtp_t session = srtp_session(calls[i].key_relay, 0);
		for (uint32_t seq = 0; seq < pkts_per_stream; seq++) {
			if (!(bits[seq / 8] & (1u << (seq % 8))))
				continue;
			uint8_t *p = srtp_rx + packet_index(i, seq) * STRIDE;
			int len = RTP_LEN + SRTP_TAG_LEN;
			if (srtp_unprotect(session, p, &len) != srtp_err_status_ok ||
			    !payload_ok(p, len, i, DIR_B_TO_A, seq)) {
				st.srtp_fail++;
				st.received--;
			}
		}
		srtp_dealloc(session);
	}
}

static void receive_ready(int sock)
{
	static uint8_t bufs[BATCH][PKT_MAX];
	static char ctl[BATCH][128];
	static struct mmsghdr mm[BATCH];
	static struct iovec iov[BATCH];
	int fd = socks[sock];
	for (int rounds = 0; rounds < 64; rounds++) {
		for (int k = 0; k < BATCH; k++) {
			iov[k].iov_base = bufs[k];
			iov[k].iov_len = sizeof bufs[k];
			memset(&mm[k].msg_hdr, 0, sizeof mm[k].msg_hdr);
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
			mm[k].msg_hdr.msg_control = ctl[k];
			mm[k].msg_hdr.msg_controllen = sizeof ctl[k];
		}
		int got = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			return;
		for (int k = 0; k < got; k++)
			receive_packet(sock, bufs[k], (int)mm[k].msg_len, &mm[k].msg_hdr);
		if (got < BATCH)
			return;
	}
}

/* ---- setup -------------------------------------------------------------- */

static void open_sockets(int ep)
{
	int S = nsocks_side, one = 1;
	for (int k = 0; k < 2 * S; k++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			die("socket");
		/* room for a long stall of the generator (~1 KB per datagram) */
		int sz = S <= 16 ? 32 << 20 : S < 64 ? 8 << 20 : 1 << 20;
		/* SO_RCVBUFFORCE when root, else capped by rmem_max */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
		if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
			die("SO_TIMESTAMPNS");
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("bind");
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl");
		socks[k] = fd;
	}
}

/* order[] and group_start[]: a counting sort of the calls by
 * (phase, socket), calls in index order within a group. */
static void group_calls(void)
{
	int S = nsocks_side, groups = NSLOTS * S;
	order = calloc((size_t)ncalls, sizeof *order);
	group_start = calloc((size_t)groups + 1, sizeof *group_start);
	int *fill = calloc((size_t)groups, sizeof *fill);
	chunk_of = calloc((size_t)ncalls, sizeof *chunk_of);
	if (!order || !group_start || !fill || !chunk_of)
		die("calloc");
	for (int i = 0; i < ncalls; i++)
		group_start[(i % NSLOTS) * S + i % S + 1]++;
	for (int g = 0; g < groups; g++)
		group_start[g + 1] += group_start[g];
	for (int i = 0; i < ncalls; i++) {
		int g = (i % NSLOTS) * S + i % S;
		chunk_of[i] = (uint16_t)(fill[g] / BATCH);
		order[group_start[g] + fill[g]++] = i;
		int chunks = (fill[g] + BATCH - 1) / BATCH;
		if (chunks > max_chunks)
			max_chunks = chunks;
	}
	free(fill);
}

static void wait_line_on_stdin(int timeout_ms)
{
	struct pollfd pfd = {.fd = 0, .events = POLLIN};
	if (poll(&pfd, 1, timeout_ms) > 0) {
		char buf[64];
		if (read(0, buf, sizeof buf) < 0)
			return;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: rtpload --ng IP:PORT --calls N --duration S [--socks S] [--srtp] [--tag T] "
			"[--drain S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *ng = "127.0.0.1:22222";
	double duration = 10, drain = 1;
	int S = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ng") && i + 1 < argc)
			ng = argv[++i];
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			ncalls = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--duration") && i + 1 < argc)
			duration = atof(argv[++i]);
		else if (!strcmp(argv[i], "--drain") && i + 1 < argc)
			drain = atof(argv[++i]);
		else if (!strcmp(argv[i], "--socks") && i + 1 < argc)
			S = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--tag") && i + 1 < argc)
			snprintf(tag, sizeof tag, "%s", argv[++i]);
		else if (!strcmp(argv[i], "--srtp"))
			use_srtp = 1;
		else
			usage();
	}
	if (ncalls <= 0 || ncalls > 20000 || duration < 0.1 || duration > 600 || drain < 0 || drain > 10) {
		fprintf(stderr, "rtpload: calls 1..20000, duration 0.1..600 s, drain 0..10 s\n");
		return 2;
	}
	if (S <= 0 || S > ncalls)
		S = ncalls;
	nsocks_side = S;
	if (use_srtp && srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "rtpload: srtp_init failed\n");
		return 2;
	}

	struct rlimit rl = {65536, 65536};
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	char host[64];
	const char *colon = strrchr(ng, ':');
	if (!colon || (size_t)(colon - ng) >= sizeof host) {
		fprintf(stderr, "rtpload: --ng IP:PORT\n");
		return 2;
	}
	memcpy(host, ng, (size_t)(colon - ng));
	host[colon - ng] = 0;
	ng_addr.sin_family = AF_INET;
	ng_addr.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &ng_addr.sin_addr) != 1) {
		fprintf(stderr, "rtpload: bad ng address\n");
		return 2;
	}
	ng_sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (ng_sock < 0)
		die("socket");

	int64_t periods = (int64_t)(duration * 1e9 / PERIOD_NS);
	if (periods < 1)
		periods = 1;
	int64_t total_slots = periods * NSLOTS;
	pkts_per_stream = (uint32_t)periods;
	seen_bytes = (pkts_per_stream + 7) / 8;
	calls = calloc((size_t)ncalls, sizeof *calls);
	socks = calloc((size_t)(2 * S), sizeof *socks);
	seen = calloc((size_t)ncalls * 2, seen_bytes);
	if (!calls || !socks || !seen)
		die("calloc");
	if (use_srtp) {
		size_t bytes = (size_t)ncalls * pkts_per_stream * STRIDE;
		if (2 * (unsigned long long)bytes > SRTP_MEM_MAX) {
			fprintf(stderr, "rtpload: --srtp keeps %llu MB of packets: fewer calls or a shorter duration\n",
				2 * (unsigned long long)bytes >> 20);
			return 2;
		}
		srtp_tx = malloc(bytes);
		srtp_rx = malloc(bytes);
		if (!srtp_tx || !srtp_rx)
			die("malloc");
	}
	hist_init(&lat);
	hist_init(&lat_upper);
	hist_init(&slot_lag);
	hist_init(&send_call);
	int ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	open_sockets(ep);
	group_calls();
	size_t per_slot = (size_t)2 * S * max_chunks;
	send_ring = total_slots;
	if ((size_t)send_ring * per_slot > SEND_TIMES_MAX)
		send_ring = (int64_t)(SEND_TIMES_MAX / per_slot) + 1;
	send_times = malloc((size_t)send_ring * per_slot * sizeof *send_times);
	if (!send_times)
		die("malloc");
	for (size_t k = 0; k < (size_t)send_ring * per_slot; k++)
		send_times[k].slot = -1;

	int64_t t0 = now_ns();
	char err[1024];
	for (int i = 0; i < ncalls; i++) {
		calls[i].sock_a = i % S;
		calls[i].sock_b = i % S;
		if (ng_call(i, err, sizeof err) < 0) {
			printf("RESULT {\"error\": \"call setup failed: ");
			for (const char *p = err; *p; p++)
				putchar(*p == '"' || *p == '\\' || (unsigned char)*p < 32 ? '?' : *p);
			printf("\", \"calls_created\": %d}\n", i);
			for (int j = 0; j <= i; j++)
				ng_delete(j);
			return 1;
		}
	}
	double setup_s = (double)(now_ns() - t0) / 1e9;
	t0 = now_ns();
	if (use_srtp)
		srtp_protect_all();
	double srtp_protect_s = (double)(now_ns() - t0) / 1e9;

	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	printf("MEDIA_START\n");
	fflush(stdout);

	int64_t start = now_ns() + 5000000LL; /* first slot 5 ms from now */
	int64_t end_send = start + total_slots * SLOT_NS;
	int64_t end_all = end_send + (int64_t)(drain * 1e9);
	int64_t next_slot = 0;
	struct epoll_event evs[256];
	/* A 1 ms periodic timer drives everything: each tick sends the slots
	 * due, then reads whatever the relay sent back since the last tick.
	 * The generator never sleeps on its sockets: the kernel's receive
	 * timestamps make reading late harmless, and not waiting there spares
	 * a wakeup (ours, and the relay's cost of it) per packet. */
	int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	if (tfd < 0)
		die("timerfd_create");
	struct itimerspec its = {.it_interval = {0, SLOT_NS},
				 .it_value = {start / 1000000000LL, start % 1000000000LL}};
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		die("timerfd_settime");
	for (long iter = 0; iter < 100000000L; iter++) {
		int64_t t = now_ns();
		if (t >= end_all)
			break;
		/* A slot more than SKIP_NS late is skipped, not sent: sending
		 * every missed slot back to back would hand the relay a burst
		 * (tens of ms of traffic at once) and its queueing would count
		 * as the relay's latency. Skipped packets are counted apart
		 * (not sent, not lost); the driver flags a rung with more than
		 * 5% of them as generator-limited. */
		while (next_slot < total_slots && t >= start + next_slot * SLOT_NS) {
			int64_t lag = t - (start + next_slot * SLOT_NS);
			hist_add(&slot_lag, lag);
			if (lag > SKIP_NS) {
				int phase = (int)(next_slot % NSLOTS);
				st.skipped_slots++;
				st.skipped_pkts += 2 * (uint64_t)(group_start[(phase + 1) * S] - group_start[phase * S]);
			} else {
				send_slot(next_slot);
			}
			next_slot++;
			t = now_ns();
		}
		int n = epoll_wait(ep, evs, 256, 0);
		for (int k = 0; k < n; k++)
			receive_ready((int)evs[k].data.u32);
		struct pollfd pfd = {.fd = tfd, .events = POLLIN};
		if (poll(&pfd, 1, 100) > 0) {
			uint64_t expirations;
			if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN && errno != EINTR)
				die("read timerfd");
		}
	}
	getrusage(RUSAGE_SELF, &ru1);
	double media_s = (double)(now_ns() - start) / 1e9;
	printf("MEDIA_END\n");
	fflush(stdout);
	wait_line_on_stdin(30000);

	t0 = now_ns();
	if (use_srtp)
		srtp_unprotect_all();
	double srtp_unprotect_s = (double)(now_ns() - t0) / 1e9;
	for (int i = 0; i < ncalls; i++)
		ng_delete(i);

	double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
		     (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	double send_s = (double)total_slots * SLOT_NS / 1e9; /* the drain is idle time */
	uint64_t expected = (uint64_t)ncalls * 2 * pkts_per_stream;
	double loss = st.sent ? 1.0 - (double)st.received / (double)st.sent : 1.0;
	if (loss < 0)
		loss = 0;
	printf("RESULT {\"calls\": %d, \"srtp\": %d, \"socks_per_side\": %d, \"setup_s\": %.3f, "
	       "\"srtp_protect_s\": %.3f, \"srtp_unprotect_s\": %.3f, "
	       "\"duration_s\": %.3f, \"media_s\": %.3f, \"expected\": %llu, \"sent\": %llu, \"send_fail\": %llu, "
	       "\"received\": %llu, \"duplicates\": %llu, \"misrouted\": %llu, \"srtp_fail\": %llu, \"bad\": %llu, "
	       "\"loss\": %.6f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"p999_ms\": %.3f, \"max_ms\": %.3f, "
	       "\"over_100ms\": %llu, \"p99_upper_ms\": %.3f, \"unmatched\": %llu, \"no_stamp\": %llu, "
	       "\"clock_back\": %llu, \"batches\": %llu, \"stalled_batches\": %llu, \"stalled_pkts\": %llu, "
	       "\"sendmmsg_p99_ms\": %.3f, \"sendmmsg_max_ms\": %.3f, "
	       "\"lag_p50_ms\": %.3f, \"lag_p99_ms\": %.3f, \"lag_max_ms\": %.3f, \"slots\": %llu, "
	       "\"slots_late_2ms\": %llu, \"slots_late_5ms\": %llu, \"skipped_slots\": %llu, \"skipped_pkts\": %llu, "
	       "\"gen_cpu_s\": %.3f, \"gen_cpu_frac\": %.4f}\n",
	       ncalls, use_srtp, S, setup_s, srtp_protect_s, srtp_unprotect_s, send_s, media_s,
	       (unsigned long long)expected, (unsigned long long)st.sent, (unsigned long long)st.send_fail,
	       (unsigned long long)st.received, (unsigned long long)st.duplicates,
	       (unsigned long long)st.misrouted, (unsigned long long)st.srtp_fail, (unsigned long long)st.bad, loss,
	       hist_ms(&lat, 0.50), hist_ms(&lat, 0.99), hist_ms(&lat, 0.999), (double)lat.max_ns / 1e6,
	       (unsigned long long)lat.over, hist_ms(&lat_upper, 0.99), (unsigned long long)st.unmatched,
	       (unsigned long long)st.no_stamp, (unsigned long long)st.clock_back, (unsigned long long)st.batches,
	       (unsigned long long)st.stalled_batches, (unsigned long long)st.stalled_pkts, hist_ms(&send_call, 0.99),
	       (double)send_call.max_ns / 1e6, hist_ms(&slot_lag, 0.50), hist_ms(&slot_lag, 0.99),
	       (double)slot_lag.max_ns / 1e6, (unsigned long long)slot_lag.n,
	       (unsigned long long)hist_above(&slot_lag, 2000), (unsigned long long)hist_above(&slot_lag, 5000),
	       (unsigned long long)st.skipped_slots, (unsigned long long)st.skipped_pkts,
	       cpu, cpu / send_s);
	return 0;
}
