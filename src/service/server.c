/*
 * server.c - what is "us": local domains, our own URIs, the realm.
 */
#include "service/server.h"

#include "sip/stack.h"
#include "sip/transport.h"

#include <strings.h>

static struct slice strip_brackets(struct slice host)
{
	if (host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']')
		return slice_make(host.p + 1, host.len - 2);
	return host;
}

bool server_is_local_domain(const struct server *srv, struct slice host)
{
	host = strip_brackets(host);
	if (host.len && host.p[host.len - 1] == '.')
		host.len--; /* FQDN with the root dot */
	for (size_t i = 0; i < srv->names.count; i++)
		if (slice_eq_cstr_case(host, srv->names.names[i]))
			return true;
	return false;
}

bool server_uri_is_us(const struct server *srv, const struct sip_uri *uri)
{
	if (uri->scheme_id != SIP_URI_SIP && uri->scheme_id != SIP_URI_SIPS)
		return false;
	if (!server_is_local_domain(srv, uri->host))
		return false;
	struct sip_transport *t = sip_stack_transport(srv->sip);
	uint16_t port = uri->port;
	if (!port) {
		struct slice transport;
		bool tls = uri->scheme_id == SIP_URI_SIPS ||
			   (sip_param_find(uri->params, "transport", &transport) &&
			    slice_eq_cstr_case(transport, "tls"));
		port = tls ? 5061 : 5060;
	}
	for (int type = 0; type < SIP_TRANSPORT_COUNT; type++)
		if (sip_transport_port(t, (enum sip_transport_type)type) == port)
			return true;
	return false;
}

struct slice server_realm(const struct server *srv, const struct sip_msg *req)
{
	if (srv->settings.realm[0])
		return slice_from_cstr(srv->settings.realm);
	if (req->method_id == SIP_METHOD_REGISTER)
		return strip_brackets(req->ruri.host);
	return strip_brackets(req->from.uri.host);
}
