/*
 * registrar.h - REGISTER handling (RFC 3261 10.3).
 */
#ifndef RTCB_REGISTRAR_REGISTRAR_H
#define RTCB_REGISTRAR_REGISTRAR_H

struct server;
struct sip_strans;
struct sip_msg;

/* Answer a REGISTER addressed to one of our domains on its transaction. */
void registrar_handle(struct server *srv, struct sip_strans *st, const struct sip_msg *req);

#endif
