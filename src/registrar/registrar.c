/*
 * registrar.c - REGISTER processing (RFC 3261 10.3) on top of the location
 * service.
 *
 * Order of checks follows the RFC: Require, authentication (the
 * authenticated user must own the To AOR), Contact syntax and the wildcard
 * rule, expiry bounds (423 with Min-Expires), Call-ID/CSeq ordering, then
 * the update, and a 200 that lists every current binding with its
 * remaining lifetime.
 */
#include "registrar/registrar.h"

#include "service/authn.h"
#include "service/server.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mbuf.h"
#include "registrar/location.h"
#include "sip/stack.h"

#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CONTACTS_PER_REQUEST 32

struct contact_entry {
	struct sip_addr addr;
	uint32_t expires;
	int q;
};

/* q-value "0.5" -> 500; invalid -> -1. */
static int parse_q(struct slice v)
{
	if (v.len == 0 || v.len > 5)
		return -1;
	if (v.p[0] == '1') {
		for (size_t i = 1; i < v.len; i++)
			if (v.p[i] != (i == 1 ? '.' : '0'))
				return -1;
		return 1000;
	}
	if (v.p[0] != '0')
		return -1;
	if (v.len == 1)
		return 0;
	if (v.p[1] != '.')
		return -1;
	int q = 0, scale = 100;
	for (size_t i = 2; i < v.len; i++, scale /= 10) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		q += (v.p[i] - '0') * scale;
	}
	return q;
}

/* outbound: the REGISTER set up outbound flows (RFC 5626 6: the registrar
 * then says it applied outbound with Require: outbound). */
static void reply_ok(struct server *srv, struct sip_strans *st, const struct sip_msg *req,
		     struct slice aor, bool outbound)
{
	struct mbuf headers;
	mbuf_init(&headers);
	if (outbound)
		mbuf_append_str(&headers, "Require: outbound\r\n");
	struct location_record *r = location_find(srv->location, aor);
	int64_t now = loop_wall_time();
	if (r) {
		LIST_FOREACH(&r->bindings, it) {
			struct location_binding *b = LIST_ENTRY(it, struct location_binding, link);
			int64_t left = b->expires_at - now;
			mbuf_printf(&headers, "Contact: <%s>;expires=%lld", b->contact,
				    (long long)(left > 0 ? left : 0));
			if (b->q != 1000)
				mbuf_printf(&headers, ";q=%d.%03d", b->q / 1000, b->q % 1000);
			if (b->instance)
				mbuf_printf(&headers, ";+sip.instance=%s", b->instance);
			if (b->reg_id)
				mbuf_printf(&headers, ";reg-id=%d", b->reg_id);
			mbuf_append_str(&headers, "\r\n");
		}
	}
	struct sip_header *path = req->first[SIP_HDR_PATH];
	for (; path; path = sip_msg_header_next(req, path))
		mbuf_printf(&headers, "Path: %.*s\r\n", SLICE_FMT(path->value));
	char date[64];
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	mbuf_printf(&headers, "Date: %s\r\n", date);
	sip_strans_reply(st, 200, NULL, mbuf_failed(&headers) ? NULL : headers.data, SLICE_NULL,
			 SLICE_NULL);
	mbuf_free(&headers);
}

static void reply_too_brief(struct server *srv, struct sip_strans *st)
{
	char header[64];
	snprintf(header, sizeof(header), "Min-Expires: %u\r\n", srv->settings.min_expires);
	sip_strans_reply(st, 423, NULL, header, SLICE_NULL, SLICE_NULL);
}

/* The user part of the To AOR, unescaped; false if unusable. */
static bool aor_of(const struct sip_msg *req, char *buf, size_t size, struct slice *aor)
{
	const struct sip_uri *to = &req->to.uri;
	if (to->scheme_id != SIP_URI_SIP && to->scheme_id != SIP_URI_SIPS)
		return false;
	long n = sip_unescape(to->user, buf, size);
	if (n <= 0 || memchr(buf, '\0', (size_t)n))
		return false;
	*aor = slice_make(buf, (size_t)n);
	return true;
}

void registrar_handle(struct server *srv, struct sip_strans *st, const struct sip_msg *req)
{
	const struct server_settings *cfg = &srv->settings;
	char aor_buf[256];
	struct slice aor, user;
	struct contact_entry contacts[MAX_CONTACTS_PER_REQUEST];
	size_t count = 0;
	bool wildcard = false;

	if (sip_strans_refuse_extensions(st, SIP_HDR_REQUIRE))
		return;
	if (!aor_of(req, aor_buf, sizeof(aor_buf), &aor)) {
		/* Authenticate first so this answer says nothing about users. */
		if (authn_check(srv, st, req, false, &user) == AUTHN_OK)
			sip_strans_reply(st, 404, "Not Found", NULL, SLICE_NULL, SLICE_NULL);
		return;
	}
	if (authn_check(srv, st, req, false, &user) != AUTHN_OK)
		return;
	if (!slice_eq(user, aor)) {
		log_notice("user '%.*s' tried to register '%.*s'", SLICE_FMT(user), SLICE_FMT(aor));
		sip_strans_reply(st, 403, "Forbidden", NULL, SLICE_NULL, SLICE_NULL);
		return;
	}

	uint32_t default_expires = cfg->default_expires;
	if (req->expires >= 0)
		default_expires = (uint32_t)req->expires;

	struct sip_value_iter it;
	struct slice value;
	sip_value_iter_init(&it, req, SIP_HDR_CONTACT);
	while (sip_value_iter_next(&it, &value)) {
		if (count == MAX_CONTACTS_PER_REQUEST) {
			sip_strans_reply(st, 403, "Too many contacts", NULL, SLICE_NULL, SLICE_NULL);
			return;
		}
		struct contact_entry *c = &contacts[count];
		if (sip_addr_parse(value, &c->addr)) {
			sip_strans_reply(st, 400, "Malformed Contact header", NULL, SLICE_NULL, SLICE_NULL);
			return;
		}
		if (c->addr.wildcard) {
			wildcard = true;
			count++;
			continue;
		}
		if (c->addr.uri.scheme_id == SIP_URI_OTHER) {
			sip_strans_reply(st, 416, "Unsupported Contact URI scheme", NULL, SLICE_NULL, SLICE_NULL);
			return;
		}
		struct slice v;
		uint32_t exp = default_expires;
		if (sip_param_find(c->addr.params, "expires", &v)) {
			uint32_t parsed;
			int rc = slice_to_u32(v, &parsed);
			if (rc == 0)
				exp = parsed;
			else if (rc == ERANGE)
				exp = cfg->max_expires;
		}
		c->q = 1000;
		if (sip_param_find(c->addr.params, "q", &v) && (c->q = parse_q(v)) < 0) {
			sip_strans_reply(st, 400, "Bad q-value in Contact", NULL, SLICE_NULL, SLICE_NULL);
			return;
		}
		if (exp > 0 && exp < cfg->min_expires) {
			reply_too_brief(srv, st);
			return;
		}
		c->expires = exp > cfg->max_expires ? cfg->max_expires : exp;
		count++;
	}

	if (wildcard) {
		if (count != 1 || req->expires != 0) {
			sip_strans_reply(st, 400, "Wildcard Contact needs Expires: 0 and no other Contact",
					 NULL, SLICE_NULL, SLICE_NULL);
			return;
		}
		location_remove(srv->location, aor, SLICE_NULL);
		reply_ok(srv, st, req, aor, false);
		return;
	}

	/* Out-of-order refreshes from the same Call-ID are refused (10.3 step 7). */
	struct location_record *r = location_find(srv->location, aor);
	size_t new_bindings = 0;
	for (size_t i = 0; i < count; i++) {
		struct location_binding *b = location_find_binding(r, contacts[i].addr.uri.raw);
		if (b && slice_eq(slice_from_cstr(b->call_id), req->call_id) && req->cseq <= b->cseq) {
			sip_strans_reply(st, 400, "CSeq out of order", NULL, SLICE_NULL, SLICE_NULL);
			return;
		}
		if (!b && contacts[i].expires)
			new_bindings++;
	}
	if (location_binding_count(r) + new_bindings > cfg->max_contacts) {
		sip_strans_reply(st, 503, "Too many registered contacts", NULL, SLICE_NULL, SLICE_NULL);
		return;
	}

	struct slice user_agent = req->first[SIP_HDR_USER_AGENT] ? req->first[SIP_HDR_USER_AGENT]->value
								  : SLICE_NULL;
	/* Every Path header, in order, becomes the route set toward the
	 * contact (RFC 3327 5.3): one Route value list. */
	struct mbuf path;
	mbuf_init(&path);
	for (const struct sip_header *h = req->first[SIP_HDR_PATH]; h; h = sip_msg_header_next(req, h)) {
		mbuf_append_str(&path, path.len ? ", " : "");
		mbuf_append_slice(&path, h->value);
	}
	if (mbuf_failed(&path)) {
		mbuf_free(&path);
		sip_strans_reply(st, 500, "Out of memory", NULL, SLICE_NULL, SLICE_NULL);
		return;
	}
	bool outbound = false;
	for (size_t i = 0; i < count; i++) {
		struct slice instance = SLICE_NULL, reg_id = SLICE_NULL;
		uint32_t reg_id_value = 0;
		sip_param_find(contacts[i].addr.params, "+sip.instance", &instance);
		if (sip_param_find(contacts[i].addr.params, "reg-id", &reg_id))
			slice_to_u32(reg_id, &reg_id_value);
		struct location_binding_update u = {
			.contact = contacts[i].addr.uri.raw,
			.call_id = req->call_id,
			.cseq = req->cseq,
			.expires = contacts[i].expires,
			.q = contacts[i].q,
			.src = &req->src,
			.instance = instance,
			.reg_id = (int)reg_id_value,
			.path = mbuf_slice(&path),
			.user_agent = user_agent,
		};
		if (instance.len && reg_id_value && contacts[i].expires)
			outbound = true;
		if (location_update(srv->location, aor, &u)) {
			mbuf_free(&path);
			sip_strans_reply(st, 500, "Out of memory", NULL, SLICE_NULL, SLICE_NULL);
			return;
		}
	}
	mbuf_free(&path);
	if (count)
		log_info("registered %.*s: %zu contact(s) from %s", SLICE_FMT(aor), count,
			 sip_transport_name(req->src.transport));
	reply_ok(srv, st, req, aor, outbound);
}
