/*
 * authn.c - digest authentication glue between the SIP stack, the nonce
 * table and the user store.
 */
#include "app/authn.h"

#include "core/log.h"
#include "sip/auth.h"
#include "sip/stack.h"
#include "store/store.h"

static void challenge(struct server *srv, struct sip_strans *st, const struct sip_msg *req,
		      bool proxy, bool stale)
{
	struct mbuf headers;
	mbuf_init(&headers);
	auth_challenge_print(srv->nonces, &headers, proxy ? "Proxy-Authenticate" : "WWW-Authenticate",
			     server_realm(srv, req), stale);
	sip_strans_reply(st, proxy ? 407 : 401, NULL, mbuf_failed(&headers) ? NULL : headers.data,
			 SLICE_NULL, SLICE_NULL);
	mbuf_free(&headers);
}

enum authn_outcome authn_check(struct server *srv, struct sip_strans *st, const struct sip_msg *req,
			       bool proxy, struct slice *user)
{
	struct slice realm = server_realm(srv, req);
	struct auth_credentials creds;
	bool have = false;
	enum sip_header_id id = proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION;
	/* Several credentials may be present (other realms, other schemes):
	 * use the Digest one for our realm. */
	for (const struct sip_header *h = req->first[id]; h; h = sip_msg_header_next(req, h)) {
		if (auth_credentials_parse(h->value, &creds) == 0 && slice_eq_case(creds.realm, realm)) {
			have = true;
			break;
		}
	}
	if (!have) {
		challenge(srv, st, req, proxy, false);
		return AUTHN_ANSWERED;
	}

	char ha1[AUTH_HEX_SIZE];
	struct slice method = req->method;
	if (store_user_ha1(srv->store, creds.username, realm, creds.algorithm_id, ha1) != 0) {
		auth_verify_dummy(&creds, method);
		log_notice("authentication failed for unknown user '%.*s' from %s", SLICE_FMT(creds.username),
			   sip_transport_name(req->src.transport));
		sip_strans_reply(st, 403, "Forbidden", NULL, SLICE_NULL, SLICE_NULL);
		return AUTHN_ANSWERED;
	}
	switch (auth_verify(srv->nonces, &creds, method, ha1)) {
	case AUTH_OK:
		*user = creds.username;
		return AUTHN_OK;
	case AUTH_STALE:
		challenge(srv, st, req, proxy, true);
		return AUTHN_ANSWERED;
	case AUTH_FAILED:
	default:
		log_notice("authentication failed for user '%.*s'", SLICE_FMT(creds.username));
		sip_strans_reply(st, 403, "Forbidden", NULL, SLICE_NULL, SLICE_NULL);
		return AUTHN_ANSWERED;
	}
}
