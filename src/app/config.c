/*
 * config.c - reading rtcbridge.conf (INI) over the defaults.
 *
 * Every setting is one row of `keys`: section, name, setter, where the value
 * goes in struct config, and its limits (nginx's directive tables). A new
 * setting is a field in config.h, a default in config_defaults() and a row
 * here; cross-field rules go in check_settings().
 *
 * Strict on purpose: an unknown section or key, a value out of range, a
 * key given twice, a string too long for its field - each is an error that
 * names file, line and key, because a setting silently ignored is worse
 * than a daemon that refuses to start. The first error wins, and the file's
 * values reach the caller's struct only when the whole file is good.
 *
 * Debian's inih does the INI syntax (comments, "key = value", "key: value",
 * ';' inline comments after white space). We feed it lines through our own
 * reader, which
 *   - counts lines, so that messages can name them;
 *   - refuses lines longer than inih's line buffer (200 bytes, fixed when
 *     the library was built): inih would cut such a line and read its tail
 *     as a line of its own;
 *   - refuses NUL bytes, behind which inih would not see the rest of a line;
 *   - strips leading white space, so that an indented line is an ordinary
 *     line and never inih's continuation of the previous value (a mode that
 *     is on in the library build and would turn a stray indent into a
 *     second value for the key above);
 *   - checks [section] names, as inih reports sections only with their keys.
 */
#include "app/config.h"

#include "core/log.h"
#include "core/netaddr.h"
#include "core/slice.h"
#include "proxy/anchor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct parse;
struct config_key;

/* Stores value into the field `key` describes; on a bad value records the
 * error with fail() and returns EINVAL. */
typedef int(config_setter)(struct parse *p, const struct config_key *key, const char *value);

struct config_key {
	const char *section;
	const char *name;
	config_setter *set;
	size_t offset;       /* of the field in struct config */
	size_t size;         /* of the field; of one entry for lists */
	size_t count_offset; /* lists: of their size_t count */
	uint32_t min, max;   /* numbers: range; strings: least length; lists: least entries */
	bool (*valid)(const char *s); /* strings and list entries, when not empty */
	const char *what;    /* what a good value is, for messages: "a port number" */
};

#define CONFIG_KEYS_MAX 48

struct parse {
	const char *path;
	FILE *file;
	struct config cfg;                /* the caller's, with the file's values over it */
	int lineno;                       /* of the line inih is working on */
	int key_lines[CONFIG_KEYS_MAX];   /* line that set each key; 0: not in the file */
	int err_line;                     /* of the first error; 0: none yet */
	int read_err;                     /* errno of a failed read */
	char err[512];
};

/* ---------------------------------------------------------------------------
 * Errors
 */

/* Records an error at `line`, about `key` when not NULL. Returns EINVAL so
 * that setters can `return fail(...)`. Overwrites: callers stop at the
 * first error, except for config_load putting an earlier one in front. */
static int __attribute__((format(printf, 4, 5)))
fail_at(struct parse *p, int line, const struct config_key *key, const char *fmt, ...)
{
	char detail[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(p->err, sizeof(p->err), "%s:%d: [%s] %s: %s", p->path, line, key->section,
			 key->name, detail);
	else
		snprintf(p->err, sizeof(p->err), "%s:%d: %s", p->path, line, detail);
	p->err_line = line;
	return EINVAL;
}

#define fail(p, key, ...) fail_at((p), (p)->lineno, (key), __VA_ARGS__)

/* ---------------------------------------------------------------------------
 * Values
 */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool has_control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool address_ok(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* RFC 1123 host names: dot-separated labels of letters, digits and inner
 * hyphens, no trailing dot. */
static bool hostname_ok(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0 || label > 63 || s[i - label] == '-' || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(s[i]) || s[i] == '-') {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static bool host_ok(const char *s)
{
	return address_ok(s) || hostname_ok(s);
}

static bool hostport_ok(const char *s)
{
	struct netaddr a;
	return netaddr_parse_hostport(&a, s) == 0;
}

static bool path_ok(const char *s)
{
	return !has_control_char(s);
}

/* The realm is sent as a quoted-string; keeping '"' and '\' out spares
 * every printer the escaping. */
static bool realm_ok(const char *s)
{
	return !has_control_char(s) && !strpbrk(s, "\"\\");
}

static bool text_ok(const char *s)
{
	return !has_control_char(s);
}

/* "https://host[:port]" or "http://...", as browsers send in Origin. */
static bool origin_ok(const char *s)
{
	const char *host = strncmp(s, "https://", 8) == 0 ? s + 8 : strncmp(s, "http://", 7) == 0 ? s + 7 : NULL;
	return host && *host && !strpbrk(host, "/ \t\"") && !has_control_char(host);
}

static bool anchor_ok(const char *s)
{
	enum anchor_mode mode;
	return anchor_mode_parse(s, &mode) == 0;
}

static bool log_level_ok(const char *s)
{
	return log_level_parse(s) >= 0;
}

static void *field(struct parse *p, const struct config_key *key)
{
	return (char *)&p->cfg + key->offset;
}

static int set_string(struct parse *p, const struct config_key *key, const char *value)
{
	size_t len = strlen(value);

	if (len >= key->size)
		return fail(p, key, "value is %zu characters long; at most %zu fit", len, key->size - 1);
	if (len < key->min)
		return fail(p, key, "must not be empty");
	if (len && !key->valid(value))
		return fail(p, key, "\"%s\" is not %s", value, key->what);
	memcpy(field(p, key), value, len + 1);
	return 0;
}

static int set_bool(struct parse *p, const struct config_key *key, const char *value)
{
	static const char *const yes[] = { "yes", "true", "1" }, *const no[] = { "no", "false", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
			*(bool *)field(p, key) = strcasecmp(value, yes[i]) == 0;
			return 0;
		}
	}
	return fail(p, key, "\"%s\" is not a boolean (yes, no, true, false, 1, 0)", value);
}

/* Plain decimal digits within [min, max]; into a uint16_t or uint32_t
 * field, whichever the row's size says. */
static int set_number(struct parse *p, const struct config_key *key, const char *value)
{
	uint32_t v;

	if (slice_to_u32(slice_from_cstr(value), &v) || v < key->min || v > key->max)
		return fail(p, key, "\"%s\" is not %s (%u-%u)", value, key->what, (unsigned)key->min,
			    (unsigned)key->max);
	if (key->size == sizeof(uint16_t))
		*(uint16_t *)field(p, key) = (uint16_t)v;
	else
		*(uint32_t *)field(p, key) = v;
	return 0;
}

/* Comma-separated entries, white space around each ignored; the file's
 * list replaces the default one. */
static int set_list(struct parse *p, const struct config_key *key, const char *value)
{
	char *entries = field(p, key);
	size_t *count = (size_t *)(void *)((char *)&p->cfg + key->count_offset);
	struct slice rest = slice_from_cstr(value);
	size_t n = 0;

	while (rest.len) {
		long comma = slice_index(rest, ',');
		struct slice item = slice_trim(comma < 0 ? rest : slice_make(rest.p, (size_t)comma));
		char *entry = entries + n * key->size;

		if (item.len == 0)
			return fail(p, key, "empty entry in the list");
		if (n == CONFIG_MAX_LIST)
			return fail(p, key, "more than %d entries", CONFIG_MAX_LIST);
		if (slice_to_cstr(item, entry, key->size))
			return fail(p, key, "\"%.*s\" is longer than %zu characters", SLICE_FMT(item),
				    key->size - 1);
		if (!key->valid(entry))
			return fail(p, key, "\"%s\" is not %s", entry, key->what);
		for (size_t i = 0; i < n; i++)
			if (strcasecmp(entries + i * key->size, entry) == 0)
				return fail(p, key, "\"%s\" is listed twice", entry);
		n++;
		if (comma < 0)
			break;
		rest = slice_make(rest.p + comma + 1, rest.len - (size_t)comma - 1);
		if (rest.len == 0)
			return fail(p, key, "empty entry in the list");
	}
	if (n < key->min)
		return fail(p, key, "needs at least %u entr%s", (unsigned)key->min, key->min == 1 ? "y" : "ies");
	*count = n;
	return 0;
}

/* ---------------------------------------------------------------------------
 * The settings
 */

#define KEY(s, n, setter) .section = (s), .name = (n), .set = (setter)
#define FIELD(f) .offset = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f)
#define LIST(f, n)                                                                         \
	.offset = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f[0]), \
	.count_offset = offsetof(struct config, n)
#define SECONDS(lo, hi) .min = (lo), .max = (hi), .what = "a number of seconds"
#define PORT .min = 0, .max = 65535, .what = "a port number"

/* Grouped by section (sections_list relies on it). */
static const struct config_key keys[] = {
	{ KEY("general", "log_level", set_string), FIELD(log_level), .min = 1, .valid = log_level_ok,
	  .what = "a log level (error, warn, notice, info, debug)" },
	{ KEY("general", "syslog", set_bool), FIELD(syslog) },
	{ KEY("general", "state_dir", set_string), FIELD(state_dir), .min = 1, .valid = path_ok,
	  .what = "a directory name" },

	{ KEY("sip", "listen", set_list), LIST(listen_addresses, listen_address_count), .min = 1,
	  .valid = address_ok, .what = "an IPv4 or IPv6 address (no brackets, no host names)" },
	{ KEY("sip", "udp_port", set_number), FIELD(udp_port), PORT },
	{ KEY("sip", "tcp_port", set_number), FIELD(tcp_port), PORT },
	{ KEY("sip", "tls_port", set_number), FIELD(tls_port), PORT },
	{ KEY("sip", "advertised_address", set_string), FIELD(advertised_address), .valid = host_ok,
	  .what = "a host name or IP address" },
	{ KEY("sip", "domains", set_list), LIST(domains, domain_count), .valid = host_ok,
	  .what = "a domain name or IP address" },
	{ KEY("sip", "realm", set_string), FIELD(realm), .valid = realm_ok,
	  .what = "a realm (printable, without '\"' or '\\')" },
	{ KEY("sip", "tls_cert", set_string), FIELD(tls_cert), .valid = path_ok, .what = "a file name" },
	{ KEY("sip", "tls_key", set_string), FIELD(tls_key), .valid = path_ok, .what = "a file name" },
	{ KEY("sip", "max_message_size", set_number), FIELD(max_message_size), .min = 1024,
	  .max = 16 * 1024 * 1024, .what = "a size in bytes" },
	{ KEY("sip", "tcp_idle_timeout", set_number), FIELD(tcp_idle_timeout), SECONDS(1, 86400) },

	{ KEY("registrar", "min_expires", set_number), FIELD(min_expires), SECONDS(1, 31536000) },
	{ KEY("registrar", "max_expires", set_number), FIELD(max_expires), SECONDS(1, 31536000) },
	{ KEY("registrar", "default_expires", set_number), FIELD(default_expires), SECONDS(1, 31536000) },
	{ KEY("registrar", "max_contacts", set_number), FIELD(max_contacts), .min = 1, .max = 1000,
	  .what = "a number of contacts" },

	{ KEY("auth", "nonce_lifetime", set_number), FIELD(nonce_lifetime), SECONDS(1, 86400) },
	{ KEY("auth", "offer_sha256", set_bool), FIELD(offer_sha256) },
	{ KEY("auth", "md5_only_user_agents", set_list),
	  LIST(md5_only_user_agents, md5_only_user_agent_count), .valid = text_ok,
	  .what = "part of a User-Agent header" },

	{ KEY("http", "https_port", set_number), FIELD(https_port), PORT },
	{ KEY("http", "http_port", set_number), FIELD(http_port), PORT },
	{ KEY("http", "web_root", set_string), FIELD(web_root), .valid = path_ok, .what = "a directory name" },
	{ KEY("http", "allowed_origins", set_list), LIST(allowed_origins, allowed_origin_count),
	  .valid = origin_ok, .what = "an origin such as https://phone.example.org:8443" },
	{ KEY("http", "max_header_size", set_number), FIELD(max_header_size), .min = 1024,
	  .max = 1024 * 1024, .what = "a size in bytes" },

	{ KEY("proxy", "invite_timeout", set_number), FIELD(invite_timeout), SECONDS(1, 86400) },

	{ KEY("media", "anchor", set_string), FIELD(media_anchor), .min = 1, .valid = anchor_ok,
	  .what = "auto, always or never" },
	{ KEY("media", "ng_listen", set_string), FIELD(ng_listen), .valid = hostport_ok,
	  .what = "an address and port (127.0.0.1:2223, [::1]:2223)" },
	{ KEY("media", "port_min", set_number), FIELD(port_min), .min = 1024, .max = 65534,
	  .what = "a port number" },
	{ KEY("media", "port_max", set_number), FIELD(port_max), .min = 1025, .max = 65535,
	  .what = "a port number" },
	{ KEY("media", "bind_address", set_string), FIELD(media_bind_address), .valid = address_ok,
	  .what = "an IPv4 or IPv6 address" },
	{ KEY("media", "advertised_address", set_string), FIELD(media_advertised_address),
	  .valid = address_ok, .what = "an IPv4 or IPv6 address" },
	{ KEY("media", "strict_source", set_bool), FIELD(strict_source) },
	{ KEY("media", "workers", set_number), FIELD(media_workers), .min = 0, .max = 64,
	  .what = "a number of threads" },
	{ KEY("media", "timeout", set_number), FIELD(media_timeout), SECONDS(0, 86400) },
};

#define KEY_COUNT (sizeof(keys) / sizeof(keys[0]))
_Static_assert(KEY_COUNT <= CONFIG_KEYS_MAX, "raise CONFIG_KEYS_MAX");

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->log_level, sizeof(c->log_level), "notice");
	c->syslog = false;
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/rtcbridge");
	snprintf(c->listen_addresses[0], sizeof(c->listen_addresses[0]), "0.0.0.0");
	snprintf(c->listen_addresses[1], sizeof(c->listen_addresses[1]), "::");
	c->listen_address_count = 2;
	c->udp_port = 5060;
	c->tcp_port = 5060;
	c->tls_port = 5061;
	c->max_message_size = 65535;
	c->tcp_idle_timeout = 600;
	c->min_expires = 60;
	c->max_expires = 7200;
	c->default_expires = 3600;
	c->max_contacts = 10;
	c->nonce_lifetime = 300;
	c->offer_sha256 = true;
	snprintf(c->md5_only_user_agents[0], sizeof(c->md5_only_user_agents[0]), "baresip");
	c->md5_only_user_agent_count = 1;
	c->https_port = 8443;
	c->http_port = 0;
	snprintf(c->web_root, sizeof(c->web_root), "%s", RTCBRIDGE_WEB_ROOT);
	c->max_header_size = 8192;
	c->invite_timeout = 180;
	c->port_min = 20000;
	c->port_max = 30000;
	snprintf(c->media_anchor, sizeof(c->media_anchor), "auto");
	c->strict_source = false;
	c->media_workers = 0;
	c->media_timeout = 60;
}

static const struct config_key *key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool section_known(const char *name, size_t len)
{
	for (size_t i = 0; i < KEY_COUNT; i++)
		if (strlen(keys[i].section) == len && strncmp(keys[i].section, name, len) == 0)
			return true;
	return false;
}

static void sections_list(char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < KEY_COUNT && used < size; i++)
		if (i == 0 || strcmp(keys[i].section, keys[i - 1].section) != 0)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", keys[i].section);
}

/* ---------------------------------------------------------------------------
 * Reading
 */

/* inih's fgets-style reader; see the top of the file for what it adds. */
static char *read_line(char *buf, int size, void *arg)
{
	struct parse *p = arg;
	size_t len = 0, max = (size_t)size - 1;
	bool nul = false;
	int c = EOF;

	if (p->err_line)
		return NULL;
	while (len < max && (c = getc(p->file)) != EOF) {
		nul |= c == '\0';
		buf[len++] = (char)c;
		if (c == '\n')
			break;
	}
	if (ferror(p->file)) {
		p->read_err = errno ? errno : EIO;
		return NULL;
	}
	if (len == 0)
		return NULL;
	buf[len] = '\0';
	p->lineno++;

	size_t content = len - (buf[len - 1] == '\n');
	content -= content && buf[content - 1] == '\r';
	bool cut = len == max && buf[len - 1] != '\n' && getc(p->file) != EOF;
	if (cut || content > (size_t)size - 3) {
		fail(p, NULL, "line is longer than %d characters", size - 3);
		return NULL;
	}
	if (nul) {
		fail(p, NULL, "NUL byte in the line");
		return NULL;
	}

	char *start = buf;
	if (p->lineno == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
		start += 3;
	start += strspn(start, " \t\r\n\v\f");
	memmove(buf, start, strlen(start) + 1);

	char *end = buf[0] == '[' ? strchr(buf, ']') : NULL;
	if (end && !section_known(buf + 1, (size_t)(end - buf - 1))) {
		char known[128];
		sections_list(known, sizeof(known));
		fail(p, NULL, "[%.*s]: unknown section (known: %s)", (int)(end - buf - 1), buf + 1, known);
		return NULL;
	}
	return buf;
}

/* inih's handler: one key = value. Nonzero means fine. */
static int on_value(void *arg, const char *section, const char *name, const char *value)
{
	struct parse *p = arg;
	const struct config_key *key;

	if (!section[0]) {
		fail(p, NULL, "%s: key outside of any [section]", name);
		return 0;
	}
	key = key_find(section, name);
	if (!key) {
		fail(p, NULL, "[%s] %s: unknown key", section, name);
		return 0;
	}
	int *line = &p->key_lines[key - keys];
	if (*line) {
		fail(p, key, "already set on line %d", *line);
		return 0;
	}
	*line = p->lineno;
	return key->set(p, key, value) == 0;
}

/* ---------------------------------------------------------------------------
 * Rules across keys. A broken rule is reported at whichever of its keys
 * the file set last, as that is most likely the one just edited.
 */

static int key_line(const struct parse *p, const struct config_key *key)
{
	return p->key_lines[key - keys];
}

static const struct config_key *later(const struct parse *p, const struct config_key *a,
				      const struct config_key *b)
{
	return key_line(p, b) >= key_line(p, a) ? b : a;
}

static uint32_t u32_value(struct parse *p, const struct config_key *key)
{
	return *(uint32_t *)field(p, key);
}

/* lo <= hi, both uint32_t keys of one section. */
static int check_order(struct parse *p, const char *section, const char *lo_name, const char *hi_name)
{
	const struct config_key *lo = key_find(section, lo_name), *hi = key_find(section, hi_name);
	uint32_t lo_v = u32_value(p, lo), hi_v = u32_value(p, hi);

	if (lo_v <= hi_v)
		return 0;
	if (later(p, lo, hi) == hi)
		return fail_at(p, key_line(p, hi), hi, "%u is less than %s (%u)", (unsigned)hi_v, lo->name,
			       (unsigned)lo_v);
	return fail_at(p, key_line(p, lo), lo, "%u is more than %s (%u)", (unsigned)lo_v, hi->name,
		       (unsigned)hi_v);
}

static int check_settings(struct parse *p)
{
	const struct config_key *tcp = key_find("sip", "tcp_port"), *tls = key_find("sip", "tls_port");
	const struct config_key *key = key_find("sip", "tls_key");
	int err;

	if ((err = check_order(p, "registrar", "min_expires", "default_expires")) ||
	    (err = check_order(p, "registrar", "default_expires", "max_expires")))
		return err;
	if (p->cfg.tcp_port && p->cfg.tcp_port == p->cfg.tls_port) {
		const struct config_key *blame = later(p, tcp, tls);
		return fail_at(p, key_line(p, blame), blame, "%u is both tcp_port and tls_port",
			       (unsigned)p->cfg.tcp_port);
	}
	if (p->cfg.tls_key[0] && !p->cfg.tls_cert[0])
		return fail_at(p, key_line(p, key), key, "set without tls_cert");
	/* One even RTP port and the RTCP port after it, at least. */
	if (p->cfg.port_max < p->cfg.port_min + 1u) {
		const struct config_key *blame = later(p, key_find("media", "port_min"),
						       key_find("media", "port_max"));
		return fail_at(p, key_line(p, blame), blame,
			       "port_max (%u) must be above port_min (%u): RTP and RTCP need a pair",
			       (unsigned)p->cfg.port_max, (unsigned)p->cfg.port_min);
	}
	return 0;
}

int config_load(struct config *c, const char *path, char *errbuf, size_t errlen)
{
	struct parse p = { .path = path, .cfg = *c };
	int err = 0;

	p.file = fopen(path, "re");
	if (!p.file) {
		err = errno;
		snprintf(p.err, sizeof(p.err), "%s: %s", path, strerror(err));
		goto out;
	}
	int rc = ini_parse_stream(read_line, &p, on_value, &p);
	if (p.read_err) {
		err = p.read_err;
		snprintf(p.err, sizeof(p.err), "%s: %s", path, strerror(err));
		goto out;
	}
	/* inih reports the first line it could not parse, and goes on; our
	 * reader stopped at the first error we found. */
	if (rc > 0 && (!p.err_line || rc < p.err_line))
		fail_at(&p, rc, NULL, "syntax error: expected [section], key = value or a comment");
	if (!p.err_line)
		check_settings(&p);
	if (p.err_line) {
		err = EINVAL;
		goto out;
	}
	*c = p.cfg;
out:
	if (p.file)
		fclose(p.file);
	if (err && errbuf && errlen)
		snprintf(errbuf, errlen, "%s", p.err);
	return err;
}
