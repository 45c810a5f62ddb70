/*
 * control.h - the daemon's local control socket, for rtcbridge-ctl's
 * commands that need the running process rather than the database
 * (`rtcbridge-ctl calls`).
 *
 * A Unix stream socket <state_dir>/control.sock, mode 0600 (the state
 * directory is the daemon's user's alone). Protocol: the client sends one
 * command line ("calls\n"); the daemon answers with text and closes the
 * connection. Unknown commands get "error: unknown command ...". A line
 * longer than CONTROL_MAX_LINE, or none within CONTROL_TIMEOUT_MS, closes
 * the connection. Everything runs on the signalling loop, non-blocking.
 */
#ifndef RTCB_APP_CONTROL_H
#define RTCB_APP_CONTROL_H

#define CONTROL_SOCKET_NAME "control.sock"
#define CONTROL_MAX_LINE 256
#define CONTROL_TIMEOUT_MS 5000

struct control;
struct server;

/* Binds the socket (replacing a stale one left by a crash). */
int control_create(struct control **controlp, struct server *srv, const char *state_dir);
/* Closes the socket and every connection, removes the socket file. NULL is fine. */
void control_destroy(struct control *control);

#endif
