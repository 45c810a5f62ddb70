/*
 * static.h - static files over HTTP: the web phone's pages and scripts.
 *
 * One struct http_static per server, holding the resolved root directory.
 * http_static_serve() answers one GET or HEAD request completely in memory;
 * files are small (the limit is HTTP_STATIC_MAX_FILE) and read with plain
 * blocking read(), which is fine for a local file system.
 */
#ifndef RTCB_HTTP_STATIC_H
#define RTCB_HTTP_STATIC_H

#include "core/mbuf.h"
#include "http/request.h"

#define HTTP_STATIC_MAX_FILE (16u * 1024 * 1024)

struct http_static;

/* Serve files below root (resolved once, here, with realpath). Returns 0,
 * ENOENT when root is missing, ENOTDIR when it is no directory, ENOMEM, or
 * another errno from realpath; the caller logs it. */
int http_static_create(struct http_static **sp, const char *root);
void http_static_destroy(struct http_static *s);

/*
 * Append a whole response for req to out.
 *   200  the file, or index.html for "/" and for paths ending in '/'; with
 *        Content-Type by extension, an ETag from size and mtime, and
 *        Cache-Control "no-cache" for HTML (so a new web phone is picked up)
 *        and a short max-age otherwise. Security headers on every answer
 *        that carries a file: nosniff, no referrer, and a
 *        Content-Security-Policy for a page that talks to its own origin
 *        over WebSocket and plays media from blobs.
 *   304  If-None-Match holds the current ETag (or "*").
 *   301  a directory named without its trailing slash, to "path/".
 *   400  ".." or "." segments, percent-encoded '.', '/', '\' or NUL,
 *        malformed percent escapes, a backslash or control characters.
 *   404  missing files, dot files, anything that is not a regular file, and
 *        symbolic links that lead out of the root.
 *   405  methods other than GET and HEAD, with "Allow: GET, HEAD".
 *   500  files larger than HTTP_STATIC_MAX_FILE, or a read error.
 * HEAD gets the same head as GET without the body. The query is ignored.
 */
void http_static_serve(struct http_static *s, const struct http_request *req, struct mbuf *out);

#endif
