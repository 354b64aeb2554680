/* Features, tags and notes of a qube: one row each, one transaction per
 * change (a single statement is its own transaction in SQLite). */
#include "dom0/qvmd/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int step_done(struct store *s, sqlite3_stmt *st, struct qerr *e)
{
    int r = sqlite3_step(st);

    sqlite3_reset(st);
    if (r != SQLITE_DONE)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    return 0;
}

int store_feature_get(struct store *s, int qid, const char *key, char *val, size_t valsz)
{
    static const char sql[] = "SELECT value FROM features WHERE qid=? AND name=?";
    sqlite3_stmt *st = stmt(s, sql);
    int r;

    if (!st)
        return -EIO;
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        snprintf(val, valsz, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? -ENOENT : -EIO;
}

int store_feature_list(struct store *s, int qid, int (*cb)(void *ctx, const char *k, const char *v),
                       void *ctx)
{
    static const char sql[] = "SELECT name, value FROM features WHERE qid=? ORDER BY name";
    sqlite3_stmt *st = stmt(s, sql);
    int r = 0;

    if (!st)
        return -EIO;
    sqlite3_bind_int(st, 1, qid);
    while (!r && sqlite3_step(st) == SQLITE_ROW)
        r = cb(ctx, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    return r;
}

int store_feature_set(struct store *s, int qid, const char *key, const char *val, char *old,
                      size_t oldsz, bool *had, struct qerr *e)
{
    static const char sql[] = "INSERT OR REPLACE INTO features VALUES(?, ?, ?)";
    sqlite3_stmt *st;
    size_t n = strlen(val);

    if (!store_key_ok(key))
        return qerr_set(e, "QubesValueError",
                        "invalid feature name (letters, digits, '_', '.', "
                        "'-'; at most 64)");
    if (n > 1024)
        return qerr_set(e, "QubesValueError", "feature value too long (at most 1024)");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)val[i] < 0x20 || (unsigned char)val[i] > 0x7e)
            return qerr_set(e, "QubesValueError", "feature value must be printable ASCII");
    if (tx_begin(s, e) < 0)
        return -1;
    *had = store_feature_get(s, qid, key, old, oldsz) == 0;
    if (!*had)
        old[0] = 0;
    st = stmt(s, sql);
    if (!st) {
        tx_rollback(s);
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    }
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, val, -1, SQLITE_STATIC);
    if (step_done(s, st, e) < 0 || tx_commit(s, e) < 0) {
        tx_rollback(s);
        return -1;
    }
    return !*had || strcmp(old, val);
}

int store_feature_remove(struct store *s, int qid, const char *key, struct qerr *e)
{
    static const char sql[] = "DELETE FROM features WHERE qid=? AND name=?";
    sqlite3_stmt *st = stmt(s, sql);

    if (!st)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (step_done(s, st, e) < 0)
        return -1;
    if (sqlite3_changes(s->db) == 0)
        return qerr_set(e, "QubesFeatureNotFoundError", "no such feature: %s", key);
    return 0;
}

int store_feature_with_template(struct store *s, const struct vm_info *vm, const char *key,
                                char *val, size_t valsz)
{
    struct vm_info cur = *vm;
    char t[64];

    for (int depth = 0; depth < 4; depth++) {
        if (store_feature_get(s, cur.qid, key, val, valsz) == 0)
            return 0;
        if (prop_explicit(s, cur.qid, "template", t, sizeof(t)) != 1 ||
            store_vm_find(s, t, &cur) < 0)
            break;
    }
    return -ENOENT;
}

int store_tag_has(struct store *s, int qid, const char *tag)
{
    static const char sql[] = "SELECT 1 FROM tags WHERE qid=? AND tag=?";
    sqlite3_stmt *st = stmt(s, sql);
    int r;

    if (!st)
        return -EIO;
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_ROW;
}

int store_tag_list(struct store *s, int qid, int (*cb)(void *ctx, const char *tag), void *ctx)
{
    static const char sql[] = "SELECT tag FROM tags WHERE qid=? ORDER BY tag";
    sqlite3_stmt *st = stmt(s, sql);
    int r = 0;

    if (!st)
        return -EIO;
    sqlite3_bind_int(st, 1, qid);
    while (!r && sqlite3_step(st) == SQLITE_ROW)
        r = cb(ctx, (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return r;
}

int store_tag_set(struct store *s, int qid, const char *tag, struct qerr *e)
{
    static const char sql[] = "INSERT OR IGNORE INTO tags VALUES(?, ?)";
    sqlite3_stmt *st = stmt(s, sql);

    if (!store_key_ok(tag))
        return qerr_set(e, "QubesValueError",
                        "invalid tag (letters, digits, '_', '.', '-'; at "
                        "most 64)");
    if (!st)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
    if (step_done(s, st, e) < 0)
        return -1;
    return sqlite3_changes(s->db) > 0;
}

int store_tag_remove(struct store *s, int qid, const char *tag, struct qerr *e)
{
    static const char sql[] = "DELETE FROM tags WHERE qid=? AND tag=?";
    sqlite3_stmt *st = stmt(s, sql);

    if (!st)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
    if (step_done(s, st, e) < 0)
        return -1;
    if (sqlite3_changes(s->db) == 0)
        return qerr_set(e, "QubesTagNotFoundError", "no such tag: %s", tag);
    return 0;
}

int store_notes_get(struct store *s, int qid, char **text)
{
    static const char sql[] = "SELECT text FROM notes WHERE qid=?";
    sqlite3_stmt *st = stmt(s, sql);
    int r;

    if (!st)
        return -EIO;
    sqlite3_bind_int(st, 1, qid);
    r = sqlite3_step(st);
    *text = strdup(r == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "");
    sqlite3_reset(st);
    return *text ? 0 : -ENOMEM;
}

int store_notes_set(struct store *s, int qid, const char *text, size_t len, struct qerr *e)
{
    static const char sql[] = "INSERT OR REPLACE INTO notes VALUES(?, ?)";
    sqlite3_stmt *st = stmt(s, sql);

    if (len > STORE_NOTES_MAX)
        return qerr_set(e, "QubesValueError", "notes too long (at most %d bytes)", STORE_NOTES_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        /* text for people: no control characters but newline and tab */
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            return qerr_set(e, "QubesValueError", "notes may not hold control characters");
    }
    if (!st)
        return qerr_set(e, "QubesException", "database: %s", sqlite3_errmsg(s->db));
    sqlite3_bind_int(st, 1, qid);
    sqlite3_bind_text(st, 2, text, (int)len, SQLITE_STATIC);
    return step_done(s, st, e);
}
