/*
 * ports.c - next-fit allocation of RTP/RTCP port pairs over a flag array.
 */
#include "media/ports.h"

#include <errno.h>
#include <stdlib.h>

int media_ports_init(struct media_ports *p, uint16_t min, uint16_t max)
{
	uint32_t first = min + (min & 1u);
	if (first + 1 > max)
		return EINVAL;
	p->first = (uint16_t)first;
	p->count = (unsigned)((max - first + 1) / 2);
	p->next = 0;
	p->taken = 0;
	p->used = calloc(p->count, sizeof(*p->used));
	return p->used ? 0 : ENOMEM;
}

void media_ports_destroy(struct media_ports *p)
{
	free(p->used);
	p->used = NULL;
}

int media_ports_take(struct media_ports *p, uint16_t *rtp_port)
{
	if (p->taken == p->count)
		return ENOSPC;
	for (unsigned n = 0; n < p->count; n++) {
		unsigned i = (p->next + n) % p->count;
		if (p->used[i])
			continue;
		p->used[i] = true;
		p->taken++;
		p->next = (i + 1) % p->count;
		*rtp_port = (uint16_t)(p->first + 2 * i);
		return 0;
	}
	return ENOSPC;
}

void media_ports_give_back(struct media_ports *p, uint16_t rtp_port)
{
	unsigned i = (unsigned)(rtp_port - p->first) / 2;
	if (rtp_port < p->first || i >= p->count || !p->used[i])
		return;
	p->used[i] = false;
	p->taken--;
}
