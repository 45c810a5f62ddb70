/* rtpload - RTP load generator for bench/rtp-bench.sh (not part of the
 * Makefile; the script builds it with `cc -O2`).
 *
 *   rtpload --ng 127.0.0.1:PORT --calls N --duration SECS [--socks S]
 *           [--tag TAG] [--drain SECS]
 *
 * 1. Creates N calls over the rtpengine ng protocol: offer from phone A,
 *    answer from phone B (plain RTP/AVP, PCMU, 127.0.0.1), one request at a
 *    time, each bounded (2 s, 3 tries). The phones' UDP sockets are owned
 *    here: S sockets per side (default: one per leg endpoint, i.e. S = N),
 *    call i uses socket i % S on each side.
 * 2. Prints "MEDIA_START" (the driver samples the relay's CPU there), then
 *    for DURATION seconds every call sends one 172-byte RTP packet (12 header
 *    + 160 PCMU) every 20 ms on each leg, A -> relay -> B and B -> relay -> A.
 *    Calls are spread over the 20 ms period (1 ms slots) so the load is
 *    smooth, not one burst per period. Sends are batched with sendmmsg per
 *    socket; receiving is epoll + recvmmsg. Each payload carries the call,
 *    direction, sequence and CLOCK_MONOTONIC send time.
 * 3. Waits DRAIN seconds for stragglers, prints "MEDIA_END", deletes the
 *    calls over ng and prints one JSON line "RESULT {...}": packets sent and
 *    received, loss, latency p50/p99/max (receive time - embedded send
 *    time), how far the send loop fell behind its schedule, own CPU.
 * Every loop is bounded in count and time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PKT_LEN 172
#define PERIOD_NS 20000000LL
#define SLOT_NS 1000000LL
#define NSLOTS 20
#define BATCH 64
#define HIST_US 100000 /* 1 us buckets up to 100 ms, then overflow */
#define MAGIC 0x52544c44u

struct call {
	int sock_a, sock_b;          /* indexes into socks[] */
	struct sockaddr_in to_relay_a; /* where A sends (port from the answer reply) */
	struct sockaddr_in to_relay_b; /* where B sends (port from the offer reply) */
	uint32_t seq;
};

static struct call *calls;
static int *socks; /* 2*S: [0,S) side A, [S,2S) side B */
static int nsocks_side;
static int ncalls;
static uint64_t *hist;
static uint64_t hist_over, received, bad;
static uint64_t max_lat_ns;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "rtpload: %s: %s\n", what, strerror(errno));
	exit(2);
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

static void phone_sdp(char *out, int port, int sess)
{
	sprintf(out,
		"v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=phone\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n",
		sess, port);
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
	for (int attempt = 0; attempt < 3; attempt++) {
		if (sendto(ng_sock, msg, (size_t)cl + 1 + blen, 0, (struct sockaddr *)&ng_addr, sizeof ng_addr) < 0)
			die("ng sendto");
		int64_t deadline = now_ns() + 2000000000LL;
		for (int spins = 0; spins < 1000 && now_ns() < deadline; spins++) {
			struct timeval tv = {0, 200000};
			setsockopt(ng_sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
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

static int reply_port(const char *reply)
{
	if (!strstr(reply, "6:result2:ok"))
		return -1;
	const char *m = strstr(reply, "m=audio ");
	return m ? atoi(m + 8) : -1;
}

static int ng_call(int i, char *err, size_t errcap)
{
	char body[3072], sdp[1024], reply[8192], callid[96], port_s[16];
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	snprintf(callid, sizeof callid, "%s-%d@rtpload", tag, i);

	/* offer from A */
	getsockname(socks[calls[i].sock_a], (struct sockaddr *)&sa, &sl);
	phone_sdp(sdp, ntohs(sa.sin_port), 1000 + i);
	size_t n = 0;
	body[n++] = 'd';
	n += bkv(body + n, "command", "offer");
	n += bkv(body + n, "call-id", callid);
	n += bkv(body + n, "from-tag", "a");
	n += bkv(body + n, "sdp", sdp);
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
	int to_b = reply_port(reply);
	if (to_b <= 0) {
		snprintf(err, errcap, "offer %d: %.200s", i, reply);
		return -1;
	}

	/* answer from B */
	sl = sizeof sa;
	getsockname(socks[nsocks_side + calls[i].sock_b], (struct sockaddr *)&sa, &sl);
	phone_sdp(sdp, ntohs(sa.sin_port), 2000 + i);
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
	int to_a = reply_port(reply);
	if (to_a <= 0) {
		snprintf(err, errcap, "answer %d: %.200s", i, reply);
		return -1;
	}
	(void)port_s;
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

/* ---- media -------------------------------------------------------------- */

static void receive_ready(int fd)
{
	static char bufs[BATCH][256];
	static struct mmsghdr mm[BATCH];
	static struct iovec iov[BATCH];
	for (int rounds = 0; rounds < 64; rounds++) {
		for (int k = 0; k < BATCH; k++) {
			iov[k].iov_base = bufs[k];
			iov[k].iov_len = sizeof bufs[k];
			memset(&mm[k].msg_hdr, 0, sizeof mm[k].msg_hdr);
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
		}
		int got = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			return;
		int64_t t = now_ns();
		for (int k = 0; k < got; k++) {
			uint32_t magic;
			int64_t sent;
			if (mm[k].msg_len != PKT_LEN) {
				bad++;
				continue;
			}
			memcpy(&magic, bufs[k] + 12, 4);
			if (magic != MAGIC) {
				bad++;
				continue;
			}
			memcpy(&sent, bufs[k] + 24, 8);
			int64_t lat = t - sent;
			if (lat < 0)
				lat = 0;
			received++;
			if ((uint64_t)lat > max_lat_ns)
				max_lat_ns = (uint64_t)lat;
			int64_t us = lat / 1000;
			if (us >= HIST_US)
				hist_over++;
			else
				hist[us]++;
		}
		if (got < BATCH)
			return;
	}
}

static double pct(double p)
{
	if (!received)
		return -1;
	uint64_t want = (uint64_t)(p * (double)received);
	if (want >= received)
		want = received - 1;
	uint64_t acc = 0;
	for (int us = 0; us < HIST_US; us++) {
		acc += hist[us];
		if (acc > want)
			return us / 1000.0;
	}
	return HIST_US / 1000.0;
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
		else {
			fprintf(stderr, "usage: rtpload --ng IP:PORT --calls N --duration S [--socks S] [--tag T] [--drain S]\n");
			return 2;
		}
	}
	if (ncalls <= 0 || ncalls > 20000 || duration <= 0 || duration > 600 || drain < 0 || drain > 10) {
		fprintf(stderr, "rtpload: calls 1..20000, duration 0..600 s, drain 0..10 s\n");
		return 2;
	}
	if (S <= 0 || S > ncalls)
		S = ncalls;
	nsocks_side = S;

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

	calls = calloc((size_t)ncalls, sizeof *calls);
	socks = calloc((size_t)(2 * S), sizeof *socks);
	hist = calloc(HIST_US, sizeof *hist);
	if (!calls || !socks || !hist)
		die("calloc");
	int ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	for (int k = 0; k < 2 * S; k++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			die("socket");
		int sz = S < 64 ? 8 << 20 : 1 << 20;
		/* SO_RCVBUFFORCE when root, else capped by rmem_max */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("bind");
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("epoll_ctl");
		socks[k] = fd;
	}

	int64_t t0 = now_ns();
	char err[512];
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

	/* per-socket send batches */
	int maxper = (ncalls + S - 1) / S * 2 + 2;
	(void)maxper;
	struct mmsghdr *mm = calloc(BATCH, sizeof *mm);
	struct iovec *iov = calloc(BATCH, sizeof *iov);
	char(*pkts)[PKT_LEN] = calloc(BATCH, PKT_LEN);
	if (!mm || !iov || !pkts)
		die("calloc");

	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	printf("MEDIA_START\n");
	fflush(stdout);

	int64_t start = now_ns() + 5000000LL; /* first slot 5 ms from now */
	int64_t total_slots = (int64_t)(duration * 1e9 / SLOT_NS);
	int64_t end_send = start + total_slots * SLOT_NS;
	int64_t end_all = end_send + (int64_t)(drain * 1e9);
	int64_t next_slot = 0, max_lag = 0, late_slots = 0;
	uint64_t sent = 0, send_fail = 0;
	/* calls of slot s: i with i % NSLOTS == s % NSLOTS */
	struct epoll_event evs[256];
	/* a 1 ms periodic timer wakes the loop for each slot (epoll_wait's
	 * millisecond timeout would either spin or be late by up to 1 ms) */
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (tfd < 0)
		die("timerfd_create");
	struct itimerspec its = {.it_interval = {0, SLOT_NS},
				 .it_value = {start / 1000000000LL, start % 1000000000LL}};
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		die("timerfd_settime");
	struct epoll_event tev = {.events = EPOLLIN, .data.fd = tfd};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev) < 0)
		die("epoll_ctl timerfd");
	for (long iter = 0; iter < 100000000L; iter++) {
		int64_t t = now_ns();
		if (t >= end_all)
			break;
		while (next_slot < total_slots && t >= start + next_slot * SLOT_NS) {
			int64_t lag = t - (start + next_slot * SLOT_NS);
			if (lag > max_lag)
				max_lag = lag;
			if (lag > 2 * SLOT_NS)
				late_slots++;
			int phase = (int)(next_slot % NSLOTS);
			/* two directions; batch per socket: consecutive calls of this
			 * slot share a socket only when S < ncalls, so group by socket */
			for (int dir = 0; dir < 2; dir++) {
				for (int s0 = 0; s0 < S; s0++) {
					/* calls on socket s0 with this phase: i = s0 + k*S, i%20==phase */
					int nb = 0;
					int fd = socks[dir ? S + s0 : s0];
					int64_t ts = now_ns();
					for (int i = s0; i < ncalls; i += S) {
						if (i % NSLOTS != phase)
							continue;
						struct call *c = &calls[i];
						char *p = pkts[nb];
						uint32_t seq = c->seq + (uint32_t)dir * 0; /* same seq both ways */
						uint32_t ssrc = htonl((uint32_t)(i * 2 + dir + 1));
						uint16_t seq16 = htons((uint16_t)seq);
						uint32_t rtpts = htonl(seq * 160);
						uint32_t magic = MAGIC, ci = (uint32_t)i, d = (uint32_t)dir;
						p[0] = (char)0x80;
						p[1] = 0;
						memcpy(p + 2, &seq16, 2);
						memcpy(p + 4, &rtpts, 4);
						memcpy(p + 8, &ssrc, 4);
						memcpy(p + 12, &magic, 4);
						memcpy(p + 16, &ci, 4);
						memcpy(p + 20, &d, 4);
						memcpy(p + 24, &ts, 8);
						memset(p + 32, 0xff, PKT_LEN - 32);
						iov[nb].iov_base = p;
						iov[nb].iov_len = PKT_LEN;
						memset(&mm[nb].msg_hdr, 0, sizeof mm[nb].msg_hdr);
						mm[nb].msg_hdr.msg_iov = &iov[nb];
						mm[nb].msg_hdr.msg_iovlen = 1;
						mm[nb].msg_hdr.msg_name = dir ? &c->to_relay_b : &c->to_relay_a;
						mm[nb].msg_hdr.msg_namelen = sizeof c->to_relay_a;
						if (dir)
							c->seq++;
						nb++;
						if (nb == BATCH || i + S >= ncalls) {
							int off = 0;
							for (int tries = 0; off < nb && tries < 8; tries++) {
								int r = sendmmsg(fd, mm + off, (unsigned)(nb - off), 0);
								if (r > 0)
									off += r;
								else if (r < 0 && errno != EAGAIN && errno != EINTR)
									break;
							}
							sent += (uint64_t)off;
							send_fail += (uint64_t)(nb - off);
							nb = 0;
						}
					}
					if (nb) {
						int off = 0;
						for (int tries = 0; off < nb && tries < 8; tries++) {
							int r = sendmmsg(fd, mm + off, (unsigned)(nb - off), 0);
							if (r > 0)
								off += r;
							else if (r < 0 && errno != EAGAIN && errno != EINTR)
								break;
						}
						sent += (uint64_t)off;
						send_fail += (uint64_t)(nb - off);
					}
				}
			}
			next_slot++;
			t = now_ns();
		}
		int n = epoll_wait(ep, evs, 256, 100);
		for (int k = 0; k < n; k++) {
			if (evs[k].data.fd == tfd) {
				uint64_t expirations;
				if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
					die("read timerfd");
			} else {
				receive_ready(evs[k].data.fd);
			}
		}
	}
	getrusage(RUSAGE_SELF, &ru1);
	double media_s = (double)(now_ns() - start) / 1e9;
	printf("MEDIA_END\n");
	fflush(stdout);

	for (int i = 0; i < ncalls; i++)
		ng_delete(i);

	double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
		     (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
	/* the generator is busy during the send phase; the drain is idle time */
	double send_s = duration;
	uint64_t expected = (uint64_t)ncalls * 2 * (uint64_t)(total_slots / NSLOTS) +
			    (uint64_t)2 * (uint64_t)0; /* informational; loss uses `sent` */
	double loss = sent ? 1.0 - (double)received / (double)sent : 1.0;
	if (loss < 0)
		loss = 0;
	printf("RESULT {\"calls\": %d, \"socks_per_side\": %d, \"setup_s\": %.3f, \"duration_s\": %.3f, "
	       "\"media_s\": %.3f, \"expected\": %llu, \"sent\": %llu, \"send_fail\": %llu, \"received\": %llu, "
	       "\"bad\": %llu, \"loss\": %.6f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"p999_ms\": %.3f, "
	       "\"max_ms\": %.3f, \"over_100ms\": %llu, \"max_lag_ms\": %.3f, \"late_slots\": %lld, "
	       "\"gen_cpu_s\": %.3f, \"gen_cpu_frac\": %.4f}\n",
	       ncalls, S, setup_s, duration, media_s, (unsigned long long)expected, (unsigned long long)sent,
	       (unsigned long long)send_fail, (unsigned long long)received, (unsigned long long)bad, loss, pct(0.50),
	       pct(0.99), pct(0.999), (double)max_lat_ns / 1e6, (unsigned long long)hist_over, (double)max_lag / 1e6,
	       (long long)late_slots, cpu, cpu / send_s);
	return 0;
}
