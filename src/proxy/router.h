/*
 * router.h - entry point for every new request (see router.c for the
 * policy).
 */
#ifndef RTCB_PROXY_ROUTER_H
#define RTCB_PROXY_ROUTER_H

struct sip_stack;
struct sip_msg;

void router_handle_request(struct sip_stack *s, struct sip_msg *req, void *arg);

#endif
