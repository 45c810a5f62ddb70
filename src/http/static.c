/*
 * static.c - serve files below one root directory (GET and HEAD).
 *
 * The request path goes through three gates before a file is opened:
 *
 *   1. decode_path(): percent-decoding that refuses anything that could
 *      change the path's structure once decoded (encoded '.', '/', '\',
 *      NUL), control characters and backslashes, and then any "." or ".."
 *      segment. Dot files are not served.
 *   2. realpath() of root + path, which must still lie below the resolved
 *      root: a symbolic link inside the root may point elsewhere inside it,
 *      never out of it.
 *   3. open() of the resolved path with O_NOFOLLOW (a link swapped in
 *      since step 2 is refused) and O_NONBLOCK (a FIFO cannot hang us),
 *      then fstat(): regular files only, at most HTTP_STATIC_MAX_FILE bytes.
 *
 * The response head is printed first and the file read straight into the
 * output buffer after it; a read error rolls the buffer back to where it was
 * and answers 500 instead.
 */
#include "http/static.h"

#include "core/slice.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX_FILE "index.html"

#define SECURITY_HEADERS                                                            \
	"X-Content-Type-Options: nosniff\r\n"                                       \
	"Referrer-Policy: no-referrer\r\n"                                          \
	"Content-Security-Policy: default-src 'self'; connect-src 'self' wss: ws:; " \
	"media-src 'self' blob:; style-src 'self' 'unsafe-inline'; "                \
	"img-src 'self' data:; object-src 'none'; base-uri 'self'; "                \
	"frame-ancestors 'none'\r\n"

struct http_static {
	char root[PATH_MAX]; /* resolved: absolute, no symbolic links */
	size_t root_len;
};

int http_static_create(struct http_static **sp, const char *root)
{
	struct stat st;
	struct http_static *s = calloc(1, sizeof(*s));
	int err = 0;
	*sp = NULL;
	if (!s)
		return ENOMEM;
	if (!realpath(root, s->root)) {
		err = errno;
		goto out;
	}
	if (stat(s->root, &st) != 0) {
		err = errno;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		err = ENOTDIR;
		goto out;
	}
	s->root_len = strlen(s->root);
	*sp = s;
	s = NULL;
out:
	free(s);
	return err;
}

void http_static_destroy(struct http_static *s)
{
	free(s);
}

/* ------------------------------------------------------------ paths */

static int refuse(struct http_error *err, uint16_t status, const char *reason)
{
	err->status = status;
	err->reason = reason;
	return -1;
}

/* Check the segments of a decoded path ("/a/b/"): no "." or "..", no dot
 * files. */
static int check_segments(const char *path, struct http_error *err)
{
	for (const char *seg = path; seg; seg = strchr(seg + 1, '/')) {
		const char *name = seg + 1;
		size_t n = strcspn(name, "/");
		if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
			return refuse(err, 400, "Bad Request: dot segment in path");
		if (n && name[0] == '.')
			return refuse(err, 404, "Not Found");
	}
	return 0;
}

/* Percent-decode raw into out (size bytes, room for INDEX_FILE kept). */
static int decode_path(struct slice raw, char *out, size_t size, struct http_error *err)
{
	size_t n = 0;
	if (raw.len == 0 || raw.p[0] != '/')
		return refuse(err, 400, "Bad Request: path must start with /");
	for (size_t i = 0; i < raw.len; i++) {
		unsigned char c = (unsigned char)raw.p[i];
		if (c == '%') {
			int high = i + 2 < raw.len ? hex_digit_value(raw.p[i + 1]) : -1;
			int low = i + 2 < raw.len ? hex_digit_value(raw.p[i + 2]) : -1;
			if (high < 0 || low < 0)
				return refuse(err, 400, "Bad Request: malformed percent escape in path");
			c = (unsigned char)(high << 4 | low);
			i += 2;
			if (c == '.' || c == '/' || c == '\\' || c == '\0')
				return refuse(err, 400,
					      "Bad Request: encoded dot, slash, backslash or NUL in path");
		} else if (c == '\\') {
			return refuse(err, 400, "Bad Request: backslash in path");
		}
		if (c < 0x20 || c == 0x7f)
			return refuse(err, 400, "Bad Request: control character in path");
		if (n + sizeof(INDEX_FILE) >= size)
			return refuse(err, 414, "URI Too Long");
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return check_segments(out, err);
}

/* ------------------------------------------------------------ responses */

static const char *content_type(const char *path)
{
	static const struct {
		const char *extension, *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "ico", "image/x-icon" },
		{ "json", "application/json" },
		{ "map", "application/json" },
		{ "wasm", "application/wasm" },
		{ "woff2", "font/woff2" },
		{ "txt", "text/plain; charset=utf-8" },
	};
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (dot)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].extension) == 0)
				return types[i].type;
	return "application/octet-stream";
}

static void respond_text(struct mbuf *out, uint16_t status, const char *reason, bool head_only,
			 const char *extra_headers)
{
	struct mbuf headers;
	mbuf_init(&headers);
	mbuf_printf(&headers, "Content-Type: text/plain; charset=utf-8\r\n"
			      "X-Content-Type-Options: nosniff\r\n%s",
		    extra_headers ? extra_headers : "");
	if (mbuf_failed(&headers))
		out->failed = true;
	else
		http_response_print(out, status, reason, headers.data, slice_from_cstr(reason),
				    head_only);
	mbuf_free(&headers);
}

/* If-None-Match: "*" or a list of entity tags, weak or strong; weak
 * comparison applies (RFC 9110 13.1.2). */
static bool etag_matches(struct slice if_none_match, const char *etag)
{
	struct slice rest = if_none_match;
	while (rest.len) {
		long comma = slice_index(rest, ',');
		size_t n = comma < 0 ? rest.len : (size_t)comma;
		struct slice tag = slice_trim(slice_make(rest.p, n));
		if (slice_eq_cstr(tag, "*"))
			return true;
		if (slice_starts_with_case(tag, "W/"))
			tag = slice_make(tag.p + 2, tag.len - 2);
		if (slice_eq_cstr(tag, etag))
			return true;
		rest = comma < 0 ? SLICE_NULL : slice_make(rest.p + n + 1, rest.len - n - 1);
	}
	return false;
}

/* "./name/" resolves against the request URL to the directory itself and,
 * unlike "/path/", cannot be read as "//host/" or "scheme:". */
static void redirect_to_directory(struct mbuf *out, struct slice path, bool head_only)
{
	struct slice name = path;
	long slash;
	while ((slash = slice_index(name, '/')) >= 0)
		name = slice_make(name.p + slash + 1, name.len - (size_t)slash - 1);
	struct mbuf location;
	mbuf_init(&location);
	mbuf_printf(&location, "Location: ./%.*s/\r\n", SLICE_FMT(name));
	if (mbuf_failed(&location))
		out->failed = true;
	else
		respond_text(out, 301, "Moved Permanently", head_only, location.data);
	mbuf_free(&location);
}

/* Read exactly size bytes of fd onto the end of out. */
static int read_into(struct mbuf *out, int fd, size_t size)
{
	if (!mbuf_reserve(out, size))
		return ENOMEM;
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, out->data + out->len + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO; /* EIO: the file shrank under us */
		got += (size_t)n;
	}
	out->len += size;
	out->data[out->len] = '\0';
	return 0;
}

static void serve_file(struct mbuf *out, const struct http_request *req, int fd,
		       const struct stat *st, const char *path, bool head_only)
{
	char etag[80], headers[1024];
	snprintf(etag, sizeof(etag), "\"%jx-%jx-%lx\"", (uintmax_t)st->st_size,
		 (uintmax_t)st->st_mtim.tv_sec, (unsigned long)st->st_mtim.tv_nsec);
	const char *type = content_type(path);
	snprintf(headers, sizeof(headers),
		 "Content-Type: %s\r\nCache-Control: %s\r\nETag: %s\r\n" SECURITY_HEADERS, type,
		 strncmp(type, "text/html", 9) == 0 ? "no-cache" : "max-age=300", etag);

	struct slice if_none_match = http_request_header(req, "If-None-Match");
	if (slice_is_set(if_none_match) && etag_matches(if_none_match, etag)) {
		http_response_print(out, 304, "Not Modified", headers, SLICE_NULL, true);
		return;
	}
	size_t size = (size_t)st->st_size, mark = out->len;
	/* The head with the file's length; the bytes follow straight from fd. */
	http_response_print(out, 200, "OK", headers, slice_make(NULL, size), true);
	if (head_only || mbuf_failed(out))
		return;
	if (read_into(out, fd, size) && !mbuf_failed(out)) {
		out->len = mark;
		respond_text(out, 500, "Internal Server Error: cannot read file", head_only, NULL);
	}
}

void http_static_serve(struct http_static *s, const struct http_request *req, struct mbuf *out)
{
	bool head_only = slice_eq_cstr(req->method, "HEAD");
	if (!head_only && !slice_eq_cstr(req->method, "GET")) {
		respond_text(out, 405, "Method Not Allowed", false, "Allow: GET, HEAD\r\n");
		return;
	}

	struct http_error err;
	char path[PATH_MAX], full[2 * PATH_MAX], resolved[PATH_MAX];
	if (decode_path(req->path, path, sizeof(path), &err)) {
		respond_text(out, err.status, err.reason, head_only, NULL);
		return;
	}
	bool directory_wanted = path[strlen(path) - 1] == '/';
	int full_len = snprintf(full, sizeof(full), "%s%s%s", s->root, path,
				directory_wanted ? INDEX_FILE : "");
	if (full_len < 0 || (size_t)full_len >= sizeof(full)) {
		respond_text(out, 414, "URI Too Long", head_only, NULL);
		return;
	}

	/* Below the root: the root itself, or root + "/"... ("/" as root holds
	 * everything). */
	if (!realpath(full, resolved) || strncmp(resolved, s->root, s->root_len) != 0 ||
	    (resolved[s->root_len] != '/' && resolved[s->root_len] != '\0' && s->root_len > 1)) {
		respond_text(out, 404, "Not Found", head_only, NULL);
		return;
	}
	int fd = open(resolved, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		respond_text(out, 404, "Not Found", head_only, NULL);
	} else if (S_ISDIR(st.st_mode) && !directory_wanted) {
		redirect_to_directory(out, req->path, head_only);
	} else if (!S_ISREG(st.st_mode)) {
		respond_text(out, 404, "Not Found", head_only, NULL);
	} else if ((uintmax_t)st.st_size > HTTP_STATIC_MAX_FILE) {
		respond_text(out, 500, "Internal Server Error: file too large to serve", head_only,
			     NULL);
	} else {
		serve_file(out, req, fd, &st, resolved, head_only);
	}
	if (fd >= 0)
		close(fd);
}
