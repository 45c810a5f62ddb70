/*
 * test_static.c - static files from a real directory tree made in a fresh
 * temporary directory for each test: index files, content types, caching
 * headers and conditional requests, HEAD, redirects for directories, and
 * every way out of the root we refuse (dot segments, encoded separators,
 * backslashes, symbolic links leading out, FIFOs, oversized files).
 *
 * Every test checks that it gave back all the memory it took.
 */
#include "http/static.h"
#include "leakcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* ------------------------------------------------------------- fixture */

#define INDEX_HTML "<!doctype html><title>phone</title>\n"
#define APP_JS "console.log('hi');\n"

struct env {
	char top[64];        /* the temporary directory: root/ and outside/ */
	char root[128];
	struct http_static *files;
	struct http_request req;
	struct http_error err;
	char request[1024];
	struct mbuf out;
};

static void write_file(struct env *e, const char *rel, const char *content)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", e->top, rel);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void make_dir(struct env *e, const char *rel)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", e->top, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void make_tree(struct env *e)
{
	char path[256], target[256];
	make_dir(e, "root");
	make_dir(e, "outside");
	make_dir(e, "root/sub");
	make_dir(e, "root/empty");
	write_file(e, "root/index.html", INDEX_HTML);
	write_file(e, "root/app.js", APP_JS);
	write_file(e, "root/app.mjs", APP_JS);
	write_file(e, "root/style.css", "body{}\n");
	write_file(e, "root/logo.svg", "<svg/>\n");
	write_file(e, "root/logo.png", "png");
	write_file(e, "root/favicon.ico", "ico");
	write_file(e, "root/config.json", "{}\n");
	write_file(e, "root/app.js.map", "{}\n");
	write_file(e, "root/codec.wasm", "wasm");
	write_file(e, "root/font.woff2", "woff2");
	write_file(e, "root/LICENSE.TXT", "text\n");
	write_file(e, "root/data.bin", "bin");
	write_file(e, "root/.secret", "hidden\n");
	write_file(e, "root/sub/index.html", "sub index\n");
	write_file(e, "root/a b.txt", "space\n");
	write_file(e, "outside/passwd", "root:x:0:0\n");

	/* a link out of the root, a link to a directory out of it, one inside */
	snprintf(path, sizeof(path), "%s/root/link_out", e->top);
	snprintf(target, sizeof(target), "%s/outside/passwd", e->top);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/root/dir_out", e->top);
	assert_int_equal(symlink("../outside", path), 0);
	snprintf(path, sizeof(path), "%s/root/link_in", e->top);
	assert_int_equal(symlink("sub/index.html", path), 0);

	snprintf(path, sizeof(path), "%s/root/fifo", e->top);
	assert_int_equal(mkfifo(path, 0600), 0);

	/* sparse: too big by its size alone, nothing is read */
	snprintf(path, sizeof(path), "%s/root/big.bin", e->top);
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, HTTP_STATIC_MAX_FILE + 1), 0);
	close(fd);
}

static int env_init(void *state)
{
	struct env *e = state;
	mbuf_init(&e->out);
	snprintf(e->top, sizeof(e->top), "/tmp/rtcb-static.XXXXXX");
	if (!mkdtemp(e->top))
		return -1;
	snprintf(e->root, sizeof(e->root), "%s/root", e->top);
	make_tree(e);
	return http_static_create(&e->files, e->root);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void env_fini(void *state)
{
	struct env *e = state;
	http_static_destroy(e->files);
	assert_int_equal(nftw(e->top, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
	mbuf_free(&e->out);
}

static const struct leak_fixture env_fixture = { sizeof(struct env), env_init, env_fini };

/* ------------------------------------------------------------- helpers */

/* Serve "METHOD path" with the given extra header lines; returns the
 * status. */
static unsigned serve(struct env *e, const char *method, const char *path, const char *extra)
{
	int n = snprintf(e->request, sizeof(e->request), "%s %s HTTP/1.1\r\nHost: a\r\n%s\r\n",
			 method, path, extra ? extra : "");
	if (http_request_parse(e->request, (size_t)n, sizeof(e->request), &e->req, &e->err) != n)
		fail_msg("does not parse: %s", e->request);
	mbuf_reset(&e->out);
	http_static_serve(e->files, &e->req, &e->out);
	assert_false(mbuf_failed(&e->out));
	unsigned status = 0;
	assert_int_equal(sscanf(e->out.data, "HTTP/1.1 %u ", &status), 1);
	return status;
}

/* Value of a response header (first match, exact case), or NULL. */
static const char *header(struct env *e, const char *name, char *buf, size_t size)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "\r\n%s: ", name);
	const char *head_end = strstr(e->out.data, "\r\n\r\n");
	const char *p = strstr(e->out.data, needle);
	if (!p || p > head_end)
		return NULL;
	p += strlen(needle);
	size_t n = (size_t)(strstr(p, "\r\n") - p);
	assert_true(n < size);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static const char *body(struct env *e)
{
	return strstr(e->out.data, "\r\n\r\n") + 4;
}

/* ------------------------------------------------------------- tests */

static void test_index(void **state)
{
	struct env *e = *state;
	char v[512];
	assert_int_equal(serve(e, "GET", "/", NULL), 200);
	assert_string_equal(body(e), INDEX_HTML);
	assert_string_equal(header(e, "Content-Type", v, sizeof(v)), "text/html; charset=utf-8");
	assert_int_equal(atoi(header(e, "Content-Length", v, sizeof(v))), strlen(INDEX_HTML));
	assert_string_equal(header(e, "Cache-Control", v, sizeof(v)), "no-cache");
	assert_string_equal(header(e, "X-Content-Type-Options", v, sizeof(v)), "nosniff");
	assert_string_equal(header(e, "Referrer-Policy", v, sizeof(v)), "no-referrer");
	assert_non_null(header(e, "ETag", v, sizeof(v)));
	assert_int_equal(v[0], '"');
	const char *csp = header(e, "Content-Security-Policy", v, sizeof(v));
	assert_non_null(csp);
	assert_non_null(strstr(csp, "default-src 'self'"));
	assert_non_null(strstr(csp, "connect-src 'self' wss: ws:"));
	assert_non_null(strstr(csp, "media-src 'self' blob:"));
	assert_non_null(strstr(csp, "style-src 'self' 'unsafe-inline'"));
	assert_non_null(strstr(csp, "img-src 'self' data:"));

	assert_int_equal(serve(e, "GET", "/index.html", NULL), 200);
	assert_string_equal(body(e), INDEX_HTML);
	assert_int_equal(serve(e, "GET", "/sub/", NULL), 200);
	assert_string_equal(body(e), "sub index\n");
	assert_int_equal(serve(e, "GET", "/app.js?v=3", NULL), 200); /* query ignored */
	assert_string_equal(body(e), APP_JS);
	assert_int_equal(serve(e, "GET", "//app.js", NULL), 200);
	assert_int_equal(serve(e, "GET", "/a%20b.txt", NULL), 200);
	assert_string_equal(body(e), "space\n");
	assert_int_equal(serve(e, "GET", "/%61pp.js", NULL), 200);
	assert_string_equal(body(e), APP_JS);
}

static void test_content_types(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *path, *type;
	} cases[] = {
		{ "/app.js", "text/javascript; charset=utf-8" },
		{ "/app.mjs", "text/javascript; charset=utf-8" },
		{ "/style.css", "text/css; charset=utf-8" },
		{ "/logo.svg", "image/svg+xml" },
		{ "/logo.png", "image/png" },
		{ "/favicon.ico", "image/x-icon" },
		{ "/config.json", "application/json" },
		{ "/app.js.map", "application/json" },
		{ "/codec.wasm", "application/wasm" },
		{ "/font.woff2", "font/woff2" },
		{ "/LICENSE.TXT", "text/plain; charset=utf-8" },
		{ "/data.bin", "application/octet-stream" },
	};
	char v[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(serve(e, "GET", cases[i].path, NULL), 200);
		assert_string_equal(header(e, "Content-Type", v, sizeof(v)), cases[i].type);
		assert_string_equal(header(e, "Cache-Control", v, sizeof(v)), "max-age=300");
	}
}

static void test_head(void **state)
{
	struct env *e = *state;
	char v[64];
	assert_int_equal(serve(e, "HEAD", "/app.js", NULL), 200);
	assert_int_equal(atoi(header(e, "Content-Length", v, sizeof(v))), strlen(APP_JS));
	assert_string_equal(body(e), "");
	assert_int_equal(serve(e, "HEAD", "/missing", NULL), 404);
	assert_string_equal(body(e), "");
}

static void test_conditional(void **state)
{
	struct env *e = *state;
	char etag[128], v[128], extra[256];
	assert_int_equal(serve(e, "GET", "/app.js", NULL), 200);
	assert_non_null(header(e, "ETag", etag, sizeof(etag)));

	snprintf(extra, sizeof(extra), "If-None-Match: %s\r\n", etag);
	assert_int_equal(serve(e, "GET", "/app.js", extra), 304);
	assert_string_equal(body(e), "");
	assert_null(header(e, "Content-Length", v, sizeof(v)));
	assert_string_equal(header(e, "ETag", v, sizeof(v)), etag);
	snprintf(extra, sizeof(extra), "If-None-Match: \"other\", W/%s\r\n", etag);
	assert_int_equal(serve(e, "GET", "/app.js", extra), 304);
	assert_int_equal(serve(e, "HEAD", "/app.js", "If-None-Match: *\r\n"), 304);
	assert_int_equal(serve(e, "GET", "/app.js", "If-None-Match: \"other\"\r\n"), 200);
	assert_string_equal(body(e), APP_JS);

	/* a changed file gets a new tag */
	write_file(e, "root/app.js", "console.log('changed');\n");
	assert_int_equal(serve(e, "GET", "/app.js", NULL), 200);
	assert_string_not_equal(header(e, "ETag", v, sizeof(v)), etag);
}

static void test_directory_redirect(void **state)
{
	struct env *e = *state;
	char v[128];
	assert_int_equal(serve(e, "GET", "/sub", NULL), 301);
	assert_string_equal(header(e, "Location", v, sizeof(v)), "./sub/");
	assert_int_equal(serve(e, "GET", "/sub?x=1", NULL), 301);
	assert_string_equal(header(e, "Location", v, sizeof(v)), "./sub/");
	assert_int_equal(serve(e, "GET", "/empty/", NULL), 404); /* no index.html */
}

static void test_methods(void **state)
{
	struct env *e = *state;
	char v[64];
	static const char *const methods[] = { "POST", "PUT", "DELETE", "OPTIONS", "get" };
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		assert_int_equal(serve(e, methods[i], "/index.html", NULL), 405);
		assert_string_equal(header(e, "Allow", v, sizeof(v)), "GET, HEAD");
	}
}

static void test_refused(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *path;
		unsigned status;
	} cases[] = {
		{ "/../outside/passwd", 400 },
		{ "/sub/../index.html", 400 },
		{ "/sub/..", 400 },
		{ "/./index.html", 400 },
		{ "/%2e%2e/outside/passwd", 400 },
		{ "/%2E%2E%2Foutside%2Fpasswd", 400 },
		{ "/.%2e/outside/passwd", 400 },
		{ "/sub%2findex.html", 400 },
		{ "/index.html%00.js", 400 },
		{ "/sub\\index.html", 400 },
		{ "/%5c..%5coutside", 400 },
		{ "/%zz", 400 },
		{ "/%4", 400 },
		{ "/%", 400 },
		{ "/a%0ab", 400 },
		{ "/a%7fb", 400 },
		{ "/.secret", 404 },
		{ "/sub/.secret", 404 },
		{ "/missing.html", 404 },
		{ "/missing/", 404 },
		{ "/index.html/", 404 },
		{ "/link_out", 404 },
		{ "/dir_out/passwd", 404 },
		{ "/fifo", 404 },
		{ "/big.bin", 500 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned status = serve(e, "GET", cases[i].path, NULL);
		if (status != cases[i].status)
			fail_msg("%s: got %u, expected %u", cases[i].path, status, cases[i].status);
		assert_null(strstr(body(e), "root:x"));
	}
	/* a link that stays inside the root is followed */
	assert_int_equal(serve(e, "GET", "/link_in", NULL), 200);
	assert_string_equal(body(e), "sub index\n");
}

static void test_create_errors(void **state)
{
	struct env *e = *state;
	struct http_static *s = (struct http_static *)e;
	char path[256];
	snprintf(path, sizeof(path), "%s/nonexistent", e->top);
	assert_int_equal(http_static_create(&s, path), ENOENT);
	assert_null(s);
	snprintf(path, sizeof(path), "%s/index.html", e->root);
	assert_int_equal(http_static_create(&s, path), ENOTDIR);
	assert_null(s);
	assert_int_equal(http_static_create(&s, e->top), 0);
	http_static_destroy(s);
}

int main(void)
{
#define T(name) leak_test(name, &env_fixture)
	const struct CMUnitTest tests[] = {
		T(test_index),   T(test_content_types),     T(test_head),
		T(test_conditional), T(test_directory_redirect), T(test_methods),
		T(test_refused), T(test_create_errors),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
