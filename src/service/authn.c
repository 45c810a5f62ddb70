/*
 * authn.c - digest authentication glue between the SIP stack, the nonce
 * table and the user store.
 */
#include "service/authn.h"

#include "core/log.h"
#include "sip/auth.h"
#include "sip/stack.h"
#include "store/store.h"

#include <string.h>

/* SHA-256 goes beside MD5 unless the client is one known to refuse it. */
static bool offer_sha256(const struct server *srv, const struct sip_msg *req)
{
	const struct server_settings *cfg = &srv->settings;
	const struct sip_header *agent = req->first[SIP_HDR_USER_AGENT];

	if (!cfg->offer_sha256)
		return false;
	for (size_t i = 0; agent && i < cfg->md5_only_user_agent_count; i++)
		if (slice_contains_case(agent->value, cfg->md5_only_user_agents[i]))
			return false;
	return true;
}

static void challenge(struct server *srv, struct sip_strans *st, const struct sip_msg *req,
		      bool proxy, bool stale)
{
	struct mbuf headers;
	int err;

	mbuf_init(&headers);
	err = auth_challenge_print(srv->nonces, &headers,
				   proxy ? "Proxy-Authenticate" : "WWW-Authenticate",
				   server_realm(srv, req), stale, offer_sha256(srv, req));
	if (err) {
		log_warn("cannot challenge %.*s: %s (is the realm printable?)", SLICE_FMT(req->method),
			 strerror(err));
		sip_strans_reply(st, 500, "Cannot Build Challenge", NULL, SLICE_NULL, SLICE_NULL);
	} else {
		sip_strans_reply(st, proxy ? 407 : 401, NULL, headers.data, SLICE_NULL, SLICE_NULL);
	}
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

	char ha1[DIGEST_HEX_SIZE];
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
