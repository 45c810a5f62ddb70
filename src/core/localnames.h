/*
 * localnames.h - the names this machine answers to: host name, "localhost",
 * and the numeric address of every local interface (IPv4 and IPv6, without
 * brackets, link-local scope excluded).
 *
 * The registrar treats these (plus configured domains) as local domains,
 * and rtcbridge-ctl hashes passwords for each of them as a realm.
 */
#ifndef RTCB_CORE_LOCALNAMES_H
#define RTCB_CORE_LOCALNAMES_H

#include <stddef.h>

#define LOCALNAMES_MAX 64
#define LOCALNAME_LEN 256

struct localnames {
	char names[LOCALNAMES_MAX][LOCALNAME_LEN];
	size_t count;
};

/* Collects host name, its FQDN when known, "localhost", and interface addresses. */
int localnames_collect(struct localnames *ln);
/* Adds a name unless already present (case-insensitive); ENOSPC when full. */
int localnames_add(struct localnames *ln, const char *name);

#endif
