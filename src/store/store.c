/*
 * store.c - the SQLite store: connection setup, schema migrations, users as
 * HA1 hashes, realms, and group-committed binding and CDR writes.
 *
 * Connection. WAL lets the daemon read (store_user_ha1 per REGISTER) while
 * rtcbridge-ctl writes, and turns a commit into one append to the -wal file.
 * synchronous=NORMAL drops the fsync per commit: a power cut may lose the
 * last commits, kill -9 of the process does not. The busy timeout makes a
 * writer wait for the other process instead of failing at once.
 *
 * Statements are prepared once at open (table `sql`, indexed by enum
 * stmt_id) and reset after every use. A SELECT left unreset would keep its
 * read transaction open: the WAL could not be checkpointed, and the
 * connection would keep seeing the old snapshot, so the daemon would miss
 * users the ctl adds later.
 *
 * Schema. The version is PRAGMA user_version; migrations[v] takes the schema
 * from version v to v + 1. To evolve it, append a step; never edit one that
 * has shipped. Migrating re-reads the version under the write lock, so two
 * processes opening a new database at once migrate it once. A database newer
 * than this program is refused rather than misread.
 *
 * Transactions. Each write operation is atomic on its own (BEGIN IMMEDIATE,
 * taking the write lock up front so it never fails half-way on a lock
 * upgrade). Inside a caller's store_begin() it uses a SAVEPOINT instead, so
 * a failed user_add in an import leaves the rest of the import intact.
 * store_close() rolls back a transaction begun and not committed: that is how
 * a caller abandons one.
 *
 * Binding writes (and CDR rows) are copied into a FIFO and applied in order by store_flush()
 * in one transaction. The daemon flushes from its event loop, so a flush does
 * not wait for the lock: when the ctl holds it (an import takes seconds),
 * SQLITE_BUSY leaves the writes queued for the next flush. Other errors drop
 * the batch: a batch that cannot be written would otherwise grow without
 * bound, and the daemon's in-memory location table stays right; the next
 * REGISTER rewrites the row.
 *
 * EBUSY is returned without an error log (the caller knows whether waiting
 * more makes sense); other SQLite failures are logged with SQLite's message
 * and mapped to an errno value.
 */
#include "store/store.h"

#include "core/log.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STORE_BUSY_MS 5000
#define STORE_USER_NAME_MAX 255

enum stmt_id {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_USER_HA1,
	STMT_USER_INSERT,
	STMT_USER_DELETE,
	STMT_USER_LIST,
	STMT_REALMS_CLEAR,
	STMT_REALM_INSERT,
	STMT_REALMS_LIST,
	STMT_BINDING_PUT,
	STMT_BINDING_DEL,
	STMT_BINDING_DEL_AOR,
	STMT_BINDINGS_PURGE,
	STMT_BINDINGS_LIST,
	STMT_CDR_INSERT,
	STMT_CDRS_LIST,
	STMT_COUNT
};

static const char *const sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_SAVEPOINT] = "SAVEPOINT store_op",
	[STMT_RELEASE] = "RELEASE store_op",
	[STMT_ROLLBACK_TO] = "ROLLBACK TO store_op",
	[STMT_USER_HA1] = "SELECT ha1_md5, ha1_sha256 FROM users WHERE name = ?1 AND realm = ?2",
	[STMT_USER_INSERT] = "INSERT OR REPLACE INTO users(name, realm, ha1_md5, ha1_sha256) "
			     "VALUES(?1, ?2, ?3, ?4)",
	[STMT_USER_DELETE] = "DELETE FROM users WHERE name = ?1",
	[STMT_USER_LIST] = "SELECT DISTINCT name FROM users ORDER BY name",
	[STMT_REALMS_CLEAR] = "DELETE FROM realms",
	[STMT_REALM_INSERT] = "INSERT OR IGNORE INTO realms(realm) VALUES(?1)",
	[STMT_REALMS_LIST] = "SELECT realm FROM realms ORDER BY realm",
	[STMT_BINDING_PUT] = "INSERT OR REPLACE INTO bindings(aor, contact, call_id, cseq, "
			     "expires_at, q, transport, source, local, instance, reg_id, path, "
			     "user_agent) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[STMT_BINDING_DEL] = "DELETE FROM bindings WHERE aor = ?1 AND contact = ?2",
	[STMT_BINDING_DEL_AOR] = "DELETE FROM bindings WHERE aor = ?1",
	[STMT_BINDINGS_PURGE] = "DELETE FROM bindings WHERE expires_at <= ?1",
	[STMT_BINDINGS_LIST] = "SELECT aor, contact, call_id, cseq, expires_at, q, transport, "
			       "source, local, instance, reg_id, path, user_agent FROM bindings "
			       "WHERE expires_at > ?1 ORDER BY aor, contact",
	[STMT_CDR_INSERT] = "INSERT INTO cdrs(call_id, caller, callee, start_ms, answer_ms, end_ms, "
			    "disposition, status, ended_by, anchored, codec, caller_packets_in, "
			    "caller_packets_out, caller_lost, caller_jitter_ms, caller_rtt_ms, "
			    "caller_mos, callee_packets_in, callee_packets_out, callee_lost, "
			    "callee_jitter_ms, callee_rtt_ms, callee_mos) VALUES(?1, ?2, ?3, ?4, ?5, "
			    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, "
			    "?22, ?23)",
	[STMT_CDRS_LIST] = "SELECT id, call_id, caller, callee, start_ms, answer_ms, end_ms, "
			   "disposition, status, ended_by, anchored, codec, caller_packets_in, "
			   "caller_packets_out, caller_lost, caller_jitter_ms, caller_rtt_ms, "
			   "caller_mos, callee_packets_in, callee_packets_out, callee_lost, "
			   "callee_jitter_ms, callee_rtt_ms, callee_mos FROM cdrs ORDER BY id DESC "
			   "LIMIT ?1",
};

/* Column of STMT_USER_HA1 holding each algorithm's hash. */
static const int ha1_column[DIGEST_COUNT] = { [DIGEST_MD5] = 0, [DIGEST_SHA256] = 1 };

/* migrations[v]: schema version v -> v + 1. Append only. */
static const char *const migrations[] = {
	"CREATE TABLE users(name TEXT NOT NULL, realm TEXT NOT NULL,"
	" ha1_md5 TEXT NOT NULL, ha1_sha256 TEXT NOT NULL,"
	" PRIMARY KEY(name, realm)) WITHOUT ROWID;"
	"CREATE TABLE realms(realm TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TABLE bindings(aor TEXT NOT NULL, contact TEXT NOT NULL,"
	" call_id TEXT NOT NULL, cseq INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	" q INTEGER NOT NULL, transport TEXT NOT NULL, source TEXT NOT NULL,"
	" local TEXT NOT NULL, instance TEXT NOT NULL, reg_id INTEGER NOT NULL,"
	" path TEXT NOT NULL, user_agent TEXT NOT NULL,"
	" PRIMARY KEY(aor, contact)) WITHOUT ROWID;"
	"CREATE INDEX bindings_expires_at ON bindings(expires_at);",
	/* 1 -> 2: call detail records; a leg's columns are what the relay
	 * endpoint facing that party counted (packets in: from the party). */
	"CREATE TABLE cdrs(id INTEGER PRIMARY KEY, call_id TEXT NOT NULL,"
	" caller TEXT NOT NULL, callee TEXT NOT NULL, start_ms INTEGER NOT NULL,"
	" answer_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, disposition TEXT NOT NULL,"
	" status INTEGER NOT NULL, ended_by TEXT NOT NULL, anchored INTEGER NOT NULL,"
	" codec TEXT NOT NULL,"
	" caller_packets_in INTEGER NOT NULL, caller_packets_out INTEGER NOT NULL,"
	" caller_lost INTEGER NOT NULL, caller_jitter_ms REAL NOT NULL,"
	" caller_rtt_ms REAL NOT NULL, caller_mos REAL NOT NULL,"
	" callee_packets_in INTEGER NOT NULL, callee_packets_out INTEGER NOT NULL,"
	" callee_lost INTEGER NOT NULL, callee_jitter_ms REAL NOT NULL,"
	" callee_rtt_ms REAL NOT NULL, callee_mos REAL NOT NULL);"
	"CREATE INDEX cdrs_start ON cdrs(start_ms);",
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum write_kind { WRITE_PUT, WRITE_DEL, WRITE_DEL_AOR, WRITE_CDR };

/* One queued write; the strings of `b` or `cdr` point into `text`. */
struct store_write {
	struct store_write *next;
	enum write_kind kind;
	union {
		struct store_binding b;   /* WRITE_PUT, WRITE_DEL, WRITE_DEL_AOR */
		struct store_cdr cdr;     /* WRITE_CDR */
	};
	char text[];
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	bool in_txn;                     /* store_begin() not yet committed */
	struct store_write *queue;       /* oldest first */
	struct store_write **queue_tail;
	size_t queued;
	unsigned busy_flushes;           /* flushes in a row that found the lock taken */
};

/* ---- errors and statement helpers ---- */

static int db_errno(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_CONSTRAINT:
		return EEXIST;
	case SQLITE_TOOBIG:
		return E2BIG;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		/* The OS error says what to fix (permissions, missing directory). */
		if (db && sqlite3_system_errno(db))
			return sqlite3_system_errno(db);
		return (rc & 0xff) == SQLITE_CANTOPEN ? EACCES : EIO;
	default:
		return EIO;
	}
}

/* Logs a failed SQLite call (unless it is only busy) and maps it to errno. */
static int db_fail(sqlite3 *db, int rc, const char *what)
{
	int err = db_errno(db, rc);
	if (err == EBUSY)
		log_debug("store: %s: %s", what, sqlite3_errmsg(db));
	else
		log_error("store: %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return err;
}

static int exec(struct store *s, const char *text, const char *what)
{
	int rc = sqlite3_exec(s->db, text, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_fail(s->db, rc, what);
}

/* Runs a cached statement that returns no rows and makes it ready for reuse.
 * A failed bind leaves the parameter NULL, which the NOT NULL columns or the
 * WHERE clause turn into an error or no match here. */
static int run(struct store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->stmt[id];
	int rc = sqlite3_step(st);
	int err = rc == SQLITE_DONE ? 0 : db_fail(s->db, rc, sql[id]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

typedef void(row_h)(sqlite3_stmt *st, void *ctx);

/* Steps a cached query to its end, calling row for each result. */
static int rows_each(struct store *s, enum stmt_id id, row_h *row, void *ctx)
{
	sqlite3_stmt *st = s->stmt[id];
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row(st, ctx);
	int err = rc == SQLITE_DONE ? 0 : db_fail(s->db, rc, sql[id]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

/* Strings are bound without a copy: every statement is reset and its
 * bindings cleared before the function that bound them returns. */
static void bind_text(sqlite3_stmt *st, int index, const char *text)
{
	sqlite3_bind_text(st, index, text, -1, SQLITE_STATIC);
}

static const char *column_text(sqlite3_stmt *st, int column)
{
	const unsigned char *text = sqlite3_column_text(st, column);
	return text ? (const char *)text : "";
}

/* Opens the unit of work of one write operation: a transaction of its own,
 * or a savepoint inside the caller's store_begin(). */
static int op_begin(struct store *s)
{
	return run(s, s->in_txn ? STMT_SAVEPOINT : STMT_BEGIN);
}

/* Commits the unit when err is 0, else undoes it; returns the outcome. Some
 * errors (disk full, I/O) make SQLite roll back by itself, hence the check. */
static int op_end(struct store *s, int err)
{
	if (!err)
		err = run(s, s->in_txn ? STMT_RELEASE : STMT_COMMIT);
	if (err && !sqlite3_get_autocommit(s->db)) {
		if (s->in_txn) {
			run(s, STMT_ROLLBACK_TO);
			run(s, STMT_RELEASE);
		} else {
			run(s, STMT_ROLLBACK);
		}
	}
	return err;
}

/* ---- open and close ---- */

/* mkdir -p with mode 0700: the database holds password equivalents. */
static int dir_create(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return ENAMETOOLONG;
	for (char *p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return errno;
		if (c == '\0')
			return 0;
		*p = c;
	}
}

static int db_configure(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int err = 0;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *mode = column_text(st, 0);
		if (strcmp(mode, "wal") != 0)
			log_warn("store: WAL not available (journal mode %s): the daemon and "
				 "rtcbridge-ctl will block each other", mode);
	} else {
		err = db_fail(s->db, rc, "PRAGMA journal_mode=WAL");
	}
	sqlite3_finalize(st);
	if (!err)
		err = exec(s, "PRAGMA synchronous=NORMAL", "PRAGMA synchronous");
	return err;
}

static int schema_version(struct store *s, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_fail(s->db, rc, "PRAGMA user_version");
}

static int schema_migrate(struct store *s)
{
	char set_version[48];
	int version;
	int err = schema_version(s, &version);
	if (err || version == SCHEMA_VERSION)
		return err;

	err = exec(s, "BEGIN IMMEDIATE", "begin schema migration");
	if (err)
		return err;
	err = schema_version(s, &version);
	if (!err && version > SCHEMA_VERSION) {
		log_error("store: database schema version %d is newer than this program "
			  "supports (%d): upgrade rtcbridge", version, SCHEMA_VERSION);
		err = ENOTSUP;
	}
	for (int v = version; !err && v < SCHEMA_VERSION; v++)
		err = exec(s, migrations[v], "schema migration");
	if (!err && version < SCHEMA_VERSION) {
		snprintf(set_version, sizeof(set_version), "PRAGMA user_version=%d", SCHEMA_VERSION);
		err = exec(s, set_version, "set schema version");
	}
	if (!err)
		err = exec(s, "COMMIT", "commit schema migration");
	if (err && !sqlite3_get_autocommit(s->db))
		exec(s, "ROLLBACK", "roll back schema migration");
	if (!err && version < SCHEMA_VERSION)
		log_info("store: schema version %d -> %d", version, SCHEMA_VERSION);
	return err;
}

static int stmts_prepare(struct store *s)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		int rc = sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &s->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return db_fail(s->db, rc, sql[i]);
	}
	return 0;
}

int store_open(struct store **sp, const char *state_dir)
{
	char path[PATH_MAX];
	struct store *s = NULL;
	int err;

	if (!sp || !state_dir || !*state_dir)
		return EINVAL;
	if (snprintf(path, sizeof(path), "%s/rtcbridge.db", state_dir) >= (int)sizeof(path))
		return ENAMETOOLONG;
	err = dir_create(state_dir);
	if (err) {
		log_error("store: cannot create %s: %s", state_dir, strerror(err));
		return err;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->queue_tail = &s->queue;

	/* NOMUTEX: one connection per thread, so SQLite's own locking is waste. */
	int rc = sqlite3_open_v2(path, &s->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		err = db_fail(s->db, rc, path);
		goto out;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	err = db_configure(s);
	if (!err)
		err = schema_migrate(s);
	if (!err)
		err = stmts_prepare(s);
out:
	if (err) {
		store_close(s);
		return err;
	}
	*sp = s;
	return 0;
}

static void queue_clear(struct store *s)
{
	while (s->queue) {
		struct store_write *w = s->queue;
		s->queue = w->next;
		free(w);
	}
	s->queue_tail = &s->queue;
	s->queued = 0;
}

static int queue_commit(struct store *s, int busy_ms);

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->in_txn) {
		log_info("store: closing with a transaction open, rolled back");
		run(s, STMT_ROLLBACK);
		s->in_txn = false;
	}
	if (s->queue && queue_commit(s, STORE_BUSY_MS) != 0)
		log_error("store: %zu queued writes lost at close", s->queued);
	queue_clear(s);
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s);
}

/* ---- transactions for bulk work ---- */

int store_begin(struct store *s)
{
	if (s->in_txn)
		return EALREADY;
	int err = run(s, STMT_BEGIN);
	if (!err)
		s->in_txn = true;
	return err;
}

/* On failure nothing of the transaction is kept. */
int store_commit(struct store *s)
{
	if (!s->in_txn)
		return EINVAL;
	int err = run(s, STMT_COMMIT);
	if (err && !sqlite3_get_autocommit(s->db))
		run(s, STMT_ROLLBACK);
	s->in_txn = false;
	return err;
}

/* ---- realms ---- */

int store_realms_set(struct store *s, const char *const *realms, size_t count)
{
	int err = op_begin(s);
	if (err)
		return err;
	err = run(s, STMT_REALMS_CLEAR);
	for (size_t i = 0; !err && i < count; i++) {
		if (!realms[i] || !*realms[i]) {
			err = EINVAL;
			break;
		}
		bind_text(s->stmt[STMT_REALM_INSERT], 1, realms[i]);
		err = run(s, STMT_REALM_INSERT);
	}
	return op_end(s, err);
}

struct name_cb {
	void (*cb)(const char *name, void *arg);
	void *arg;
};

static void row_name(sqlite3_stmt *st, void *ctx)
{
	struct name_cb *n = ctx;
	n->cb(column_text(st, 0), n->arg);
}

int store_realms_each(struct store *s, void (*cb)(const char *realm, void *arg), void *arg)
{
	struct name_cb n = { cb, arg };
	return rows_each(s, STMT_REALMS_LIST, row_name, &n);
}

/* ---- users ---- */

/* A SIP user part without escapes (RFC 3261 25.1 unreserved and
 * user-unreserved), so names print and compare without decoding. */
static bool user_name_valid(const char *name)
{
	static const char marks[] = "-_.!~*'()&=+$,;?/";
	size_t len = strlen(name);
	if (len == 0 || len > STORE_USER_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9');
		if (!alnum && !strchr(marks, *p))
			return false;
	}
	return true;
}

int store_user_add(struct store *s, const char *name, const char *password,
		   const char *const *realms, size_t realm_count)
{
	char ha1[DIGEST_COUNT][DIGEST_HEX_SIZE];
	sqlite3_stmt *insert = s->stmt[STMT_USER_INSERT];

	if (!name || !password || !realms || realm_count == 0 || !user_name_valid(name))
		return EINVAL;
	int err = op_begin(s);
	if (err)
		return err;
	bind_text(s->stmt[STMT_USER_DELETE], 1, name);
	err = run(s, STMT_USER_DELETE);
	for (size_t i = 0; !err && i < realm_count; i++) {
		if (!realms[i] || !*realms[i]) {
			err = EINVAL;
			break;
		}
		for (int alg = 0; alg < DIGEST_COUNT; alg++)
			digest_ha1((enum digest_algorithm)alg, name, realms[i], password, ha1[alg]);
		bind_text(insert, 1, name);
		bind_text(insert, 2, realms[i]);
		bind_text(insert, 3, ha1[DIGEST_MD5]);
		bind_text(insert, 4, ha1[DIGEST_SHA256]);
		err = run(s, STMT_USER_INSERT);
	}
	/* An HA1 is as good as the password for its realm. */
	explicit_bzero(ha1, sizeof(ha1));
	return op_end(s, err);
}

int store_user_del(struct store *s, const char *name)
{
	if (!name)
		return EINVAL;
	bind_text(s->stmt[STMT_USER_DELETE], 1, name);
	int err = run(s, STMT_USER_DELETE);
	if (!err && sqlite3_changes(s->db) == 0)
		err = ENOENT;
	return err;
}

int store_user_list(struct store *s, void (*cb)(const char *name, void *arg), void *arg)
{
	struct name_cb n = { cb, arg };
	return rows_each(s, STMT_USER_LIST, row_name, &n);
}

/* One primary-key lookup with a cached statement; runs per REGISTER and
 * reads committed data, so users the ctl just added are found. */
int store_user_ha1(struct store *s, struct slice name, struct slice realm,
		   enum digest_algorithm alg, char out[DIGEST_HEX_SIZE])
{
	sqlite3_stmt *st = s->stmt[STMT_USER_HA1];
	int err = ENOENT;

	if ((unsigned)alg >= DIGEST_COUNT)
		return EINVAL;
	if (name.len > STORE_USER_NAME_MAX || realm.len > INT_MAX)
		return ENOENT;
	sqlite3_bind_text(st, 1, name.p, (int)name.len, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, realm.p, (int)realm.len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *hex = column_text(st, ha1_column[alg]);
		size_t len = strlen(hex);
		err = len > 0 && len < DIGEST_HEX_SIZE ? 0 : EIO;
		if (!err)
			memcpy(out, hex, len + 1);
	} else if (rc != SQLITE_DONE) {
		err = db_fail(s->db, rc, sql[STMT_USER_HA1]);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

/* ---- bindings ---- */

static const char *nonnull(const char *text)
{
	return text ? text : "";
}

/* A write with room for count strings, src[i] copied to *dst[i] (dst
 * points into the returned write's b or cdr, which the caller fills). */
static struct store_write *write_alloc(enum write_kind kind, const char *const *src,
				       size_t count)
{
	size_t size = 0;

	for (size_t i = 0; i < count; i++)
		size += strlen(nonnull(src[i])) + 1;
	struct store_write *w = malloc(sizeof(*w) + size);
	if (w) {
		w->next = NULL;
		w->kind = kind;
	}
	return w;
}

static void write_strings(struct store_write *w, const char *const *src, const char **const *dst,
			  size_t count)
{
	char *cursor = w->text;
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(nonnull(src[i])) + 1;
		memcpy(cursor, nonnull(src[i]), len);
		*dst[i] = cursor;
		cursor += len;
	}
}

static void queue_append(struct store *s, struct store_write *w)
{
	*s->queue_tail = w;
	s->queue_tail = &w->next;
	s->queued++;
}

/* Copies b and its strings into one write (the caller's are transient). */
static int queue_add(struct store *s, enum write_kind kind, const struct store_binding *b)
{
	/* src[i] is copied to *dst[i]: keep the two lists in the same order. */
	const char *const src[] = { b->aor, b->contact, b->call_id, b->transport, b->source,
				    b->local, b->instance, b->path, b->user_agent };
	const size_t count = sizeof(src) / sizeof(src[0]);
	struct store_write *w = write_alloc(kind, src, count);
	if (!w)
		return ENOMEM;
	w->b = *b;
	const char **const dst[] = { &w->b.aor, &w->b.contact, &w->b.call_id, &w->b.transport,
				     &w->b.source, &w->b.local, &w->b.instance, &w->b.path,
				     &w->b.user_agent };
	write_strings(w, src, dst, count);
	queue_append(s, w);
	return 0;
}

int store_cdr_put(struct store *s, const struct store_cdr *cdr)
{
	const char *const src[] = { cdr->call_id, cdr->caller,   cdr->callee,
				    cdr->disposition, cdr->ended_by, cdr->codec };
	const size_t count = sizeof(src) / sizeof(src[0]);
	struct store_write *w = write_alloc(WRITE_CDR, src, count);
	if (!w)
		return ENOMEM;
	w->cdr = *cdr;
	const char **const dst[] = { &w->cdr.call_id,     &w->cdr.caller,   &w->cdr.callee,
				     &w->cdr.disposition, &w->cdr.ended_by, &w->cdr.codec };
	write_strings(w, src, dst, count);
	queue_append(s, w);
	return 0;
}

static void bind_leg(sqlite3_stmt *st, int first, const struct store_cdr_leg *leg)
{
	sqlite3_bind_int64(st, first, leg->packets_received);
	sqlite3_bind_int64(st, first + 1, leg->packets_sent);
	sqlite3_bind_int64(st, first + 2, leg->lost);
	sqlite3_bind_double(st, first + 3, leg->jitter_ms);
	sqlite3_bind_double(st, first + 4, leg->rtt_ms);
	sqlite3_bind_double(st, first + 5, leg->mos);
}

static int cdr_insert(struct store *s, const struct store_cdr *c)
{
	sqlite3_stmt *st = s->stmt[STMT_CDR_INSERT];

	bind_text(st, 1, c->call_id);
	bind_text(st, 2, c->caller);
	bind_text(st, 3, c->callee);
	sqlite3_bind_int64(st, 4, c->start_ms);
	sqlite3_bind_int64(st, 5, c->answer_ms);
	sqlite3_bind_int64(st, 6, c->end_ms);
	bind_text(st, 7, c->disposition);
	sqlite3_bind_int(st, 8, c->status);
	bind_text(st, 9, c->ended_by);
	sqlite3_bind_int(st, 10, c->anchored);
	bind_text(st, 11, c->codec);
	bind_leg(st, 12, &c->caller_leg);
	bind_leg(st, 18, &c->callee_leg);
	return run(s, STMT_CDR_INSERT);
}

int store_binding_put(struct store *s, const struct store_binding *b)
{
	if (!b || !b->aor || !*b->aor || !b->contact || !*b->contact)
		return EINVAL;
	return queue_add(s, WRITE_PUT, b);
}

int store_binding_del(struct store *s, const char *aor, const char *contact)
{
	struct store_binding b = { .aor = aor, .contact = contact };
	if (!aor || !*aor)
		return EINVAL;
	return queue_add(s, contact ? WRITE_DEL : WRITE_DEL_AOR, &b);
}

static int write_apply(struct store *s, const struct store_write *w)
{
	const struct store_binding *b = &w->b;
	sqlite3_stmt *st;

	switch (w->kind) {
	case WRITE_PUT:
		st = s->stmt[STMT_BINDING_PUT];
		bind_text(st, 1, b->aor);
		bind_text(st, 2, b->contact);
		bind_text(st, 3, b->call_id);
		sqlite3_bind_int64(st, 4, b->cseq);
		sqlite3_bind_int64(st, 5, b->expires_at);
		sqlite3_bind_int(st, 6, b->q);
		bind_text(st, 7, b->transport);
		bind_text(st, 8, b->source);
		bind_text(st, 9, b->local);
		bind_text(st, 10, b->instance);
		sqlite3_bind_int(st, 11, b->reg_id);
		bind_text(st, 12, b->path);
		bind_text(st, 13, b->user_agent);
		return run(s, STMT_BINDING_PUT);
	case WRITE_DEL:
		st = s->stmt[STMT_BINDING_DEL];
		bind_text(st, 1, b->aor);
		bind_text(st, 2, b->contact);
		return run(s, STMT_BINDING_DEL);
	case WRITE_DEL_AOR:
		bind_text(s->stmt[STMT_BINDING_DEL_AOR], 1, b->aor);
		return run(s, STMT_BINDING_DEL_AOR);
	case WRITE_CDR:
		return cdr_insert(s, &w->cdr);
	}
	return EINVAL;
}

/* Applies the whole queue in one transaction, waiting at most busy_ms for
 * the write lock; on EBUSY the queue is kept, otherwise it is emptied. */
static int queue_commit(struct store *s, int busy_ms)
{
	if (!s->queue)
		return 0;
	sqlite3_busy_timeout(s->db, busy_ms);
	int err = op_begin(s);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if (!err) {
		for (const struct store_write *w = s->queue; !err && w; w = w->next)
			err = write_apply(s, w);
		err = op_end(s, err);
	}
	if (err == EBUSY) {
		if (s->busy_flushes++ == 0)
			log_warn("store: database locked by another process; %zu "
				 "writes stay queued", s->queued);
		return EBUSY;
	}
	if (s->busy_flushes && !err)
		log_notice("store: %zu queued writes committed after %u busy flushes",
			   s->queued, s->busy_flushes);
	s->busy_flushes = 0;
	if (err)
		log_error("store: %zu queued writes dropped: %s", s->queued, strerror(err));
	queue_clear(s);
	return err;
}

/* Does not wait for the lock: see the top comment. EBUSY keeps the queue. */
int store_flush(struct store *s)
{
	return queue_commit(s, 0);
}

struct binding_cb {
	void (*cb)(const struct store_binding *b, void *arg);
	void *arg;
};

static void row_binding(sqlite3_stmt *st, void *ctx)
{
	struct binding_cb *c = ctx;
	struct store_binding b = {
		.aor = column_text(st, 0),
		.contact = column_text(st, 1),
		.call_id = column_text(st, 2),
		.cseq = (uint32_t)sqlite3_column_int64(st, 3),
		.expires_at = sqlite3_column_int64(st, 4),
		.q = sqlite3_column_int(st, 5),
		.transport = column_text(st, 6),
		.source = column_text(st, 7),
		.local = column_text(st, 8),
		.instance = column_text(st, 9),
		.reg_id = sqlite3_column_int(st, 10),
		.path = column_text(st, 11),
		.user_agent = column_text(st, 12),
	};
	c->cb(&b, c->arg);
}

/* Queued writes are committed first so the caller reads its own writes. The
 * binding's strings are valid only during the callback. */
int store_bindings_load(struct store *s, int64_t now,
			void (*cb)(const struct store_binding *b, void *arg), void *arg)
{
	struct binding_cb c = { cb, arg };
	int err = queue_commit(s, STORE_BUSY_MS);
	if (err)
		return err;
	sqlite3_bind_int64(s->stmt[STMT_BINDINGS_PURGE], 1, now);
	err = run(s, STMT_BINDINGS_PURGE);
	if (err)
		return err;
	sqlite3_bind_int64(s->stmt[STMT_BINDINGS_LIST], 1, now);
	return rows_each(s, STMT_BINDINGS_LIST, row_binding, &c);
}

struct cdr_cb {
	void (*cb)(const struct store_cdr *cdr, void *arg);
	void *arg;
};

static void column_leg(sqlite3_stmt *st, int first, struct store_cdr_leg *leg)
{
	leg->packets_received = sqlite3_column_int64(st, first);
	leg->packets_sent = sqlite3_column_int64(st, first + 1);
	leg->lost = sqlite3_column_int64(st, first + 2);
	leg->jitter_ms = sqlite3_column_double(st, first + 3);
	leg->rtt_ms = sqlite3_column_double(st, first + 4);
	leg->mos = sqlite3_column_double(st, first + 5);
}

static void row_cdr(sqlite3_stmt *st, void *ctx)
{
	struct cdr_cb *c = ctx;
	struct store_cdr cdr = {
		.id = sqlite3_column_int64(st, 0),
		.call_id = column_text(st, 1),
		.caller = column_text(st, 2),
		.callee = column_text(st, 3),
		.start_ms = sqlite3_column_int64(st, 4),
		.answer_ms = sqlite3_column_int64(st, 5),
		.end_ms = sqlite3_column_int64(st, 6),
		.disposition = column_text(st, 7),
		.status = sqlite3_column_int(st, 8),
		.ended_by = column_text(st, 9),
		.anchored = sqlite3_column_int(st, 10) != 0,
		.codec = column_text(st, 11),
	};
	column_leg(st, 12, &cdr.caller_leg);
	column_leg(st, 18, &cdr.callee_leg);
	c->cb(&cdr, c->arg);
}

int store_cdrs_each(struct store *s, unsigned limit,
		    void (*cb)(const struct store_cdr *cdr, void *arg), void *arg)
{
	struct cdr_cb c = { cb, arg };
	int err = queue_commit(s, STORE_BUSY_MS);
	if (err)
		return err;
	sqlite3_bind_int64(s->stmt[STMT_CDRS_LIST], 1, limit);
	return rows_each(s, STMT_CDRS_LIST, row_cdr, &c);
}
