/*
 * localnames.c - collecting the names this machine answers to.
 *
 * Sources, in order: the host name, its fully qualified name when
 * /etc/hosts gives one, "localhost", and the address of every interface.
 *
 * The FQDN is read from /etc/hosts directly rather than through
 * getaddrinfo(AI_CANONNAME): on a host without network the resolver may
 * wait for DNS timeouts at every start, and the daemon must start at once.
 * DNS-only names belong in the configuration ([sip] domains).
 *
 * IPv6 link-local addresses (fe80::/10) are left out: they are only
 * meaningful with a zone (fe80::1%eth0), which SIP URIs do not carry.
 * IPv6 literals are stored in inet_ntop's canonical form so that "::1" and
 * "0:0::1" are one entry; all comparisons ignore case.
 */
#include "core/localnames.h"

#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int localnames_add(struct localnames *ln, const char *name)
{
	char canonical[INET6_ADDRSTRLEN];
	struct in6_addr in6;

	if (!ln || !name || !name[0])
		return EINVAL;
	if (inet_pton(AF_INET6, name, &in6) == 1 &&
	    inet_ntop(AF_INET6, &in6, canonical, sizeof(canonical)))
		name = canonical;
	if (strlen(name) >= LOCALNAME_LEN)
		return ENAMETOOLONG;
	for (size_t i = 0; i < ln->count; i++)
		if (strcasecmp(ln->names[i], name) == 0)
			return 0;
	if (ln->count >= LOCALNAMES_MAX)
		return ENOSPC;
	memcpy(ln->names[ln->count++], name, strlen(name) + 1);
	return 0;
}

/* The canonical (first) name of the /etc/hosts line that lists `host`, if
 * it is longer than `host` itself (the usual "127.0.1.1 h.example.org h"). */
static void add_fqdn_from_hosts(struct localnames *ln, const char *host, int *first_err)
{
	char line[1024];
	FILE *f = fopen("/etc/hosts", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		if (!strtok_r(line, " \t\r\n", &save)) /* the address */
			continue;
		char *canonical = strtok_r(NULL, " \t\r\n", &save);
		bool listed = canonical && strcasecmp(canonical, host) == 0;
		for (char *alias; !listed && (alias = strtok_r(NULL, " \t\r\n", &save));)
			listed = strcasecmp(alias, host) == 0;
		if (!listed)
			continue;
		if (strchr(canonical, '.')) {
			int err = localnames_add(ln, canonical);
			if (err && !*first_err)
				*first_err = err;
		}
		break;
	}
	fclose(f);
}

static void add_interfaces(struct localnames *ln, int *first_err)
{
	struct ifaddrs *list = NULL;

	if (getifaddrs(&list)) {
		if (!*first_err)
			*first_err = errno;
		log_warn("cannot list interface addresses: %s", strerror(errno));
		return;
	}
	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		char text[INET6_ADDRSTRLEN];
		const struct sockaddr *sa = ifa->ifa_addr;
		if (!sa)
			continue;
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
			inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
			if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
				continue;
			inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
		} else {
			continue;
		}
		int err = localnames_add(ln, text);
		if (err && !*first_err)
			*first_err = err;
	}
	freeifaddrs(list);
}

/* Collects everything it can even after an error (a full list, no
 * getifaddrs) and returns the first error, 0 when all went in. */
int localnames_collect(struct localnames *ln)
{
	char host[LOCALNAME_LEN];
	int first_err = 0;

	if (!ln)
		return EINVAL;
	ln->count = 0;
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		if (host[0]) {
			first_err = localnames_add(ln, host);
			add_fqdn_from_hosts(ln, host, &first_err);
		}
	} else {
		first_err = errno;
		log_warn("gethostname: %s", strerror(errno));
	}
	int err = localnames_add(ln, "localhost");
	if (err && !first_err)
		first_err = err;
	add_interfaces(ln, &first_err);
	return first_err;
}
