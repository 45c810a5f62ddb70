/*
 * rtcbridge-ctl - administration of an rtcbridge state directory: users
 * (kept as HA1 hashes, never passwords), a view of the registrations and
 * of the call detail records; and the running daemon's live calls, asked
 * over its control socket (app/control.h).
 *
 * It opens the daemon's database while the daemon runs; the store's WAL mode
 * and busy timeout make that safe, and the daemon looks users up on every
 * REGISTER, so changes apply at once without a reload.
 *
 * A password is hashed for every realm a client may be challenged with: the
 * realms the daemon recorded at its start (the table `realms`) plus the
 * names of this machine (host name, localhost, interface addresses), which
 * the daemon also answers to. A user added before a realm was configured has
 * no hash for it; adding the user again fixes that.
 *
 * Commands are a table (`commands`): words, argument count, handler. Exit
 * status: 0 done, 1 error (stderr says what to fix), 2 usage error.
 */
#include "app/control.h"
#include "core/localnames.h"
#include "core/log.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef RTCBRIDGE_VERSION
#define RTCBRIDGE_VERSION "0.1.0-dev"
#endif

#define DEFAULT_STATE_DIR "/var/lib/rtcbridge"
#define PROG "rtcbridge-ctl"

enum { EXIT_USAGE = 2 };

static const char name_rule[] =
	"use letters, digits and -_.!~*'()&=+$,;?/ (no spaces, '@', ':' or '%'), at most 255";

/* What to do about a failure, appended to its message. */
static const char *hint(int err)
{
	switch (err) {
	case EBUSY:
		return " (the daemon or another " PROG " kept the database locked for 5 s; "
		       "try again)";
	case EACCES:
	case EPERM:
		return " (run as the daemon's user or root, or pass --state-dir)";
	case ENOSPC:
		return " (the disk is full)";
	default:
		return "";
	}
}

/* A growing list of distinct strings; err keeps the first allocation failure
 * because the store's callbacks cannot return one. */
struct strings {
	char **items;
	size_t count, cap;
	int err;
};

static void strings_add(struct strings *l, const char *text)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->items[i], text) == 0)
			return;
	if (l->count == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **items = realloc(l->items, cap * sizeof(*items));
		if (!items) {
			l->err = ENOMEM;
			return;
		}
		l->items = items;
		l->cap = cap;
	}
	l->items[l->count] = strdup(text);
	if (l->items[l->count])
		l->count++;
	else
		l->err = ENOMEM;
}

static void strings_free(struct strings *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
}

struct ctl {
	struct store *store;
	const char *state_dir;
	struct strings realms;
};

/* ---- realms ---- */

static void realm_from_store(const char *realm, void *arg)
{
	strings_add(arg, realm);
}

/* Compared exactly, not case-folded: the realm is part of the hash, so
 * "PBX" and "pbx" need a hash each. */
static int realms_collect(struct ctl *c)
{
	struct localnames names;
	int err = store_realms_each(c->store, realm_from_store, &c->realms);
	if (err) {
		fprintf(stderr, PROG ": cannot read the realms table: %s%s\n", strerror(err),
			hint(err));
		return err;
	}
	err = localnames_collect(&names);
	if (err) {
		fprintf(stderr, PROG ": cannot list this machine's names: %s\n", strerror(err));
		return err;
	}
	for (size_t i = 0; i < names.count; i++)
		strings_add(&c->realms, names.names[i]);
	if (c->realms.err)
		fprintf(stderr, PROG ": %s\n", strerror(c->realms.err));
	return c->realms.err;
}

static int user_add(struct ctl *c, const char *name, const char *password)
{
	return store_user_add(c->store, name, password, (const char *const *)c->realms.items,
			      c->realms.count);
}

/* ---- user commands ---- */

/* PASSWORD "-": one line from stdin, not echoed on a terminal, so the
 * password stays out of shell history and `ps`. */
static int password_read(char **out)
{
	struct termios saved, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	size_t cap = 0;
	char *line = NULL;

	if (tty) {
		fputs("Password: ", stderr);
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ssize_t len = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	if (len < 0) {
		free(line);
		return EIO;
	}
	line[strcspn(line, "\r\n")] = '\0';
	*out = line;
	return 0;
}

static int cmd_user_add(struct ctl *c, char **argv)
{
	const char *name = argv[0];
	char *typed = NULL;
	int status = 1;

	if (strcmp(argv[1], "-") == 0 && password_read(&typed) != 0) {
		fprintf(stderr, PROG ": no password on standard input\n");
		goto out;
	}
	const char *password = typed ? typed : argv[1];
	if (!*password) {
		fprintf(stderr, PROG ": the password is empty\n");
		goto out;
	}
	if (realms_collect(c) != 0)
		goto out;
	int err = user_add(c, name, password);
	if (err == EINVAL)
		fprintf(stderr, PROG ": invalid user name '%s': %s\n", name, name_rule);
	else if (err)
		fprintf(stderr, PROG ": cannot add user %s: %s%s\n", name, strerror(err),
			hint(err));
	else {
		printf("user %s added (%zu realms)\n", name, c->realms.count);
		status = 0;
	}
out:
	if (typed) {
		explicit_bzero(typed, strlen(typed));
		free(typed);
	}
	return status;
}

static int cmd_user_del(struct ctl *c, char **argv)
{
	int err = store_user_del(c->store, argv[0]);
	if (err == ENOENT)
		fprintf(stderr, PROG ": no user %s (see `" PROG " user list`)\n", argv[0]);
	else if (err)
		fprintf(stderr, PROG ": cannot delete user %s: %s%s\n", argv[0], strerror(err),
			hint(err));
	else
		printf("user %s deleted\n", argv[0]);
	return err ? 1 : 0;
}

static void user_print(const char *name, void *arg)
{
	size_t *count = arg;
	puts(name);
	(*count)++;
}

static int cmd_user_list(struct ctl *c, char **argv)
{
	size_t count = 0;
	(void)argv;
	int err = store_user_list(c->store, user_print, &count);
	if (err) {
		fprintf(stderr, PROG ": cannot list users: %s%s\n", strerror(err), hint(err));
		return 1;
	}
	printf("%zu user%s\n", count, count == 1 ? "" : "s");
	return 0;
}

/* Cuts blanks off both ends of text, in place. */
static char *blanks_trim(char *text)
{
	text += strspn(text, " \t");
	size_t len = strlen(text);
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = '\0';
	return text;
}

/* Splits "name,password" in place at the first comma (a password may hold
 * commas, a name rarely does) and trims blanks around both, as people write
 * "1001, secret". Returns false for a line without a comma. */
static bool import_line_split(char *line, char **name, char **password)
{
	char *comma = strchr(line, ',');
	if (!comma)
		return false;
	*comma = '\0';
	*name = blanks_trim(line);
	*password = blanks_trim(comma + 1);
	return true;
}

/* All users in one transaction: tens of thousands commit at once, and a
 * database error leaves the store as it was (the transaction is abandoned
 * by store_close). Bad lines are reported and skipped. */
static int cmd_user_import(struct ctl *c, char **argv)
{
	const char *file = argv[0];
	bool from_stdin = strcmp(file, "-") == 0;
	FILE *in = from_stdin ? stdin : fopen(file, "r");
	size_t added = 0, skipped = 0, cap = 0;
	unsigned long lineno = 0;
	char *line = NULL;
	int status = 1, err;

	if (!in) {
		fprintf(stderr, PROG ": cannot open %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (realms_collect(c) != 0)
		goto out;
	err = store_begin(c->store);
	if (err) {
		fprintf(stderr, PROG ": cannot start the import: %s%s\n", strerror(err), hint(err));
		goto out;
	}
	while (getline(&line, &cap, in) >= 0) {
		char *name, *password, *text = line;
		lineno++;
		text[strcspn(text, "\r\n")] = '\0';
		text += strspn(text, " \t");
		if (*text == '\0' || *text == '#')
			continue;
		const char *problem = NULL;
		if (!import_line_split(text, &name, &password))
			problem = "expected name,password";
		else if (!*password)
			problem = "empty password";
		else if ((err = user_add(c, name, password)) == EINVAL)
			problem = name_rule;
		else if (err) {
			fprintf(stderr, PROG ": %s:%lu: %s; nothing imported%s\n", file, lineno,
				strerror(err), hint(err));
			goto out;
		}
		if (problem == name_rule) {
			fprintf(stderr, PROG ": %s:%lu: skipped: invalid user name '%s': %s\n", file,
				lineno, name, problem);
			skipped++;
		} else if (problem) {
			fprintf(stderr, PROG ": %s:%lu: skipped: %s\n", file, lineno, problem);
			skipped++;
		} else {
			added++;
		}
	}
	if (ferror(in)) {
		fprintf(stderr, PROG ": reading %s: %s; nothing imported\n", file, strerror(errno));
		goto out;
	}
	err = store_commit(c->store);
	if (err) {
		fprintf(stderr, PROG ": cannot commit the import: %s; nothing imported%s\n",
			strerror(err), hint(err));
		goto out;
	}
	printf("%zu users imported for %zu realms", added, c->realms.count);
	if (skipped)
		printf(", %zu lines skipped", skipped);
	putchar('\n');
	status = skipped ? 1 : 0;
out:
	if (line) {
		explicit_bzero(line, cap);
		free(line);
	}
	if (!from_stdin)
		fclose(in);
	return status;
}

/* ---- registrations ---- */

enum { COL_AOR, COL_CONTACT, COL_TRANSPORT, COL_SOURCE, COL_EXPIRES, COL_COUNT };

static const char *const col_titles[COL_COUNT] = { "User/AOR", "Contact", "Transport",
						   "Source", "Expires" };

struct reg_table {
	char *(*rows)[COL_COUNT];
	size_t count, cap;
	size_t width[COL_COUNT];
	time_t now;
	int err;
};

/* A copy safe to print: the fields come from the network, and control bytes
 * would reach the admin's terminal. */
static char *printable_dup(const char *text)
{
	char *copy = strdup(text);
	for (char *p = copy; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return copy;
}

static void reg_collect(const struct store_binding *b, void *arg)
{
	struct reg_table *t = arg;
	char expires[32];

	if (t->err)
		return;
	if (t->count == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;
		void *rows = realloc(t->rows, cap * sizeof(*t->rows));
		if (!rows) {
			t->err = ENOMEM;
			return;
		}
		t->rows = rows;
		t->cap = cap;
	}
	snprintf(expires, sizeof(expires), "%lld s", (long long)(b->expires_at - t->now));
	const char *const cells[COL_COUNT] = { b->aor, b->contact, b->transport, b->source,
					       expires };
	char **row = t->rows[t->count];
	for (int i = 0; i < COL_COUNT; i++) {
		row[i] = printable_dup(cells[i]);
		if (!row[i])
			t->err = ENOMEM;
	}
	t->count++;
}

static void reg_print(struct reg_table *t)
{
	for (int i = 0; i < COL_COUNT; i++)
		t->width[i] = strlen(col_titles[i]);
	for (size_t r = 0; r < t->count; r++)
		for (int i = 0; i < COL_COUNT; i++)
			if (strlen(t->rows[r][i]) > t->width[i])
				t->width[i] = strlen(t->rows[r][i]);
	if (t->count) {
		for (int i = 0; i < COL_COUNT; i++)
			printf("%-*s%s", (int)t->width[i], col_titles[i],
			       i + 1 < COL_COUNT ? "  " : "\n");
		for (size_t r = 0; r < t->count; r++)
			for (int i = 0; i < COL_COUNT; i++)
				printf(i == COL_EXPIRES ? "%*s%s" : "%-*s%s", (int)t->width[i],
				       t->rows[r][i], i + 1 < COL_COUNT ? "  " : "\n");
	}
	printf("%zu registration%s\n", t->count, t->count == 1 ? "" : "s");
}

static int cmd_registrations(struct ctl *c, char **argv)
{
	struct reg_table t = { .now = time(NULL) };
	(void)argv;

	int err = store_bindings_load(c->store, t.now, reg_collect, &t);
	if (!err)
		err = t.err;
	if (err)
		fprintf(stderr, PROG ": cannot read registrations: %s%s\n", strerror(err),
			hint(err));
	else
		reg_print(&t);
	for (size_t r = 0; r < t.count; r++)
		for (int i = 0; i < COL_COUNT; i++)
			free(t.rows[r][i]);
	free(t.rows);
	return err ? 1 : 0;
}

/* ---- calls: the running daemon's, over its control socket ---- */

static int cmd_calls(struct ctl *c, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	static const char command[] = "calls\n";
	char buf[4096];
	ssize_t n;
	int fd;
	(void)argv;

	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", c->state_dir,
			     CONTROL_SOCKET_NAME) >= sizeof(addr.sun_path)) {
		fprintf(stderr, PROG ": the state directory's path is too long\n");
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    write(fd, command, sizeof(command) - 1) != (ssize_t)(sizeof(command) - 1)) {
		fprintf(stderr, PROG ": cannot reach the daemon at %s: %s (is rtcbridge running "
				"with this state directory?)\n", addr.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? 1 : 0;
}

/* ---- cdrs: the newest call detail records ---- */

static void time_str(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!ms || !localtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, size, "-");
}

static void cdr_print(const struct store_cdr *cdr, void *arg)
{
	char start[32], *caller = printable_dup(cdr->caller), *callee = printable_dup(cdr->callee),
			*call_id = printable_dup(cdr->call_id);
	(void)arg;

	time_str(cdr->start_ms, start, sizeof(start));
	printf("%s  %s -> %s  %s (%d)", start, caller ? caller : "?", callee ? callee : "?",
	       cdr->disposition, cdr->status);
	if (cdr->answer_ms)
		printf("  talked %lld s", (long long)((cdr->end_ms - cdr->answer_ms) / 1000));
	if (cdr->ended_by[0])
		printf("  ended by %s", cdr->ended_by);
	printf("\n    call-id %s  media %s", call_id ? call_id : "?",
	       cdr->anchored ? "relayed" : "direct");
	if (cdr->anchored)
		printf(" %s  caller in %lld lost %lld jitter %.1f ms RTT %.1f ms MOS %.1f  callee in "
		       "%lld lost %lld jitter %.1f ms RTT %.1f ms MOS %.1f",
		       cdr->codec[0] ? cdr->codec : "(no codec)",
		       (long long)cdr->caller_leg.packets_received, (long long)cdr->caller_leg.lost,
		       cdr->caller_leg.jitter_ms, cdr->caller_leg.rtt_ms, cdr->caller_leg.mos,
		       (long long)cdr->callee_leg.packets_received, (long long)cdr->callee_leg.lost,
		       cdr->callee_leg.jitter_ms, cdr->callee_leg.rtt_ms, cdr->callee_leg.mos);
	printf("\n");
	free(caller);
	free(callee);
	free(call_id);
}

static int cdrs_show(struct ctl *c, unsigned limit)
{
	int err = store_cdrs_each(c->store, limit, cdr_print, NULL);
	if (err)
		fprintf(stderr, PROG ": cannot read the CDRs: %s%s\n", strerror(err), hint(err));
	return err ? 1 : 0;
}

static int cmd_cdrs(struct ctl *c, char **argv)
{
	(void)argv;
	return cdrs_show(c, 20);
}

static int cmd_cdrs_count(struct ctl *c, char **argv)
{
	char *end;
	unsigned long count = strtoul(argv[0], &end, 10);

	if (!*argv[0] || *end || count == 0 || count > 1000000) {
		fprintf(stderr, PROG ": cdrs COUNT: a number from 1 to 1000000, not '%s'\n", argv[0]);
		return EXIT_USAGE;
	}
	return cdrs_show(c, (unsigned)count);
}

/* ---- command line ---- */

struct command {
	const char *words[2];  /* second is NULL for one-word commands */
	int argc;              /* arguments after the words */
	const char *args;      /* their names, for usage messages */
	int (*run)(struct ctl *c, char **argv);
};

static const struct command commands[] = {
	{ { "user", "add" }, 2, "NAME PASSWORD", cmd_user_add },
	{ { "user", "del" }, 1, "NAME", cmd_user_del },
	{ { "user", "list" }, 0, "", cmd_user_list },
	{ { "user", "import" }, 1, "FILE", cmd_user_import },
	{ { "registrations", NULL }, 0, "", cmd_registrations },
	{ { "calls", NULL }, 0, "", cmd_calls },
	{ { "cdrs", NULL }, 0, "", cmd_cdrs },
	{ { "cdrs", NULL }, 1, "[COUNT]", cmd_cdrs_count },
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [--state-dir DIR] COMMAND\n"
		"\n"
		"  user add NAME PASSWORD   add a user or replace its password\n"
		"                           (PASSWORD '-' reads it from standard input)\n"
		"  user del NAME            delete a user\n"
		"  user list                list user names\n"
		"  user import FILE         add users from lines 'name,password' ('-': stdin);\n"
		"                           blanks around fields, blank lines and lines\n"
		"                           starting with # are ignored;\n"
		"                           bad lines are reported and skipped (exit status 1)\n"
		"  registrations            show current registrations\n"
		"  calls                    the running daemon's calls, with media quality\n"
		"  cdrs [COUNT]             the newest call detail records (default 20)\n"
		"\n"
		"  --state-dir DIR  database directory (default: $RTCBRIDGE_STATE_DIR,\n"
		"                   else " DEFAULT_STATE_DIR ")\n"
		"  --help, --version\n"
		"\n"
		"Passwords are stored only as MD5 and SHA-256 digest hashes, one pair per\n"
		"realm: the daemon's realms and this machine's names and addresses.\n"
		"A password given as an argument is visible to local users in `ps`.\n");
}

static int words_count(const struct command *cmd)
{
	return cmd->words[1] ? 2 : 1;
}

/* The command argv names, or NULL after printing what is wrong. */
static const struct command *command_find(int argc, char **argv)
{
	const struct command *near = NULL;
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		const struct command *cmd = &commands[i];
		int words = words_count(cmd);
		if (argc < words || strcmp(argv[0], cmd->words[0]) != 0 ||
		    (words == 2 && strcmp(argv[1], cmd->words[1]) != 0))
			continue;
		if (argc - words == cmd->argc)
			return cmd;
		near = cmd;
	}
	if (near)
		fprintf(stderr, "usage: " PROG " [--state-dir DIR] %s%s%s %s\n", near->words[0],
			near->words[1] ? " " : "", near->words[1] ? near->words[1] : "",
			near->args);
	else if (argc == 0)
		usage(stderr);
	else
		fprintf(stderr, PROG ": unknown command '%s%s%s' (see --help)\n", argv[0],
			argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	return NULL;
}

/* Run as root on a directory the daemon owns, act as its owner: files SQLite
 * creates (the database, -wal, -shm) must stay writable by the daemon. */
static int identity_adopt(const char *state_dir)
{
	struct stat st;
	if (geteuid() != 0 || stat(state_dir, &st) != 0 || st.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(st.st_gid) != 0 || setuid(st.st_uid) != 0) {
		fprintf(stderr, PROG ": cannot switch to the owner (uid %u) of %s: %s\n",
			(unsigned)st.st_uid, state_dir, strerror(errno));
		return errno;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .state_dir = getenv("RTCBRIDGE_STATE_DIR") };
	int opt, status = 1;

	if (!c.state_dir || !*c.state_dir)
		c.state_dir = DEFAULT_STATE_DIR;
	/* '+': options end at the command, so a password may start with '-'. */
	while ((opt = getopt_long(argc, argv, "+hV", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			c.state_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts(PROG " " RTCBRIDGE_VERSION);
			return 0;
		default:
			fputs("see " PROG " --help\n", stderr);
			return EXIT_USAGE;
		}
	}
	const struct command *cmd = command_find(argc - optind, argv + optind);
	if (!cmd)
		return EXIT_USAGE;

	log_setup(LOG_LEVEL_WARN, false, PROG);
	if (identity_adopt(c.state_dir) != 0)
		return 1;
	int err = store_open(&c.store, c.state_dir);
	if (err) {
		fprintf(stderr, PROG ": cannot open the database in %s: %s%s\n", c.state_dir,
			strerror(err), hint(err));
		goto out;
	}
	status = cmd->run(&c, argv + optind + words_count(cmd));
out:
	store_close(c.store);
	strings_free(&c.realms);
	return status;
}
