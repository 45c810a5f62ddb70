#!/usr/bin/env bash
# test_sipp_register.sh BUILD_DIR - the registrar against SIPp, over UDP and
# TCP (Debian's SIPp has no TLS; test_auth.py covers TLS):
#   - 200 users imported with `rtcbridge-ctl user import` register with
#     digest auth, re-register (next nonce-count), show up in
#     `rtcbridge-ctl registrations`, then unregister (Expires: 0) and are gone;
#   - a wrong password and an unknown user both get exactly "403 Forbidden";
#   - a nonce older than [auth] nonce_lifetime (2 s here) gets 401 stale=true,
#     and the fresh nonce works.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
rtcb_init "$@"

USERS=${REG_USERS:-200}
# shellcheck disable=SC2034 # read by rtcb_config
CONF_NONCE_LIFETIME=2
rtcb_config
rtcb_start

# ---- users -----------------------------------------------------------------

{
	echo SEQUENTIAL
} >"$T/users.csv"
: >"$T/import.txt"
for i in $(seq 1 "$USERS"); do
	name=$(printf 'reg%04d' "$i")
	pw=$(random_password)
	printf '%s,%s\n' "$name" "$pw" >>"$T/import.txt"
	printf '%s;[authentication username=%s password=%s]\n' "$name" "$name" "$pw" >>"$T/users.csv"
done
one_pw=$(random_password)
rtcb_ctl user add alice "$one_pw" >/dev/null || fail "rtcbridge-ctl user add alice failed"
printf 'SEQUENTIAL\nalice;[authentication username=alice password=%s]\n' "$one_pw" >"$T/alice.csv"
printf 'SEQUENTIAL\nalice;[authentication username=alice password=%sx]\n' "$one_pw" >"$T/badpw.csv"
printf 'SEQUENTIAL\nnosuchuser;[authentication username=nosuchuser password=%s]\n' "$one_pw" >"$T/unknown.csv"

check "user import of $USERS users" quiet rtcb_ctl user import "$T/import.txt"
user_count() { rtcb_ctl user list | grep -c '^reg[0-9]\{4\}\b'; }
check "user list shows the $USERS imported users" test "$(user_count)" -eq "$USERS"

# Bindings of the reg* users that `rtcbridge-ctl registrations` lists.
reg_count() { reg_users | grep -c '^reg[0-9]\{4\}$'; }

for tr in udp tcp; do
	# Register and unregister from the same port: the Contact names it.
	port=25070
	[ "$tr" = udp ] || port=25071
	check "$tr: $USERS users register with digest auth and re-register" \
		sipp_run "reg-$tr" "$tr" "$port" reg_auth.xml -inf "$T/users.csv" \
		-m "$USERS" -r 100 -l 50 -auth_uri "$SIP_HOST"
	n=$(reg_count)
	check "$tr: registrations lists $USERS bindings (got $n)" test "$n" -eq "$USERS"
	check "$tr: $USERS users unregister (Expires: 0)" \
		sipp_run "unreg-$tr" "$tr" "$port" unreg.xml -inf "$T/users.csv" \
		-m "$USERS" -r 100 -l 50 -auth_uri "$SIP_HOST"
	n=$(reg_count)
	check "$tr: registrations lists none of them after unregister (got $n)" test "$n" -eq 0

	check "$tr: wrong password gets exactly 403 Forbidden" \
		sipp_run "badpw-$tr" "$tr" 0 reg_forbidden.xml -inf "$T/badpw.csv" -m 1 -auth_uri "$SIP_HOST"
	check "$tr: unknown user gets exactly 403 Forbidden" \
		sipp_run "unknown-$tr" "$tr" 0 reg_forbidden.xml -inf "$T/unknown.csv" -m 1 -auth_uri "$SIP_HOST"
	first_403() { grep -a -m1 '^SIP/2.0 403' "$T/$1.messages.log" | tr -d '\r'; }
	check "$tr: unknown user and wrong password answered alike ('$(first_403 "badpw-$tr")')" \
		test -n "$(first_403 "badpw-$tr")" -a "$(first_403 "badpw-$tr")" = "$(first_403 "unknown-$tr")"

	check "$tr: stale nonce (3 s old, lifetime 2 s) gets 401 stale=true, then 200" \
		sipp_run "stale-$tr" "$tr" 0 reg_stale.xml -inf "$T/alice.csv" -m 1 -auth_uri "$SIP_HOST"
done

check "daemon alive after the registration tests" rtcb_alive
rtcb_finish
