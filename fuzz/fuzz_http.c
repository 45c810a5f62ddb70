/*
 * fuzz_http.c - libFuzzer target for http_request_parse() and what the
 * server does with a request that parses.
 *
 * The input is the start of a connection: bytes a client sends. Besides the
 * sanitizers' own checks: a refusal carries a status the server can send;
 * "need more" only happens below the head limit; a parsed head lies inside
 * the input, every slice lies inside the head, and the head alone parses to
 * the same length. A parsed request then goes through the WebSocket
 * handshake (under two policies) and the static file server, over a small
 * tree made in a temporary directory at start.
 */
#include "http/static.h"
#include "http/ws.h"
#include "fuzz_slices.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HEAD 4096

static char top[64];
static struct http_static *files;

static void write_file(const char *rel, const char *content)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	FILE *f = fopen(path, "w");
	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		abort();
}

static void remove_tree(void)
{
	static const char *const entries[] = { "root/sub/index.html", "root/sub", "root/app.js",
					       "root/index.html", "root/link", "root",
					       "secret" };
	char path[128];
	http_static_destroy(files);
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, entries[i]);
		remove(path);
	}
	rmdir(top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char path[128];
	snprintf(top, sizeof(top), "/tmp/rtcb-fuzz-http.XXXXXX");
	if (!mkdtemp(top))
		abort();
	snprintf(path, sizeof(path), "%s/root", top);
	if (mkdir(path, 0755) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/root/sub", top);
	if (mkdir(path, 0755) != 0)
		abort();
	write_file("root/index.html", "<!doctype html>\n");
	write_file("root/app.js", "'use strict';\n");
	write_file("root/sub/index.html", "sub\n");
	write_file("secret", "secret\n");
	snprintf(path, sizeof(path), "%s/root/link", top);
	if (symlink("../secret", path) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/root", top);
	if (http_static_create(&files, path) != 0)
		abort();
	atexit(remove_tree);
	return 0;
}

static void check_inside(struct slice s, const char *start, size_t len)
{
	if (!fuzz_slice_inside(s, start, len))
		abort();
}

static void check_response(const struct mbuf *out)
{
	if (mbuf_failed(out) || out->len < 12 || memcmp(out->data, "HTTP/1.1 ", 9) != 0 ||
	    !strstr(out->data, "\r\n\r\n"))
		abort();
	/* the secret behind the link out of the root never shows */
	if (memmem(out->data, out->len, "secret\n", 7))
		abort();
}

static void handshake(const struct http_request *req, const struct ws_policy *policy)
{
	struct mbuf out;
	struct http_error err = { 0 };
	mbuf_init(&out);
	int rc = ws_handshake(req, policy, &out, &err);
	check_response(&out);
	if (rc == 0 ? memcmp(out.data, "HTTP/1.1 101 ", 13) != 0
		    : rc != -1 || err.status < 400 || !err.reason)
		abort();
	mbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = { "https://phone.example.org:8443", "http://a" };
	static const struct ws_policy tls_policy = {
		.secure = true,
		.allowed_origins = allowed,
		.allowed_origin_count = 2,
		.path = "/ws",
		.subprotocol = "sip",
	};
	static const struct ws_policy open_policy = { .secure = false };
	const char *buf = (const char *)data;
	struct http_request req;
	struct http_error err = { 0 };
	struct mbuf out;

	int n = http_request_parse(buf, size, MAX_HEAD, &req, &err);
	if (n < 0) {
		if (n != -1 || !err.reason ||
		    (err.status != 400 && err.status != 414 && err.status != 431 &&
		     err.status != 501 && err.status != 505))
			abort();
		mbuf_init(&out);
		http_error_print(&out, &err, NULL);
		check_response(&out);
		mbuf_free(&out);
		return 0;
	}
	if (n == 0) {
		if (size >= MAX_HEAD)
			abort();
		return 0;
	}
	size_t head = (size_t)n;
	if (head > size || head > MAX_HEAD || head != req.head_len || req.header_count > HTTP_MAX_HEADERS)
		abort();
	check_inside(req.method, buf, head);
	check_inside(req.target, buf, head);
	check_inside(req.path, buf, head);
	check_inside(req.query, buf, head);
	for (size_t i = 0; i < req.header_count; i++) {
		check_inside(req.headers[i].name, buf, head);
		check_inside(req.headers[i].value, buf, head);
	}
	if (req.minor_version < 0 || req.minor_version > 1)
		abort();

	struct http_request again;
	if (http_request_parse(buf, head, MAX_HEAD, &again, &err) != n)
		abort();

	if (ws_is_upgrade(&req)) {
		handshake(&req, &tls_policy);
		handshake(&req, &open_policy);
	}
	mbuf_init(&out);
	http_static_serve(files, &req, &out);
	check_response(&out);
	mbuf_free(&out);
	return 0;
}
