/*
 * names.c - the fixed vocabularies of SIP: methods, header names (long and
 * compact forms), transport names and default reason phrases.
 *
 * Lookups are case-sensitive for methods (RFC 3261 7.1: method names are
 * case-sensitive) and case-insensitive for header names.
 */
#include "sip/msg.h"

#include <errno.h>
#include <string.h>

static const char *const method_names[] = {
	[SIP_METHOD_UNKNOWN] = "", [SIP_METHOD_INVITE] = "INVITE",
	[SIP_METHOD_ACK] = "ACK", [SIP_METHOD_BYE] = "BYE",
	[SIP_METHOD_CANCEL] = "CANCEL", [SIP_METHOD_REGISTER] = "REGISTER",
	[SIP_METHOD_OPTIONS] = "OPTIONS", [SIP_METHOD_MESSAGE] = "MESSAGE",
	[SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE", [SIP_METHOD_NOTIFY] = "NOTIFY",
	[SIP_METHOD_REFER] = "REFER", [SIP_METHOD_INFO] = "INFO",
	[SIP_METHOD_UPDATE] = "UPDATE", [SIP_METHOD_PRACK] = "PRACK",
	[SIP_METHOD_PUBLISH] = "PUBLISH",
};

enum sip_method sip_method_of(struct slice name)
{
	for (size_t i = 1; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (slice_eq_cstr(name, method_names[i]))
			return (enum sip_method)i;
	return SIP_METHOD_UNKNOWN;
}

const char *sip_method_name(enum sip_method method)
{
	return method_names[method];
}

struct header_name {
	const char *name;
	char compact;
};

static const struct header_name header_names[SIP_HDR_COUNT] = {
	[SIP_HDR_OTHER] = { "", 0 },
	[SIP_HDR_VIA] = { "Via", 'v' },
	[SIP_HDR_FROM] = { "From", 'f' },
	[SIP_HDR_TO] = { "To", 't' },
	[SIP_HDR_CALL_ID] = { "Call-ID", 'i' },
	[SIP_HDR_CSEQ] = { "CSeq", 0 },
	[SIP_HDR_CONTACT] = { "Contact", 'm' },
	[SIP_HDR_MAX_FORWARDS] = { "Max-Forwards", 0 },
	[SIP_HDR_CONTENT_LENGTH] = { "Content-Length", 'l' },
	[SIP_HDR_CONTENT_TYPE] = { "Content-Type", 'c' },
	[SIP_HDR_ROUTE] = { "Route", 0 },
	[SIP_HDR_RECORD_ROUTE] = { "Record-Route", 0 },
	[SIP_HDR_EXPIRES] = { "Expires", 0 },
	[SIP_HDR_MIN_EXPIRES] = { "Min-Expires", 0 },
	[SIP_HDR_AUTHORIZATION] = { "Authorization", 0 },
	[SIP_HDR_PROXY_AUTHORIZATION] = { "Proxy-Authorization", 0 },
	[SIP_HDR_WWW_AUTHENTICATE] = { "WWW-Authenticate", 0 },
	[SIP_HDR_PROXY_AUTHENTICATE] = { "Proxy-Authenticate", 0 },
	[SIP_HDR_REQUIRE] = { "Require", 0 },
	[SIP_HDR_PROXY_REQUIRE] = { "Proxy-Require", 0 },
	[SIP_HDR_SUPPORTED] = { "Supported", 'k' },
	[SIP_HDR_UNSUPPORTED] = { "Unsupported", 0 },
	[SIP_HDR_ALLOW] = { "Allow", 0 },
	[SIP_HDR_ACCEPT] = { "Accept", 0 },
	[SIP_HDR_USER_AGENT] = { "User-Agent", 0 },
	[SIP_HDR_SERVER] = { "Server", 0 },
	[SIP_HDR_PATH] = { "Path", 0 },
	[SIP_HDR_EVENT] = { "Event", 'o' },
	[SIP_HDR_SUBJECT] = { "Subject", 's' },
	[SIP_HDR_CONTENT_ENCODING] = { "Content-Encoding", 'e' },
	[SIP_HDR_REFER_TO] = { "Refer-To", 'r' },
	[SIP_HDR_DATE] = { "Date", 0 },
};

enum sip_header_id sip_header_id_of(struct slice name)
{
	if (name.len == 1) {
		char c = (char)(name.p[0] | 0x20);
		for (int i = 1; i < SIP_HDR_COUNT; i++)
			if (header_names[i].compact == c)
				return (enum sip_header_id)i;
		return SIP_HDR_OTHER;
	}
	for (int i = 1; i < SIP_HDR_COUNT; i++)
		if (slice_eq_cstr_case(name, header_names[i].name))
			return (enum sip_header_id)i;
	return SIP_HDR_OTHER;
}

const char *sip_header_name(enum sip_header_id id)
{
	return header_names[id].name;
}

static const char *const transport_names[SIP_TRANSPORT_COUNT] = {
	[SIP_TRANSPORT_UDP] = "UDP", [SIP_TRANSPORT_TCP] = "TCP",
	[SIP_TRANSPORT_TLS] = "TLS", [SIP_TRANSPORT_WS] = "WS",
	[SIP_TRANSPORT_WSS] = "WSS",
};

const char *sip_transport_name(enum sip_transport_type t)
{
	return transport_names[t];
}

int sip_transport_parse(struct slice name, enum sip_transport_type *t)
{
	for (int i = 0; i < SIP_TRANSPORT_COUNT; i++) {
		if (slice_eq_cstr_case(name, transport_names[i])) {
			*t = (enum sip_transport_type)i;
			return 0;
		}
	}
	return EINVAL;
}

const char *sip_reason_phrase(uint16_t status)
{
	switch (status) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 181: return "Call Is Being Forwarded";
	case 182: return "Queued";
	case 183: return "Session Progress";
	case 200: return "OK";
	case 202: return "Accepted";
	case 301: return "Moved Permanently";
	case 302: return "Moved Temporarily";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 407: return "Proxy Authentication Required";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 413: return "Request Entity Too Large";
	case 415: return "Unsupported Media Type";
	case 416: return "Unsupported URI Scheme";
	case 420: return "Bad Extension";
	case 421: return "Extension Required";
	case 423: return "Interval Too Brief";
	case 430: return "Flow Failed";
	case 480: return "Temporarily Unavailable";
	case 481: return "Call/Transaction Does Not Exist";
	case 482: return "Loop Detected";
	case 483: return "Too Many Hops";
	case 484: return "Address Incomplete";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 489: return "Bad Event";
	case 491: return "Request Pending";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Server Time-out";
	case 505: return "Version Not Supported";
	case 513: return "Message Too Large";
	case 600: return "Busy Everywhere";
	case 603: return "Decline";
	case 604: return "Does Not Exist Anywhere";
	case 606: return "Not Acceptable";
	default: break;
	}
	if (status < 200) return "Session Progress";
	if (status < 300) return "OK";
	if (status < 400) return "Redirect";
	if (status < 500) return "Client Error";
	if (status < 600) return "Server Error";
	return "Global Failure";
}

const char *sip_agent(void)
{
	return "rtcbridge/" RTCBRIDGE_VERSION;
}
