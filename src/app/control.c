/*
 * control.c - the control socket (protocol in control.h).
 *
 * Each accepted connection is a struct control_conn on the loop: it reads
 * until a newline, builds the whole reply in an mbuf, writes it as the
 * socket takes it (EPOLLOUT), then closes. A timer bounds the connection's
 * life so a client that never sends a line cannot hold it open. The
 * control object owns its connections (a list) and closes them with it.
 */
#include "app/control.h"

#include "service/server.h"
#include "core/list.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/mbuf.h"
#include "proxy/calls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct control {
	struct server *srv;
	int fd;
	struct loop_fd reg;
	struct sockaddr_un path;
	struct list conns;
};

struct control_conn {
	struct list link; /* in control.conns */
	struct control *control;
	int fd;
	struct loop_fd reg;
	struct loop_timer timer;
	char line[CONTROL_MAX_LINE];
	size_t line_len;
	struct mbuf reply;
	size_t sent;
};

static void conn_close(struct control_conn *c)
{
	struct loop *loop = c->control->srv->loop;

	loop_fd_del(loop, &c->reg);
	loop_timer_stop(loop, &c->timer);
	close(c->fd);
	list_remove(&c->link);
	mbuf_free(&c->reply);
	free(c);
}

static void conn_timeout(void *arg)
{
	conn_close(arg);
}

static void command_run(struct control_conn *c, const char *command)
{
	if (!strcmp(command, "calls"))
		calls_print(c->control->srv->calls, &c->reply);
	else
		mbuf_printf(&c->reply, "error: unknown command \"%s\" (known: calls)\n", command);
}

/* Write what the socket takes; true when the reply is all out. */
static bool conn_flush(struct control_conn *c)
{
	struct slice reply = mbuf_slice(&c->reply);

	while (c->sent < reply.len) {
		ssize_t n = send(c->fd, reply.p + c->sent, reply.len - c->sent, MSG_NOSIGNAL);
		if (n < 0)
			return errno != EAGAIN && errno != EINTR; /* a broken peer: done */
		c->sent += (size_t)n;
	}
	return true;
}

static void conn_event(int fd, uint32_t events, void *arg)
{
	struct control_conn *c = arg;
	char *newline;
	ssize_t n;
	(void)events; /* errors and hang-ups show in recv() and send() */

	if (c->reply.len || mbuf_failed(&c->reply)) { /* writing */
		if (conn_flush(c))
			conn_close(c);
		return;
	}
	n = recv(fd, c->line + c->line_len, sizeof(c->line) - 1 - c->line_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->line_len += (size_t)n;
	c->line[c->line_len] = '\0';
	newline = strchr(c->line, '\n');
	if (!newline) {
		if (c->line_len == sizeof(c->line) - 1)
			conn_close(c); /* no command is this long */
		return;
	}
	*newline = '\0';
	if (newline > c->line && newline[-1] == '\r')
		newline[-1] = '\0';
	command_run(c, c->line);
	if (mbuf_failed(&c->reply) || conn_flush(c)) {
		conn_close(c);
		return;
	}
	loop_fd_modify(c->control->srv->loop, &c->reg, EPOLLOUT);
}

static void accept_event(int fd, uint32_t events, void *arg)
{
	struct control *control = arg;
	struct control_conn *c;
	int cfd;
	(void)events;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		return;
	}
	c->control = control;
	c->fd = cfd;
	mbuf_init(&c->reply);
	list_append(&control->conns, &c->link);
	if (loop_fd_add(control->srv->loop, &c->reg, cfd, EPOLLIN, conn_event, c)) {
		list_remove(&c->link);
		close(cfd);
		free(c);
		return;
	}
	loop_timer_start(control->srv->loop, &c->timer, CONTROL_TIMEOUT_MS, conn_timeout, c);
}

int control_create(struct control **controlp, struct server *srv, const char *state_dir)
{
	struct control *control = calloc(1, sizeof(*control));
	int err;

	if (!control)
		return ENOMEM;
	control->srv = srv;
	list_init(&control->conns);
	control->path.sun_family = AF_UNIX;
	if ((size_t)snprintf(control->path.sun_path, sizeof(control->path.sun_path), "%s/%s",
			     state_dir, CONTROL_SOCKET_NAME) >= sizeof(control->path.sun_path)) {
		log_error("control socket: the state directory's path is too long for %s/%s",
			  state_dir, CONTROL_SOCKET_NAME);
		free(control);
		return ENAMETOOLONG;
	}
	control->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (control->fd < 0) {
		err = errno;
		free(control);
		return err;
	}
	unlink(control->path.sun_path); /* a crash's leftover; a live daemon holds the store */
	if (bind(control->fd, (struct sockaddr *)&control->path, sizeof(control->path)) ||
	    chmod(control->path.sun_path, 0600) || listen(control->fd, 16) ||
	    loop_fd_add(srv->loop, &control->reg, control->fd, EPOLLIN, accept_event, control)) {
		err = errno ? errno : EIO;
		log_error("control socket %s: %s", control->path.sun_path, strerror(err));
		close(control->fd);
		free(control);
		return err;
	}
	*controlp = control;
	return 0;
}

void control_destroy(struct control *control)
{
	if (!control)
		return;
	LIST_FOREACH_SAFE(&control->conns, it, tmp)
		conn_close(LIST_ENTRY(it, struct control_conn, link));
	loop_fd_del(control->srv->loop, &control->reg);
	close(control->fd);
	unlink(control->path.sun_path);
	free(control);
}
