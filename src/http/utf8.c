/*
 * utf8.c - UTF-8 validation for WebSocket text (RFC 6455 8.1, RFC 3629 4).
 *
 * Follows the well-formed byte sequences table of Unicode 3.9 (table 3-7):
 * the second byte's range depends on the first, which is what excludes
 * overlong forms (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code
 * points past U+10FFFF (F4 90..BF, F5..FF).
 */
#include "http/ws.h"

bool ws_utf8_valid(struct slice s)
{
	const unsigned char *p = (const unsigned char *)s.p, *end = p + s.len;
	while (p < end) {
		unsigned char c = *p++;
		if (c < 0x80)
			continue;
		unsigned char low = 0x80, high = 0xbf;
		size_t more;
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				low = 0xa0;
			else if (c == 0xed)
				high = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				low = 0x90;
			else if (c == 0xf4)
				high = 0x8f;
		} else {
			return false;
		}
		if ((size_t)(end - p) < more || p[0] < low || p[0] > high)
			return false;
		for (size_t i = 1; i < more; i++)
			if (p[i] < 0x80 || p[i] > 0xbf)
				return false;
		p += more;
	}
	return true;
}
