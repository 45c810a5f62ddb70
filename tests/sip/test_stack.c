/*
 * test_stack.c - transactions over real UDP sockets on loopback: server
 * transactions answer retransmissions from memory, INVITE client
 * transactions retransmit (Timer A) and ACK a non-2xx final response by
 * themselves, CANCEL waits for a provisional response.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/loop.h"
#include "core/mem.h"
#include "sip/stack.h"
#include "leakcheck.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	struct loop *loop;
	struct sip_stack *stack;
	struct netaddr server_addr;
	int peer_fd;
	struct netaddr peer_addr;
	int requests_seen;
	uint16_t last_status;
	int responses_seen;
};

static void on_request(struct sip_stack *s, struct sip_msg *req, void *arg)
{
	struct fixture *f = arg;
	f->requests_seen++;
	struct sip_strans *st = sip_strans_create(s, req);
	assert_non_null(st);
	sip_strans_reply(st, 200, NULL, "X-Test: yes\r\n", SLICE_NULL, SLICE_NULL);
	mem_deref(st);
}

static int fixture_init(void *state)
{
	struct fixture *f = state;
	struct sip_transport_settings settings = { .max_message_size = 65535, .idle_timeout_s = 60 };
	struct sip_stack_handlers handlers = { .request = on_request, .arg = f };
	assert_int_equal(loop_create(&f->loop), 0);
	assert_int_equal(sip_stack_create(&f->stack, f->loop, &settings, &handlers), 0);
	netaddr_set_cstr(&f->server_addr, "127.0.0.1", 0);
	assert_int_equal(sip_transport_listen(sip_stack_transport(f->stack), SIP_TRANSPORT_UDP, &f->server_addr), 0);
	netaddr_set_port(&f->server_addr, sip_transport_port(sip_stack_transport(f->stack), SIP_TRANSPORT_UDP));
	f->peer_fd = socket(AF_INET, SOCK_DGRAM, 0);
	netaddr_set_cstr(&f->peer_addr, "127.0.0.1", 0);
	bind(f->peer_fd, &f->peer_addr.u.sa, f->peer_addr.len);
	socklen_t len = sizeof(f->peer_addr.u.storage);
	getsockname(f->peer_fd, &f->peer_addr.u.sa, &len);
	f->peer_addr.len = len;
	return 0;
}

static void fixture_fini(void *state)
{
	struct fixture *f = state;
	sip_stack_destroy(f->stack);
	loop_destroy(f->loop);
	close(f->peer_fd);
}

static const struct leak_fixture stack_fixture = { sizeof(struct fixture), fixture_init,
						   fixture_fini };

static void stop_loop(void *arg)
{
	loop_stop(arg);
}

/* Run the loop until the peer socket has data or ms pass; read it. */
static ssize_t pump_and_read(struct fixture *f, char *buf, size_t size, int ms)
{
	for (int waited = 0; waited < ms; waited += 10) {
		struct pollfd p = { .fd = f->peer_fd, .events = POLLIN };
		if (poll(&p, 1, 0) == 1)
			return recv(f->peer_fd, buf, size - 1, 0);
		/* one short loop iteration: a timer that stops the loop */
		struct loop_timer t = { 0 };
		loop_timer_start(f->loop, &t, 10, stop_loop, f->loop);
		loop_run(f->loop);
		loop_timer_stop(f->loop, &t);
	}
	return -1;
}

static void send_to_stack(struct fixture *f, const char *text)
{
	sendto(f->peer_fd, text, strlen(text), 0, &f->server_addr.u.sa, f->server_addr.len);
}

static void test_server_retransmission(void **state)
{
	struct fixture *f = *state;
	char req[512], buf[4096];
	snprintf(req, sizeof(req),
		 "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKtest1;rport\r\n"
		 "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: st1\r\nCSeq: 1 OPTIONS\r\n"
		 "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 netaddr_port(&f->peer_addr));
	send_to_stack(f, req);
	ssize_t n = pump_and_read(f, buf, sizeof(buf), 2000);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "SIP/2.0 200 OK\r\n"));
	assert_non_null(strstr(buf, "X-Test: yes"));
	assert_non_null(strstr(buf, ";received=127.0.0.1;rport="));
	assert_non_null(strstr(buf, "To: <sip:b@127.0.0.1>;tag="));
	char first[4096];
	strcpy(first, buf);
	/* retransmission: same answer, handler not called again */
	send_to_stack(f, req);
	n = pump_and_read(f, buf, sizeof(buf), 2000);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, first);
	assert_int_equal(f->requests_seen, 1);
}

static void test_bad_request_answered(void **state)
{
	struct fixture *f = *state;
	char req[512], buf[4096];
	snprintf(req, sizeof(req),
		 "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbad;rport\r\n"
		 "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: st2\r\nCSeq: 1 INVITE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 netaddr_port(&f->peer_addr));
	send_to_stack(f, req);
	ssize_t n = pump_and_read(f, buf, sizeof(buf), 2000);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "SIP/2.0 400 CSeq method does not match the request method\r\n"));
	assert_int_equal(f->requests_seen, 0);
}

static void on_response(struct sip_ctrans *ct, struct sip_msg *resp, uint16_t status, void *arg)
{
	struct fixture *f = arg;
	(void)ct;
	(void)resp;
	f->last_status = status;
	f->responses_seen++;
}

static void test_client_invite(void **state)
{
	struct fixture *f = *state;
	char req[512], buf[4096], resp[1024];
	snprintf(req, sizeof(req),
		 "INVITE sip:b@127.0.0.1:%u SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKct1;rport\r\n"
		 "From: <sip:a@127.0.0.1>;tag=9\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: ct1\r\nCSeq: 5 INVITE\r\n"
		 "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 netaddr_port(&f->peer_addr), netaddr_port(&f->server_addr));
	struct sip_ctrans *ct;
	assert_int_equal(sip_ctrans_create(&ct, f->stack, slice_from_cstr(req), SIP_TRANSPORT_UDP,
					   &f->peer_addr, NULL, on_response, f), 0);
	ssize_t n = pump_and_read(f, buf, sizeof(buf), 1000);
	assert_true(n > 0);
	/* Timer A: the same INVITE again after T1 */
	n = pump_and_read(f, buf, sizeof(buf), 1500);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "INVITE sip:b@"));
	/* CANCEL asked before any provisional waits for one */
	sip_ctrans_cancel(ct);
	snprintf(resp, sizeof(resp),
		 "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKct1;rport\r\n"
		 "From: <sip:a@127.0.0.1>;tag=9\r\nTo: <sip:b@127.0.0.1>;tag=x\r\nCall-ID: ct1\r\nCSeq: 5 INVITE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 netaddr_port(&f->server_addr));
	send_to_stack(f, resp);
	for (int i = 0; i < 5; i++) {
		n = pump_and_read(f, buf, sizeof(buf), 1000);
		assert_true(n > 0);
		buf[n] = '\0';
		if (strncmp(buf, "CANCEL ", 7) == 0)
			break;
	}
	assert_int_equal(strncmp(buf, "CANCEL sip:b@", 13), 0);
	assert_non_null(strstr(buf, "CSeq: 5 CANCEL"));
	assert_non_null(strstr(buf, "branch=z9hG4bKct1"));
	assert_int_equal(f->last_status, 180);
	/* final 487: the transaction ACKs it itself */
	char final[1024];
	snprintf(final, sizeof(final),
		 "SIP/2.0 487 Request Terminated\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKct1;rport\r\n"
		 "From: <sip:a@127.0.0.1>;tag=9\r\nTo: <sip:b@127.0.0.1>;tag=x\r\nCall-ID: ct1\r\nCSeq: 5 INVITE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 netaddr_port(&f->server_addr));
	send_to_stack(f, final);
	for (int i = 0; i < 5; i++) {
		n = pump_and_read(f, buf, sizeof(buf), 1000);
		assert_true(n > 0);
		buf[n] = '\0';
		if (strncmp(buf, "ACK ", 4) == 0)
			break;
	}
	assert_int_equal(strncmp(buf, "ACK sip:b@", 10), 0);
	assert_non_null(strstr(buf, "To: <sip:b@127.0.0.1>;tag=x"));
	assert_non_null(strstr(buf, "CSeq: 5 ACK"));
	assert_int_equal(f->last_status, 487);
	sip_ctrans_abandon(ct);
}

/* OpenSSL's random generator (branches and tags) and the log's time zone
 * are set up on first use and kept: one exchange before the per-test
 * accounting starts. */
static int warm_up(void **state)
{
	(void)state;
	return leak_warm_up(&stack_fixture, test_server_retransmission);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		leak_test(test_server_retransmission, &stack_fixture),
		leak_test(test_bad_request_answered, &stack_fixture),
		leak_test(test_client_invite, &stack_fixture),
	};
	return cmocka_run_group_tests(tests, warm_up, NULL);
}
