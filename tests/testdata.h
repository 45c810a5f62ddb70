/*
 * testdata.h - locating ../shared/testdata (RFC 4475/5118 torture files)
 * from unit tests. Tests run from the repository top; RTCBRIDGE_SHARED
 * overrides the location of shared/.
 */
#ifndef RTCB_TESTS_TESTDATA_H
#define RTCB_TESTS_TESTDATA_H

#include <stdio.h>
#include <stdlib.h>

/* Read a torture file ("rfc4475/valid/wsinv.dat") into buf; returns length or -1. */
static inline long testdata_read(const char *rel, char *buf, size_t size)
{
	const char *shared = getenv("RTCBRIDGE_SHARED");
	char path[1024];
	snprintf(path, sizeof(path), "%s/testdata/%s", shared ? shared : "../shared", rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, size, f);
	fclose(f);
	return (long)n;
}

#endif
