/*
 * ports.h - the media port range: which RTP/RTCP pairs are taken.
 *
 * A pair is an even RTP port and RTP + 1. Allocation is next-fit: the
 * search starts after the pair handed out last, so a freed pair is reused
 * as late as possible and stray packets of an old call rarely reach a new
 * one. Used by the control thread only; no locking.
 */
#ifndef RTCB_MEDIA_PORTS_H
#define RTCB_MEDIA_PORTS_H

#include <stdbool.h>
#include <stdint.h>

struct media_ports {
	uint16_t first;  /* first RTP port (even) */
	unsigned count;  /* pairs in the range */
	unsigned next;   /* index where the next search starts */
	unsigned taken;
	bool *used;      /* count entries */
};

/* EINVAL when the range holds no whole pair, ENOMEM. */
int media_ports_init(struct media_ports *p, uint16_t min, uint16_t max);
void media_ports_destroy(struct media_ports *p);
/* The next free pair's RTP port; ENOSPC when all are taken. */
int media_ports_take(struct media_ports *p, uint16_t *rtp_port);
void media_ports_give_back(struct media_ports *p, uint16_t rtp_port);

#endif
