/*
 * test_config.c - the configuration file: defaults, a complete valid file,
 * lists, the syntax inih lets through (comments, BOM, CRLF, indentation),
 * and for each kind of mistake: EINVAL, a message naming file, line and
 * key, and the caller's settings left as they were.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app/config.h"
#include "leakcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];
static char errbuf[512];

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rtcb-config.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/rtcbridge.conf", dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

/* Writes len bytes of text (NULs allowed) to the file and loads it over c. */
static int load_bytes(struct config *c, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	errbuf[0] = '\0';
	return config_load(c, path, errbuf, sizeof(errbuf));
}

static int load(struct config *c, const char *text)
{
	return load_bytes(c, text, strlen(text));
}

static void test_defaults(void **state)
{
	struct config c;
	(void)state;
	memset(&c, 0x55, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.log_level, "notice");
	assert_false(c.syslog);
	assert_string_equal(c.state_dir, "/var/lib/rtcbridge");
	assert_int_equal(c.listen_address_count, 2);
	assert_string_equal(c.listen_addresses[0], "0.0.0.0");
	assert_string_equal(c.listen_addresses[1], "::");
	assert_int_equal(c.udp_port, 5060);
	assert_int_equal(c.tcp_port, 5060);
	assert_int_equal(c.tls_port, 5061);
	assert_string_equal(c.advertised_address, "");
	assert_int_equal(c.domain_count, 0);
	assert_string_equal(c.realm, "");
	assert_string_equal(c.tls_cert, "");
	assert_string_equal(c.tls_key, "");
	assert_int_equal(c.max_message_size, 65535);
	assert_int_equal(c.tcp_idle_timeout, 600);
	assert_int_equal(c.min_expires, 60);
	assert_int_equal(c.max_expires, 7200);
	assert_int_equal(c.default_expires, 3600);
	assert_int_equal(c.max_contacts, 10);
	assert_int_equal(c.nonce_lifetime, 300);
	assert_true(c.offer_sha256);
	assert_int_equal(c.md5_only_user_agent_count, 1);
	assert_string_equal(c.md5_only_user_agents[0], "baresip");
	assert_int_equal(c.https_port, 8443);
	assert_int_equal(c.http_port, 0);
	assert_string_equal(c.web_root, RTCBRIDGE_WEB_ROOT);
	assert_int_equal(c.allowed_origin_count, 0);
	assert_int_equal(c.max_header_size, 8192);
	assert_int_equal(c.invite_timeout, 180);
	assert_string_equal(c.ng_listen, "");
	assert_int_equal(c.port_min, 20000);
	assert_int_equal(c.port_max, 30000);
	assert_string_equal(c.media_bind_address, "");
	assert_string_equal(c.media_advertised_address, "");
	assert_false(c.strict_source);
	assert_int_equal(c.media_workers, 0);
	assert_int_equal(c.media_timeout, 60);
}

static const char full_file[] =
	"# rtcbridge test configuration\n"
	"; both comment styles\n"
	"[general]\n"
	"log_level = debug\n"
	"syslog = yes\n"
	"state_dir = /tmp/rtcb state\n"
	"\n"
	"[sip]\n"
	"listen = 127.0.0.1, ::1\n"
	"udp_port = 5070\n"
	"tcp_port: 0\n"
	"tls_port = 5071\n"
	"advertised_address = sip.example.org\n"
	"domains = example.org, Example.NET ,192.0.2.1,2001:db8::1\n"
	"realm = Example Realm\n"
	"tls_cert = /etc/rtcbridge/cert.pem\n"
	"tls_key = /etc/rtcbridge/key.pem\n"
	"max_message_size = 4096\n"
	"tcp_idle_timeout = 30\n"
	"\n"
	"[registrar]\n"
	"min_expires = 10\n"
	"max_expires = 600\n"
	"default_expires = 300\n"
	"max_contacts = 3\n"
	"\n"
	"[auth]\n"
	"nonce_lifetime = 30 ; seconds\n"
	"offer_sha256 = no\n"
	"md5_only_user_agents = Old Phone/1.0, baresip\n"
	"\n"
	"[http]\n"
	"https_port = 9443\n"
	"http_port = 8080\n"
	"web_root = /srv/phone\n"
	"allowed_origins = https://phone.example.org, http://localhost:3000\n"
	"max_header_size = 4096\n"
	"\n"
	"[proxy]\n"
	"invite_timeout = 20\n"
	"\n"
	"[media]\n"
	"ng_listen = [::1]:2223\n"
	"port_min = 40000\n"
	"port_max = 40999\n"
	"bind_address = 192.0.2.10\n"
	"advertised_address = 198.51.100.7\n"
	"strict_source = yes\n"
	"workers = 3\n"
	"timeout = 30\n";

static void test_full_file(void **state)
{
	struct config c;
	(void)state;
	config_defaults(&c);
	if (load(&c, full_file))
		fail_msg("%s", errbuf);
	assert_string_equal(c.log_level, "debug");
	assert_true(c.syslog);
	assert_string_equal(c.state_dir, "/tmp/rtcb state");
	assert_int_equal(c.listen_address_count, 2);
	assert_string_equal(c.listen_addresses[0], "127.0.0.1");
	assert_string_equal(c.listen_addresses[1], "::1");
	assert_int_equal(c.udp_port, 5070);
	assert_int_equal(c.tcp_port, 0);
	assert_int_equal(c.tls_port, 5071);
	assert_string_equal(c.advertised_address, "sip.example.org");
	assert_int_equal(c.domain_count, 4);
	assert_string_equal(c.domains[0], "example.org");
	assert_string_equal(c.domains[1], "Example.NET");
	assert_string_equal(c.domains[2], "192.0.2.1");
	assert_string_equal(c.domains[3], "2001:db8::1");
	assert_string_equal(c.realm, "Example Realm");
	assert_string_equal(c.tls_cert, "/etc/rtcbridge/cert.pem");
	assert_string_equal(c.tls_key, "/etc/rtcbridge/key.pem");
	assert_int_equal(c.max_message_size, 4096);
	assert_int_equal(c.tcp_idle_timeout, 30);
	assert_int_equal(c.min_expires, 10);
	assert_int_equal(c.max_expires, 600);
	assert_int_equal(c.default_expires, 300);
	assert_int_equal(c.max_contacts, 3);
	assert_int_equal(c.nonce_lifetime, 30);
	assert_false(c.offer_sha256);
	assert_int_equal(c.md5_only_user_agent_count, 2);
	assert_string_equal(c.md5_only_user_agents[0], "Old Phone/1.0");
	assert_string_equal(c.md5_only_user_agents[1], "baresip");
	assert_int_equal(c.https_port, 9443);
	assert_int_equal(c.http_port, 8080);
	assert_string_equal(c.web_root, "/srv/phone");
	assert_int_equal(c.allowed_origin_count, 2);
	assert_string_equal(c.allowed_origins[0], "https://phone.example.org");
	assert_string_equal(c.allowed_origins[1], "http://localhost:3000");
	assert_int_equal(c.max_header_size, 4096);
	assert_int_equal(c.invite_timeout, 20);
	assert_string_equal(c.ng_listen, "[::1]:2223");
	assert_int_equal(c.port_min, 40000);
	assert_int_equal(c.port_max, 40999);
	assert_string_equal(c.media_bind_address, "192.0.2.10");
	assert_string_equal(c.media_advertised_address, "198.51.100.7");
	assert_true(c.strict_source);
	assert_int_equal(c.media_workers, 3);
	assert_int_equal(c.media_timeout, 30);
}

/* Keys the file does not mention keep the caller's values. */
static void test_partial_file_keeps_rest(void **state)
{
	struct config c, want;
	(void)state;
	config_defaults(&c);
	config_defaults(&want);
	want.udp_port = 5080;
	assert_int_equal(load(&c, "[sip]\nudp_port = 5080\n"), 0);
	assert_memory_equal(&c, &want, sizeof(c));

	config_defaults(&c);
	assert_int_equal(load(&c, ""), 0);
	config_defaults(&want);
	assert_memory_equal(&c, &want, sizeof(c));
}

static void test_booleans(void **state)
{
	static const struct {
		const char *text;
		bool value;
	} cases[] = { { "yes", true },	{ "YES", true },  { "true", true },   { "True", true },
		      { "1", true },	{ "no", false },  { "No", false },    { "false", false },
		      { "FALSE", false }, { "0", false } };
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[64];
		struct config c;
		config_defaults(&c);
		c.syslog = !cases[i].value;
		snprintf(text, sizeof(text), "[general]\nsyslog = %s\n", cases[i].text);
		if (load(&c, text))
			fail_msg("%s: %s", cases[i].text, errbuf);
		assert_int_equal(c.syslog, cases[i].value);
	}
}

static void test_lists(void **state)
{
	struct config c;
	char text[1024];
	(void)state;

	/* the file's list replaces the default one */
	config_defaults(&c);
	assert_int_equal(load(&c, "[sip]\nlisten = ::\n"), 0);
	assert_int_equal(c.listen_address_count, 1);
	assert_string_equal(c.listen_addresses[0], "::");

	/* an empty value empties a list that may be empty */
	config_defaults(&c);
	c.domain_count = 1;
	snprintf(c.domains[0], sizeof(c.domains[0]), "old.example");
	assert_int_equal(load(&c, "[sip]\ndomains =\n"), 0);
	assert_int_equal(c.domain_count, 0);

	/* CONFIG_MAX_LIST entries fit */
	config_defaults(&c);
	int n = snprintf(text, sizeof(text), "[sip]\ndomains = ");
	for (int i = 0; i < CONFIG_MAX_LIST; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%sd%d.eu", i ? "," : "", i);
	snprintf(text + n, sizeof(text) - (size_t)n, "\n");
	if (load(&c, text))
		fail_msg("%s", errbuf);
	assert_int_equal(c.domain_count, CONFIG_MAX_LIST);
	assert_string_equal(c.domains[CONFIG_MAX_LIST - 1], "d15.eu");
}

/* UTF-8 BOM, CRLF line ends, indented keys, blank lines with spaces. */
static void test_syntax_variants(void **state)
{
	struct config c;
	(void)state;
	config_defaults(&c);
	if (load(&c, "\xEF\xBB\xBF[sip]\r\n  udp_port = 5070\r\n\t tcp_port=5072\r\n   \r\n"
		     "  [proxy]\r\n    invite_timeout = 40 ; comment\r\n"))
		fail_msg("%s", errbuf);
	assert_int_equal(c.udp_port, 5070);
	assert_int_equal(c.tcp_port, 5072);
	assert_int_equal(c.invite_timeout, 40);
}

/* A line of exactly the longest length inih can take, and one more. */
static void test_line_length_limit(void **state)
{
	struct config c;
	char text[512];
	(void)state;
	const char *head = "[general]\nstate_dir = ";
	size_t prefix = strlen("state_dir = ");
	size_t longest = 197;

	snprintf(text, sizeof(text), "%s%0*d\n", head, (int)(longest - prefix), 0);
	config_defaults(&c);
	if (load(&c, text))
		fail_msg("%s", errbuf);
	assert_int_equal(strlen(c.state_dir), longest - prefix);

	snprintf(text, sizeof(text), "%s%0*d\n", head, (int)(longest - prefix + 1), 0);
	config_defaults(&c);
	assert_int_equal(load(&c, text), EINVAL);
	assert_non_null(strstr(errbuf, ":2: line is longer than 197 characters"));

	/* far longer: the tail must not be read as a line of its own */
	snprintf(text, sizeof(text), "%s%0*d udp_port = 7\n", head, 190, 0);
	config_defaults(&c);
	assert_int_equal(load(&c, text), EINVAL);
	assert_non_null(strstr(errbuf, ":2: line is longer"));
}

struct bad_case {
	const char *text;
	const char *expect; /* after "<path>:" */
};

static const struct bad_case bad_cases[] = {
	{ "[sip]\nudp_port = abc\n", "2: [sip] udp_port: \"abc\" is not a port number (0-65535)" },
	{ "[sip]\n\nudp_port = 65536\n", "3: [sip] udp_port: \"65536\" is not a port number (0-65535)" },
	{ "[sip]\ntcp_port = -1\n", "2: [sip] tcp_port: \"-1\" is not a port number" },
	{ "[sip]\ntls_port = +5061\n", "2: [sip] tls_port: \"+5061\" is not a port number" },
	{ "[sip]\nudp_port = 0x10\n", "2: [sip] udp_port: \"0x10\" is not a port number" },
	{ "[sip]\nudp_port = 5060 # comment\n", "2: [sip] udp_port: \"5060 # comment\" is not" },
	{ "[sip]\nudp_port = 99999999999999999999\n", "2: [sip] udp_port: \"99999999999999999999\" is not" },
	{ "[sip]\nudp_port =\n", "2: [sip] udp_port: \"\" is not a port number" },
	{ "[sip]\nmax_message_size = 100\n", "2: [sip] max_message_size: \"100\" is not a size in bytes (1024-16777216)" },
	{ "[registrar]\nmax_contacts = 0\n", "2: [registrar] max_contacts: \"0\" is not a number of contacts (1-1000)" },
	{ "[http]\nallowed_origins = phone.example.org\n",
	  "2: [http] allowed_origins: \"phone.example.org\" is not an origin such as https://phone.example.org:8443" },
	{ "[auth]\nnonce_lifetime = 1.5\n", "2: [auth] nonce_lifetime: \"1.5\" is not a number of seconds (1-86400)" },
	{ "[proxy]\ninvite_timeout = 0\n", "2: [proxy] invite_timeout: \"0\" is not a number of seconds" },
	{ "[general]\nsyslog = maybe\n", "2: [general] syslog: \"maybe\" is not a boolean (yes, no, true, false, 1, 0)" },
	{ "[general]\nlog_level = loud\n", "2: [general] log_level: \"loud\" is not a log level" },
	{ "[general]\nlog_level = notice-and-more-x\n",
	  "2: [general] log_level: value is 17 characters long; at most 15 fit" },
	{ "[general]\nstate_dir =\n", "2: [general] state_dir: must not be empty" },
	{ "[sip]\nrealm = say \"hi\"\n", "2: [sip] realm: \"say \"hi\"\" is not a realm" },
	{ "[sip]\nadvertised_address = -bad.example\n", "2: [sip] advertised_address: \"-bad.example\" is not" },
	{ "[sip]\nadvertised_address = a..b\n", "2: [sip] advertised_address: \"a..b\" is not" },
	{ "[sip]\nadvertised_address = [::1]\n", "2: [sip] advertised_address: \"[::1]\" is not" },
	/* sections and keys */
	{ "[general]\nsyslog = no\n[bogus]\n", "3: [bogus]: unknown section (known: general, sip, registrar, auth, http, proxy, media)" },
	{ "[Sip]\nudp_port = 1\n", "1: [Sip]: unknown section" },
	{ "[sip]\nudp_prot = 5060\n", "2: [sip] udp_prot: unknown key" },
	{ "[registrar]\nudp_port = 5060\n", "2: [registrar] udp_port: unknown key" },
	{ "udp_port = 5060\n", "1: udp_port: key outside of any [section]" },
	{ "[sip]\nudp_port = 1\n\nudp_port = 2\n", "4: [sip] udp_port: already set on line 2" },
	{ "[sip]\nudp_port = 1\n[general]\n[sip]\nudp_port = 2\n", "5: [sip] udp_port: already set on line 2" },
	/* syntax */
	{ "[sip]\nudp_port\n", "2: syntax error" },
	{ "[sip\nudp_port = 1\n", "1: syntax error" },
	{ "[sip]\nlisten = ::1\nbroken\nudp_port = abc\n", "3: syntax error" },
	{ "[sip]\ndomains = a.example\n  b.example\n", "3: syntax error" },
	{ "[sip]\nudp_port = 5060\n\x01garbage\n", "3: syntax error" },
	/* lists */
	{ "[sip]\nlisten = 127.0.0.1,,::1\n", "2: [sip] listen: empty entry in the list" },
	{ "[sip]\nlisten = 127.0.0.1,\n", "2: [sip] listen: empty entry in the list" },
	{ "[sip]\nlisten = ,::1\n", "2: [sip] listen: empty entry in the list" },
	{ "[sip]\nlisten =\n", "2: [sip] listen: needs at least 1 entry" },
	{ "[sip]\nlisten = localhost\n", "2: [sip] listen: \"localhost\" is not an IPv4 or IPv6 address" },
	{ "[sip]\nlisten = [::1]\n", "2: [sip] listen: \"[::1]\" is not an IPv4 or IPv6 address" },
	{ "[sip]\nlisten = ::1, 0:0::1, ::1\n", "2: [sip] listen: \"::1\" is listed twice" },
	{ "[sip]\ndomains = a.example, A.EXAMPLE\n", "2: [sip] domains: \"A.EXAMPLE\" is listed twice" },
	{ "[sip]\ndomains = a b.example\n", "2: [sip] domains: \"a b.example\" is not a domain name" },
	{ "[sip]\ndomains = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n",
	  "2: [sip] domains: more than 16 entries" },
	{ "[sip]\nlisten = ::1, 0123456789012345678901234567890123456789012345678901234567890123\n",
	  "2: [sip] listen: \"0123456789012345678901234567890123456789012345678901234567890123\" is longer than 63 "
	  "characters" },
	/* rules across keys */
	{ "[registrar]\nmin_expires = 4000\n", "2: [registrar] min_expires: 4000 is more than default_expires (3600)" },
	{ "[registrar]\nmax_expires = 100\n", "2: [registrar] max_expires: 100 is less than default_expires (3600)" },
	{ "[registrar]\ndefault_expires = 30\n",
	  "2: [registrar] default_expires: 30 is less than min_expires (60)" },
	{ "[registrar]\nmin_expires = 100\nmax_expires = 90\ndefault_expires = 95\n",
	  "4: [registrar] default_expires: 95 is less than min_expires (100)" },
	{ "[sip]\ntls_port = 5060\n", "2: [sip] tls_port: 5060 is both tcp_port and tls_port" },
	{ "[sip]\ntls_key = /k.pem\n", "2: [sip] tls_key: set without tls_cert" },
	{ "[media]\nng_listen = ::1:2223\n",
	  "2: [media] ng_listen: \"::1:2223\" is not an address and port (127.0.0.1:2223, [::1]:2223)" },
	{ "[media]\nport_min = 30000\n",
	  "2: [media] port_min: port_max (30000) must be above port_min (30000): RTP and RTCP need a pair" },
};

static void test_bad_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct config c, before;
		char want[600];
		config_defaults(&c);
		before = c;
		int rc = load(&c, bad_cases[i].text);
		if (rc != EINVAL)
			fail_msg("case %zu: rc %d for \"%s\"", i, rc, bad_cases[i].text);
		snprintf(want, sizeof(want), "%s:%s", path, bad_cases[i].expect);
		if (strncmp(errbuf, want, strlen(want)) != 0)
			fail_msg("case %zu:\n got  %s\n want %s...", i, errbuf, want);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void test_nul_byte(void **state)
{
	static const char text[] = "[sip]\nudp_port = 50\0" "60\n";
	struct config c;
	(void)state;
	config_defaults(&c);
	assert_int_equal(load_bytes(&c, text, sizeof(text) - 1), EINVAL);
	assert_non_null(strstr(errbuf, ":2: NUL byte in the line"));
	assert_int_equal(c.udp_port, 5060);
}

static void test_file_errors(void **state)
{
	struct config c;
	char missing[160];
	(void)state;
	config_defaults(&c);
	snprintf(missing, sizeof(missing), "%s/missing.conf", dir);
	assert_int_equal(config_load(&c, missing, errbuf, sizeof(errbuf)), ENOENT);
	assert_non_null(strstr(errbuf, missing));
	assert_non_null(strstr(errbuf, strerror(ENOENT)));

	assert_int_equal(config_load(&c, dir, errbuf, sizeof(errbuf)), EISDIR);
	assert_non_null(strstr(errbuf, dir));

	/* no room for a message is not a crash */
	assert_int_equal(config_load(&c, missing, NULL, 0), ENOENT);
	char tiny[8];
	assert_int_equal(config_load(&c, missing, tiny, sizeof(tiny)), ENOENT);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		leak_test(test_defaults, NULL),
		leak_test(test_full_file, NULL),
		leak_test(test_partial_file_keeps_rest, NULL),
		leak_test(test_booleans, NULL),
		leak_test(test_lists, NULL),
		leak_test(test_syntax_variants, NULL),
		leak_test(test_line_length_limit, NULL),
		leak_test(test_bad_values, NULL),
		leak_test(test_nul_byte, NULL),
		leak_test(test_file_errors, NULL),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
