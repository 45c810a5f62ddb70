/*
 * calls.h - the calls the proxy carries: every INVITE dialog it forwards,
 * from the initial INVITE to its end, with its parties, times and (when the
 * media is anchored) the relay's quality figures; the live list for
 * `rtcbridge-ctl calls`, and one CDR row in the store when a call ends.
 *
 * A call is keyed by its Call-ID. It begins when the proxy forwards an
 * initial INVITE, is answered by the first 2xx, and ends with
 *   - the final failure of the INVITE (disposition from its status: busy
 *     486/600, cancelled 487, no answer 408/480, declined 603, failed),
 *   - a BYE (ended by the caller or the callee: the From tag says),
 *   - [media] timeout without any media, for an answered anchored call
 *     (a BYE lost or never sent; ringing calls have none yet and are left
 *     to Timer C) - found by a sweep every timeout / 2 (1 to 5 s), which
 *     reads the relay's idle time, so the CDR still gets the call's quality,
 *   - CALLS_MAX_SECONDS without a BYE for a call that is not anchored,
 *   - the daemon's shutdown.
 * Ending reads the relay's statistics, writes the CDR, then releases the
 * media (anchor_end): the proxy ends calls through here, not the anchor.
 *
 * Signalling thread only.
 */
#ifndef RTCB_PROXY_CALLS_H
#define RTCB_PROXY_CALLS_H

#include "core/mbuf.h"
#include "sip/msg.h"

struct anchor;
struct calls;
struct loop;
struct store;

/* A call not anchored and never ended by a BYE is dropped after this. */
#define CALLS_MAX_SECONDS (24 * 3600)

/* anchor may be NULL (no media relay); media_timeout_ms 0: anchored calls
 * never time out. */
int calls_create(struct calls **callsp, struct loop *loop, struct store *store,
		 struct anchor *anchor, uint32_t media_timeout_ms);
/* Ends every live call ("shutdown"), releasing its media. NULL is fine. */
void calls_destroy(struct calls *calls);

/* The proxy forwards the initial INVITE req (again, for a retry with
 * credentials: the call starts over). */
void calls_invite(struct calls *calls, const struct sip_msg *req);
/* A 2xx to the initial INVITE went upstream. */
void calls_answered(struct calls *calls, const struct sip_msg *resp);
/* The initial INVITE ended with this final status (>= 300). */
void calls_failed(struct calls *calls, struct slice call_id, uint16_t status);
/* A BYE of the dialog is being forwarded. */
void calls_bye(struct calls *calls, const struct sip_msg *bye);

/* The live calls as text, one block per call (what `rtcbridge-ctl calls`
 * prints). */
void calls_print(struct calls *calls, struct mbuf *out);

#endif
