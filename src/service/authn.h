/*
 * authn.h - digest authentication of requests against the user store:
 * 401 from the registrar, 407 from the proxy.
 *
 * An unknown user and a wrong password get the same answer ("403
 * Forbidden", with the same work done), so extensions cannot be
 * enumerated by comparing answers.
 */
#ifndef RTCB_APP_AUTHN_H
#define RTCB_APP_AUTHN_H

#include "service/server.h"

enum authn_outcome {
	AUTHN_OK,        /* credentials verified; *user set */
	AUTHN_ANSWERED,  /* a challenge or 403 has been sent */
};

/* Check the request's Authorization (proxy = false) or
 * Proxy-Authorization (proxy = true) and answer on st when not OK. */
enum authn_outcome authn_check(struct server *srv, struct sip_strans *st, const struct sip_msg *req,
			       bool proxy, struct slice *user);

#endif
