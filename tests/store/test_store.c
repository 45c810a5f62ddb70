/*
 * test_store.c - the SQLite store against a fresh database per test.
 *
 * Each test gets its own mkdtemp directory (setup/teardown), so tests are
 * independent and can reopen the file to check what really reached disk.
 * A second raw SQLite connection stands in for the other process (the
 * daemon or rtcbridge-ctl) where locking matters.
 */
#include "store/store.h"
#include "core/log.h"
#include "leakcheck.h"

#include <errno.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
	char dir[64];
	struct store *store;
};

static int fixture_init(void *state)
{
	struct fixture *f = state;
	strcpy(f->dir, "/tmp/test_store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	return store_open(&f->store, f->dir);
}

static void remove_db(const char *dir)
{
	static const char *const names[] = { "rtcbridge.db", "rtcbridge.db-wal", "rtcbridge.db-shm" };
	char path[192];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void fixture_fini(void *state)
{
	struct fixture *f = state;
	store_close(f->store);
	remove_db(f->dir);
}

static const struct leak_fixture store_fixture = { sizeof(struct fixture), fixture_init,
						   fixture_fini };

static void reopen(struct fixture *f)
{
	store_close(f->store);
	f->store = NULL;
	assert_int_equal(store_open(&f->store, f->dir), 0);
}

/* A raw connection to the same file: "the other process". */
static sqlite3 *other_open(const struct fixture *f)
{
	char path[128];
	sqlite3 *db = NULL;
	snprintf(path, sizeof(path), "%s/rtcbridge.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

static int lookup(struct store *s, const char *name, const char *realm, enum digest_algorithm alg,
		  char out[DIGEST_HEX_SIZE])
{
	return store_user_ha1(s, slice_from_cstr(name), slice_from_cstr(realm), alg, out);
}

static void assert_ha1(struct store *s, const char *name, const char *realm, const char *password)
{
	char got[DIGEST_HEX_SIZE], want[DIGEST_HEX_SIZE];
	for (int alg = 0; alg < DIGEST_COUNT; alg++) {
		digest_ha1((enum digest_algorithm)alg, name, realm, password, want);
		assert_int_equal(lookup(s, name, realm, (enum digest_algorithm)alg, got), 0);
		assert_string_equal(got, want);
	}
}

static const char *const realms2[] = { "example.com", "192.0.2.10" };

/* ---- users ---- */

static void test_user_add_ha1(void **state)
{
	struct fixture *f = *state;
	char out[DIGEST_HEX_SIZE];

	assert_int_equal(store_user_add(f->store, "1001", "secret", realms2, 2), 0);
	assert_ha1(f->store, "1001", "example.com", "secret");
	assert_ha1(f->store, "1001", "192.0.2.10", "secret");
	assert_int_equal(lookup(f->store, "1001", "example.com", DIGEST_MD5, out), 0);
	assert_int_equal(strlen(out), 32);
	assert_int_equal(lookup(f->store, "1001", "example.com", DIGEST_SHA256, out), 0);
	assert_int_equal(strlen(out), 64);

	/* Slices into a larger buffer, as the SIP parser hands them over. */
	const char *header = "username=1001x realm=example.comX";
	assert_int_equal(store_user_ha1(f->store, slice_make(header + 9, 4),
					slice_make(header + 21, 11), DIGEST_MD5, out), 0);
}

static void test_user_unknown(void **state)
{
	struct fixture *f = *state;
	char out[DIGEST_HEX_SIZE];

	assert_int_equal(store_user_add(f->store, "1001", "secret", realms2, 2), 0);
	assert_int_equal(lookup(f->store, "1002", "example.com", DIGEST_MD5, out), ENOENT);
	assert_int_equal(lookup(f->store, "1001", "example.org", DIGEST_MD5, out), ENOENT);
	assert_int_equal(lookup(f->store, "1001", "EXAMPLE.COM", DIGEST_SHA256, out), ENOENT);
	assert_int_equal(lookup(f->store, "", "example.com", DIGEST_MD5, out), ENOENT);
	assert_int_equal(store_user_ha1(f->store, SLICE_NULL, SLICE_NULL, DIGEST_MD5, out), ENOENT);
	assert_int_equal(lookup(f->store, "1001", "example.com", DIGEST_COUNT, out), EINVAL);
}

static void test_user_replace(void **state)
{
	struct fixture *f = *state;
	const char *const realm_new[] = { "pbx.example.net" };
	char out[DIGEST_HEX_SIZE];

	assert_int_equal(store_user_add(f->store, "1001", "old", realms2, 2), 0);
	assert_int_equal(store_user_add(f->store, "1001", "new", realm_new, 1), 0);
	assert_ha1(f->store, "1001", "pbx.example.net", "new");
	assert_int_equal(lookup(f->store, "1001", "example.com", DIGEST_MD5, out), ENOENT);
}

static void test_user_del(void **state)
{
	struct fixture *f = *state;
	char out[DIGEST_HEX_SIZE];

	assert_int_equal(store_user_add(f->store, "1001", "secret", realms2, 2), 0);
	assert_int_equal(store_user_add(f->store, "1002", "secret", realms2, 2), 0);
	assert_int_equal(store_user_del(f->store, "1001"), 0);
	assert_int_equal(lookup(f->store, "1001", "example.com", DIGEST_MD5, out), ENOENT);
	assert_int_equal(lookup(f->store, "1001", "192.0.2.10", DIGEST_SHA256, out), ENOENT);
	assert_int_equal(store_user_del(f->store, "1001"), ENOENT);
	assert_ha1(f->store, "1002", "example.com", "secret");
}

struct names {
	char text[256];
	int count;
};

static void collect_name(const char *name, void *arg)
{
	struct names *n = arg;
	strcat(n->text, name);
	strcat(n->text, " ");
	n->count++;
}

static void test_user_list(void **state)
{
	struct fixture *f = *state;
	struct names n = { "", 0 };

	assert_int_equal(store_user_list(f->store, collect_name, &n), 0);
	assert_int_equal(n.count, 0);
	assert_int_equal(store_user_add(f->store, "bob", "pw", realms2, 2), 0);
	assert_int_equal(store_user_add(f->store, "1001", "pw", realms2, 2), 0);
	assert_int_equal(store_user_add(f->store, "alice", "pw", realms2, 2), 0);
	assert_int_equal(store_user_list(f->store, collect_name, &n), 0);
	assert_int_equal(n.count, 3); /* one entry per user, not per realm */
	assert_string_equal(n.text, "1001 alice bob ");
}

static void test_user_name_invalid(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = { "", "a@b", "a:b", "a b", "a\tb", "a%20b", "a\nb",
					   "a\"b", "a<b", "a#b", "\xc3\xa4" };
	char longname[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(store_user_add(f->store, bad[i], "pw", realms2, 2), EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(store_user_add(f->store, longname, "pw", realms2, 2), EINVAL);
	assert_int_equal(store_user_add(f->store, "1001", "pw", realms2, 0), EINVAL);
	assert_int_equal(store_user_add(f->store, "1001", NULL, realms2, 2), EINVAL);

	assert_int_equal(store_user_add(f->store, "Al.ice-1_!~*'()&=+$,;?/", "pw", realms2, 2), 0);
	assert_ha1(f->store, "Al.ice-1_!~*'()&=+$,;?/", "example.com", "pw");
}

static void test_transaction(void **state)
{
	struct fixture *f = *state;
	char name[16], out[DIGEST_HEX_SIZE];

	assert_int_equal(store_commit(f->store), EINVAL);
	assert_int_equal(store_begin(f->store), 0);
	assert_int_equal(store_begin(f->store), EALREADY);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "%d", 2000 + i);
		assert_int_equal(store_user_add(f->store, name, "pw", realms2, 2), 0);
	}
	/* A rejected user inside the transaction leaves the others alone. */
	assert_int_equal(store_user_add(f->store, "bad name", "pw", realms2, 2), EINVAL);
	assert_int_equal(store_commit(f->store), 0);
	reopen(f);
	assert_ha1(f->store, "2000", "example.com", "pw");
	assert_ha1(f->store, "2199", "192.0.2.10", "pw");

	/* Closing with the transaction open abandons it. */
	assert_int_equal(store_begin(f->store), 0);
	assert_int_equal(store_user_add(f->store, "3000", "pw", realms2, 2), 0);
	reopen(f);
	assert_int_equal(lookup(f->store, "3000", "example.com", DIGEST_MD5, out), ENOENT);
}

/* The daemon's connection sees what the ctl's connection adds at once. */
static void test_user_seen_by_other_connection(void **state)
{
	struct fixture *f = *state;
	struct store *ctl = NULL;
	char out[DIGEST_HEX_SIZE];

	assert_int_equal(lookup(f->store, "1001", "example.com", DIGEST_MD5, out), ENOENT);
	assert_int_equal(store_open(&ctl, f->dir), 0);
	assert_int_equal(store_user_add(ctl, "1001", "secret", realms2, 2), 0);
	assert_ha1(f->store, "1001", "example.com", "secret");
	assert_int_equal(store_user_del(ctl, "1001"), 0);
	assert_int_equal(lookup(f->store, "1001", "example.com", DIGEST_MD5, out), ENOENT);
	store_close(ctl);
}

/* ---- realms ---- */

static void test_realms(void **state)
{
	struct fixture *f = *state;
	const char *const first[] = { "b.example", "a.example", "b.example" };
	const char *const second[] = { "c.example" };
	struct names n = { "", 0 };

	assert_int_equal(store_realms_set(f->store, first, 3), 0);
	assert_int_equal(store_realms_each(f->store, collect_name, &n), 0);
	assert_string_equal(n.text, "a.example b.example ");
	assert_int_equal(store_realms_set(f->store, second, 1), 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(store_realms_each(f->store, collect_name, &n), 0);
	assert_string_equal(n.text, "c.example ");
}

/* ---- bindings ---- */

#define MAX_LOADED 8

struct loaded {
	struct {
		char aor[64], contact[128], call_id[64], transport[8], source[64], local[64];
		char instance[64], path[128], user_agent[64];
		uint32_t cseq;
		int64_t expires_at;
		int q, reg_id;
	} b[MAX_LOADED];
	int count;
};

static void collect_binding(const struct store_binding *b, void *arg)
{
	struct loaded *l = arg;
	assert_true(l->count < MAX_LOADED);
	int i = l->count++;
	snprintf(l->b[i].aor, sizeof(l->b[i].aor), "%s", b->aor);
	snprintf(l->b[i].contact, sizeof(l->b[i].contact), "%s", b->contact);
	snprintf(l->b[i].call_id, sizeof(l->b[i].call_id), "%s", b->call_id);
	snprintf(l->b[i].transport, sizeof(l->b[i].transport), "%s", b->transport);
	snprintf(l->b[i].source, sizeof(l->b[i].source), "%s", b->source);
	snprintf(l->b[i].local, sizeof(l->b[i].local), "%s", b->local);
	snprintf(l->b[i].instance, sizeof(l->b[i].instance), "%s", b->instance);
	snprintf(l->b[i].path, sizeof(l->b[i].path), "%s", b->path);
	snprintf(l->b[i].user_agent, sizeof(l->b[i].user_agent), "%s", b->user_agent);
	l->b[i].cseq = b->cseq;
	l->b[i].expires_at = b->expires_at;
	l->b[i].q = b->q;
	l->b[i].reg_id = b->reg_id;
}

static struct store_binding binding(const char *aor, const char *contact, int64_t expires_at)
{
	return (struct store_binding){
		.aor = aor, .contact = contact, .call_id = "a84b4c76e66710", .cseq = 314159,
		.expires_at = expires_at, .q = 1000, .transport = "UDP",
		.source = "192.0.2.4:5060", .local = "192.0.2.1:5060", .instance = "",
		.reg_id = 0, .path = "", .user_agent = "test",
	};
}

static void test_binding_round_trip(void **state)
{
	struct fixture *f = *state;
	struct loaded l = { .count = 0 };
	char aor[32], contact[64], call_id[32];

	/* Caller memory is transient: overwrite it before the flush. */
	strcpy(aor, "1001@example.com");
	strcpy(contact, "sip:1001@192.0.2.4:5060;transport=ws");
	strcpy(call_id, "cid-1");
	struct store_binding b = {
		.aor = aor, .contact = contact, .call_id = call_id, .cseq = UINT32_MAX,
		.expires_at = 2000000000, .q = 500, .transport = "WSS",
		.source = "[2001:db8::1]:443", .local = "[2001:db8::2]:8443",
		.instance = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>", .reg_id = 1,
		.path = "<sip:edge.example.com;lr>", .user_agent = "SIP.js/0.21",
	};
	assert_int_equal(store_binding_put(f->store, &b), 0);
	memset(aor, 'x', sizeof(aor) - 1);
	memset(contact, 'x', sizeof(contact) - 1);
	memset(call_id, 'x', sizeof(call_id) - 1);
	assert_int_equal(store_flush(f->store), 0);
	assert_int_equal(store_flush(f->store), 0); /* nothing queued */

	reopen(f);
	assert_int_equal(store_bindings_load(f->store, 1000, collect_binding, &l), 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.b[0].aor, "1001@example.com");
	assert_string_equal(l.b[0].contact, "sip:1001@192.0.2.4:5060;transport=ws");
	assert_string_equal(l.b[0].call_id, "cid-1");
	assert_int_equal(l.b[0].cseq, UINT32_MAX);
	assert_int_equal(l.b[0].expires_at, 2000000000);
	assert_int_equal(l.b[0].q, 500);
	assert_string_equal(l.b[0].transport, "WSS");
	assert_string_equal(l.b[0].source, "[2001:db8::1]:443");
	assert_string_equal(l.b[0].local, "[2001:db8::2]:8443");
	assert_string_equal(l.b[0].instance, "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
	assert_int_equal(l.b[0].reg_id, 1);
	assert_string_equal(l.b[0].path, "<sip:edge.example.com;lr>");
	assert_string_equal(l.b[0].user_agent, "SIP.js/0.21");
}

static void test_binding_replace_and_null_fields(void **state)
{
	struct fixture *f = *state;
	struct loaded l = { .count = 0 };
	struct store_binding b = binding("1001@example.com", "sip:1001@192.0.2.4", 5000);

	assert_int_equal(store_binding_put(f->store, &b), 0);
	b.cseq = 2;
	b.instance = NULL; /* absent optional fields are stored as "" */
	b.path = NULL;
	b.user_agent = NULL;
	assert_int_equal(store_binding_put(f->store, &b), 0);
	assert_int_equal(store_flush(f->store), 0);
	assert_int_equal(store_bindings_load(f->store, 1000, collect_binding, &l), 0);
	assert_int_equal(l.count, 1);
	assert_int_equal(l.b[0].cseq, 2);
	assert_string_equal(l.b[0].instance, "");
	assert_string_equal(l.b[0].path, "");
	assert_string_equal(l.b[0].user_agent, "");

	b.aor = "";
	assert_int_equal(store_binding_put(f->store, &b), EINVAL);
	assert_int_equal(store_binding_del(f->store, NULL, NULL), EINVAL);
}

static void test_binding_expired_purged(void **state)
{
	struct fixture *f = *state;
	struct loaded l = { .count = 0 };
	struct store_binding gone = binding("1001@example.com", "sip:1001@192.0.2.4", 1000);
	struct store_binding live = binding("1001@example.com", "sip:1001@192.0.2.5", 1001);

	assert_int_equal(store_binding_put(f->store, &gone), 0);
	assert_int_equal(store_binding_put(f->store, &live), 0);
	assert_int_equal(store_flush(f->store), 0);
	assert_int_equal(store_bindings_load(f->store, 1000, collect_binding, &l), 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.b[0].contact, "sip:1001@192.0.2.5");

	/* Purged, not only hidden: an earlier `now` does not bring it back. */
	l.count = 0;
	assert_int_equal(store_bindings_load(f->store, 0, collect_binding, &l), 0);
	assert_int_equal(l.count, 1);
}

static void test_binding_del(void **state)
{
	struct fixture *f = *state;
	struct loaded l = { .count = 0 };
	struct store_binding b;

	b = binding("1001@example.com", "sip:1001@192.0.2.4", 5000);
	assert_int_equal(store_binding_put(f->store, &b), 0);
	b = binding("1001@example.com", "sip:1001@192.0.2.5", 5000);
	assert_int_equal(store_binding_put(f->store, &b), 0);
	b = binding("1001@example.com", "sip:1001@192.0.2.6", 5000);
	assert_int_equal(store_binding_put(f->store, &b), 0);
	b = binding("1002@example.com", "sip:1002@192.0.2.7", 5000);
	assert_int_equal(store_binding_put(f->store, &b), 0);
	assert_int_equal(store_flush(f->store), 0);

	assert_int_equal(store_binding_del(f->store, "1001@example.com", NULL), 0);
	assert_int_equal(store_flush(f->store), 0);
	assert_int_equal(store_bindings_load(f->store, 1000, collect_binding, &l), 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.b[0].aor, "1002@example.com");

	/* Queued writes apply in order: put, then del of the same contact. */
	b = binding("1003@example.com", "sip:1003@192.0.2.8", 5000);
	assert_int_equal(store_binding_put(f->store, &b), 0);
	assert_int_equal(store_binding_del(f->store, "1003@example.com", "sip:1003@192.0.2.8"), 0);
	assert_int_equal(store_binding_del(f->store, "1002@example.com", "sip:1002@192.0.2.7"), 0);
	assert_int_equal(store_flush(f->store), 0);
	l.count = 0;
	assert_int_equal(store_bindings_load(f->store, 1000, collect_binding, &l), 0);
	assert_int_equal(l.count, 0);
}

/* While another process holds the write lock, flush returns at once and
 * keeps the writes for the next flush. */
static void test_flush_busy_keeps_queue(void **state)
{
	struct fixture *f = *state;
	struct loaded l = { .count = 0 };
	struct store_binding b = binding("1001@example.com", "sip:1001@192.0.2.4", 5000);
	sqlite3 *other = other_open(f);

	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_binding_put(f->store, &b), 0);
	assert_int_equal(store_flush(f->store), EBUSY);
	assert_int_equal(store_flush(f->store), EBUSY);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);

	assert_int_equal(store_flush(f->store), 0);
	reopen(f);
	assert_int_equal(store_bindings_load(f->store, 1000, collect_binding, &l), 0);
	assert_int_equal(l.count, 1);
}

/* Queued writes left at close are committed, not lost. */
static void test_close_flushes(void **state)
{
	struct fixture *f = *state;
	struct loaded l = { .count = 0 };
	struct store_binding b = binding("1001@example.com", "sip:1001@192.0.2.4", 5000);

	assert_int_equal(store_binding_put(f->store, &b), 0);
	reopen(f);
	assert_int_equal(store_bindings_load(f->store, 1000, collect_binding, &l), 0);
	assert_int_equal(l.count, 1);
}

/* ---- schema ---- */

static void test_reopen_persistence(void **state)
{
	struct fixture *f = *state;
	struct loaded l = { .count = 0 };
	const char *const realms[] = { "example.com" };
	struct store_binding b = binding("1001@example.com", "sip:1001@192.0.2.4", 5000);

	assert_int_equal(store_realms_set(f->store, realms, 1), 0);
	assert_int_equal(store_user_add(f->store, "1001", "secret", realms, 1), 0);
	assert_int_equal(store_binding_put(f->store, &b), 0);
	assert_int_equal(store_flush(f->store), 0);
	reopen(f);
	reopen(f); /* an up-to-date schema is left alone */
	assert_ha1(f->store, "1001", "example.com", "secret");
	assert_int_equal(store_bindings_load(f->store, 1000, collect_binding, &l), 0);
	assert_int_equal(l.count, 1);

	struct names n = { "", 0 };
	assert_int_equal(store_realms_each(f->store, collect_name, &n), 0);
	assert_string_equal(n.text, "example.com ");

	sqlite3 *other = other_open(f);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(other, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(other);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	sqlite3 *other = other_open(f);

	assert_int_equal(sqlite3_exec(other, "PRAGMA user_version=999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(store_open(&s, f->dir), ENOTSUP);
	assert_null(s);
}

static void test_open_creates_private_dir(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	char parent[96], dir[128];
	struct stat st;

	snprintf(parent, sizeof(parent), "%s/a", f->dir);
	snprintf(dir, sizeof(dir), "%s/b", parent);
	assert_int_equal(store_open(&s, dir), 0);
	store_close(s);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	remove_db(dir);
	rmdir(parent);
	assert_int_equal(store_open(&s, ""), EINVAL);
}

struct cdrs_read {
	size_t count;
	int64_t ids[4];
	char call_id[4][32], codec[4][32], ended_by[4][16];
	struct store_cdr cdr[4];
};

static void collect_cdr(const struct store_cdr *cdr, void *arg)
{
	struct cdrs_read *r = arg;
	if (r->count == 4)
		return;
	r->cdr[r->count] = *cdr;
	snprintf(r->call_id[r->count], sizeof(r->call_id[0]), "%s", cdr->call_id);
	snprintf(r->codec[r->count], sizeof(r->codec[0]), "%s", cdr->codec);
	snprintf(r->ended_by[r->count], sizeof(r->ended_by[0]), "%s", cdr->ended_by);
	r->count++;
}

/* CDRs are queued with the binding writes, survive a reopen and come back
 * newest first, limited, with every field; the caller's strings are
 * copied at once. */
static void test_cdr_round_trip(void **state)
{
	struct fixture *f = *state;
	struct cdrs_read r = { .count = 0 };
	char call_id[32];

	strcpy(call_id, "cdr-1");
	struct store_cdr first = {
		.call_id = call_id, .caller = "sip:1001@example.com", .callee = "sip:1002@example.com",
		.start_ms = 1700000000000, .answer_ms = 1700000003000, .end_ms = 1700000063000,
		.disposition = "answered", .status = 200, .ended_by = "callee", .anchored = true,
		.codec = "PCMU/8000",
		.caller_leg = { .packets_received = 3000, .packets_sent = 2999, .lost = 1,
				.jitter_ms = 1.5, .rtt_ms = 42.5, .mos = 4.4 },
		.callee_leg = { .packets_received = 2999, .packets_sent = 3000, .lost = 0,
				.jitter_ms = 0.5, .mos = 4.3 },
	};
	struct store_cdr second = {
		.call_id = "cdr-2", .caller = "sip:1002@example.com", .callee = "sip:1001@example.com",
		.start_ms = 1700000100000, .end_ms = 1700000105000, .disposition = "busy",
		.status = 486, .ended_by = "", .codec = "",
	};
	assert_int_equal(store_cdr_put(f->store, &first), 0);
	memset(call_id, 'x', sizeof(call_id) - 1);
	assert_int_equal(store_cdr_put(f->store, &second), 0);
	assert_int_equal(store_flush(f->store), 0);

	reopen(f);
	assert_int_equal(store_cdrs_each(f->store, 10, collect_cdr, &r), 0);
	assert_int_equal(r.count, 2);
	assert_string_equal(r.call_id[0], "cdr-2"); /* newest first */
	assert_int_equal(r.cdr[0].status, 486);
	assert_int_equal(r.cdr[0].answer_ms, 0);
	assert_false(r.cdr[0].anchored);
	assert_string_equal(r.call_id[1], "cdr-1");
	assert_string_equal(r.codec[1], "PCMU/8000");
	assert_string_equal(r.ended_by[1], "callee");
	assert_true(r.cdr[1].anchored);
	assert_int_equal(r.cdr[1].start_ms, 1700000000000);
	assert_int_equal(r.cdr[1].answer_ms, 1700000003000);
	assert_int_equal(r.cdr[1].end_ms, 1700000063000);
	assert_int_equal(r.cdr[1].caller_leg.packets_received, 3000);
	assert_int_equal(r.cdr[1].caller_leg.lost, 1);
	assert_true(r.cdr[1].caller_leg.mos > 4.39 && r.cdr[1].caller_leg.mos < 4.41);
	assert_true(r.cdr[1].caller_leg.rtt_ms > 42.49 && r.cdr[1].caller_leg.rtt_ms < 42.51);
	assert_true(r.cdr[1].callee_leg.rtt_ms == 0);
	assert_int_equal(r.cdr[1].callee_leg.packets_sent, 3000);
	assert_true(r.cdr[1].callee_leg.jitter_ms > 0.49 && r.cdr[1].callee_leg.jitter_ms < 0.51);
	assert_true(r.cdr[1].id < r.cdr[0].id);

	r.count = 0;
	assert_int_equal(store_cdrs_each(f->store, 1, collect_cdr, &r), 0);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.call_id[0], "cdr-2");
}

/* SQLite, OpenSSL's digests (HA1) and the C library's time zone (read at
 * the log's first line) are set up on first use and kept: do that before
 * the per-test accounting starts. */
static int warm_up(void **state)
{
	(void)state;
	log_notice("test_store: starting");
	return leak_warm_up(&store_fixture, test_user_add_ha1);
}

int main(void)
{
#define T(name) leak_test(name, &store_fixture)
	const struct CMUnitTest tests[] = {
		T(test_user_add_ha1),
		T(test_user_unknown),
		T(test_user_replace),
		T(test_user_del),
		T(test_user_list),
		T(test_user_name_invalid),
		T(test_transaction),
		T(test_user_seen_by_other_connection),
		T(test_realms),
		T(test_binding_round_trip),
		T(test_cdr_round_trip),
		T(test_binding_replace_and_null_fields),
		T(test_binding_expired_purged),
		T(test_binding_del),
		T(test_flush_busy_keeps_queue),
		T(test_close_flushes),
		T(test_reopen_persistence),
		T(test_newer_schema_refused),
		T(test_open_creates_private_dir),
	};
#undef T
	return cmocka_run_group_tests(tests, warm_up, NULL);
}
