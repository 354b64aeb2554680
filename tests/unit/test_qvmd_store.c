/* qvmd's store and its rules (dom0/qvmd/props.c, store*.c): every
 * property's rules, defaults and inheritance, the relations (template,
 * netvm, in use), and the schema migration. Each test has its own database
 * in a temporary directory. */
#include "dom0/qvmd/props.h"
#include "dom0/qvmd/store.h"
#include "dom0/qvmd/store_storage.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

static char dir[64];

static struct store *fresh(int upto)
{
    char path[128], err[256];
    struct store *s;

    snprintf(dir, sizeof(dir), "/tmp/qvmd-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/q.db", dir);
    assert_int_equal(store_open(path, upto, &s, err, sizeof(err)), 0);
    store_set_host_mem(s, 16000);
    return s;
}

static void done(struct store *s)
{
    char cmd[128], err[256];
    if (store_version(s) == STORE_SCHEMA_VERSION)
        assert_int_equal(store_check(s, err, sizeof(err)), 0);
    store_close(s);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static const char *get(struct store *s, const char *vm, const char *prop, bool *d)
{
    static char v[STORE_VALUE_MAX];
    struct vm_info info;
    struct qerr e;
    bool dd;

    if (vm)
        assert_int_equal(store_vm_find(s, vm, &info), 0);
    assert_int_equal(
        store_prop_get(s, vm ? &info : NULL, prop, v, sizeof(v), d ? d : &dd, NULL, &e), 0);
    return v;
}

static int set(struct store *s, const char *vm, const char *prop, const char *val, struct qerr *e)
{
    char o[STORE_VALUE_MAX], n[STORE_VALUE_MAX];
    struct vm_info info;

    if (vm)
        assert_int_equal(store_vm_find(s, vm, &info), 0);
    return store_prop_set(s, vm ? &info : NULL, prop, val, o, n, sizeof(o), e);
}

/* fedora (template), work (AppVM), sys-net (provides network), dvm (a
 * disposable template) */
static struct store *world(void)
{
    struct store *s = fresh(0);
    struct qerr e;

    assert_int_equal(store_vm_create(s, VC_TEMPLATE, "fedora", "black", "", &e), 0);
    assert_int_equal(store_vm_create(s, VC_APP, "work", "blue", "fedora", &e), 0);
    assert_int_equal(store_vm_create(s, VC_APP, "sys-net", "red", "fedora", &e), 0);
    assert_int_equal(set(s, "sys-net", "provides_network", "yes", &e), 0);
    assert_int_equal(store_vm_create(s, VC_APP, "dvm", "red", "fedora", &e), 0);
    assert_int_equal(set(s, "dvm", "template_for_dispvms", "True", &e), 0);
    return s;
}

static void test_rule_values(void **state)
{
    char out[STORE_VALUE_MAX], err[256];
    const struct prop_def *d;
    struct {
        const char *prop, *in, *out; /* out NULL: refused */
    } cases[] = {
        {"memory", "400", "400"},
        {"memory", "31", NULL},
        {"memory", "1048577", NULL},
        {"memory", "-5", NULL},
        {"memory", "4x", NULL},
        {"memory", "", NULL},
        {"maxmem", "0", "0"},
        {"vcpus", "0", NULL},
        {"vcpus", "128", "128"},
        {"vcpus", "129", NULL},
        {"qrexec_timeout", "1", "1"},
        {"qrexec_timeout", "0", NULL},
        {"shutdown_timeout", "3601", NULL},
        {"autostart", "yes", "True"},
        {"autostart", "False", "False"},
        {"autostart", "maybe", NULL},
        {"provides_network", "1", "True"},
        {"include_in_backups", "off", "False"},
        {"template_for_dispvms", "TRUE", "True"},
        {"label", "red", "red"},
        {"label", "pink", NULL},
        {"netvm", "", ""},
        {"netvm", "sys-net", "sys-net"},
        {"netvm", "bad name", NULL},
        {"template", "x-dm", NULL},
        {"default_dispvm", "dvm", "dvm"},
        {"virt_mode", "pvh", "pvh"},
        {"virt_mode", "hvm", "hvm"},
        {"virt_mode", "xen", NULL},
        {"kernel", "", ""},
        {"kernel", "6.1.0", "6.1.0"},
        {"kernel", "../etc", NULL},
        {"kernel", "a/b", NULL},
        {"kernelopts", "nopat quiet", "nopat quiet"},
        {"kernelopts", "a\nb", NULL},
        {"default_user", "user", "user"},
        {"default_user", "Root", NULL},
        {"default_user", "a b", NULL},
        {"uuid", "5f39cf22-5c79-4940-8781-f89b8da59109", "5f39cf22-5c79-4940-8781-f89b8da59109"},
        {"uuid", "5f39cf22", NULL},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool ok;
        d = prop_find(vm_props, vm_props_count, cases[i].prop);
        assert_non_null(d);
        ok = rule_value(d, cases[i].in, out, sizeof(out), err, sizeof(err));
        if (ok != (cases[i].out != NULL))
            fail_msg("%s=%s: %s", cases[i].prop, cases[i].in, ok ? "accepted" : err);
        if (ok)
            assert_string_equal(out, cases[i].out);
    }
    d = prop_find(global_props, global_props_count, "default_qrexec_timeout");
    assert_false(rule_value(d, "0", out, sizeof(out), err, sizeof(err)));
}

static void test_rule_names_and_relations(void **state)
{
    char err[256];
    (void)state;

    assert_true(rule_vm_name("work", err, sizeof(err)));
    assert_true(rule_vm_name("a1_b.c-d", err, sizeof(err)));
    assert_false(rule_vm_name("dom0", err, sizeof(err)));
    assert_false(rule_vm_name("1abc", err, sizeof(err)));
    assert_false(rule_vm_name("none", err, sizeof(err)));
    assert_false(rule_vm_name("default", err, sizeof(err)));
    assert_false(rule_vm_name("x-dm", err, sizeof(err)));
    assert_false(rule_vm_name("abcdefghijabcdefghijabcdefghijab", err, sizeof(err)));
    assert_false(rule_vm_name("a b", err, sizeof(err)));
    assert_true(rule_template(VC_APP, VC_TEMPLATE, false, "t", err, sizeof(err)));
    assert_false(rule_template(VC_APP, VC_APP, false, "t", err, sizeof(err)));
    assert_true(rule_template(VC_DISP, VC_APP, true, "t", err, sizeof(err)));
    assert_false(rule_template(VC_DISP, VC_APP, false, "t", err, sizeof(err)));
    assert_false(rule_template(VC_STANDALONE, VC_TEMPLATE, false, "t", err, sizeof(err)));
    assert_true(rule_dispvm_base(VC_APP, true, "d", err, sizeof(err)));
    assert_false(rule_dispvm_base(VC_TEMPLATE, true, "d", err, sizeof(err)));
    assert_true(rule_memory(400, 0, err, sizeof(err)));
    assert_true(rule_memory(400, 400, err, sizeof(err)));
    assert_false(rule_memory(400, 399, err, sizeof(err)));
    assert_non_null(label_find("gray"));
    assert_int_equal(label_find("black")->index, 8);
    assert_int_equal(vm_class_parse("DispVM"), VC_DISP);
    assert_int_equal(vm_class_parse("Nope"), -1);
    assert_true(vol_rules(VC_APP)[0].snap_on_start);
    assert_true(vol_rules(VC_TEMPLATE)[0].save_on_stop);
}

static void test_defaults_and_inheritance(void **state)
{
    struct store *s = world();
    struct qerr e;
    bool d;
    (void)state;

    assert_string_equal(get(s, "work", "memory", &d), "400");
    assert_true(d);
    assert_string_equal(get(s, "work", "vcpus", NULL), "2");
    assert_string_equal(get(s, "work", "qrexec_timeout", NULL), "60");
    assert_string_equal(get(s, "work", "default_user", NULL), "user");
    assert_string_equal(get(s, "work", "maxmem", NULL), "4000");
    /* from the template */
    assert_int_equal(set(s, "fedora", "memory", "1000", &e), 0);
    assert_int_equal(set(s, "fedora", "kernelopts", "quiet", &e), 0);
    assert_string_equal(get(s, "work", "memory", &d), "1000");
    assert_true(d);
    assert_string_equal(get(s, "work", "kernelopts", NULL), "quiet");
    /* maxmem is capped at half the host's memory (16000 MiB here) */
    assert_string_equal(get(s, "fedora", "maxmem", NULL), "8000");
    /* from the globals */
    assert_int_equal(set(s, NULL, "default_qrexec_timeout", "90", &e), 0);
    assert_string_equal(get(s, "fedora", "qrexec_timeout", NULL), "90");
    assert_string_equal(get(s, "work", "qrexec_timeout", NULL), "90");
    assert_int_equal(set(s, NULL, "default_netvm", "sys-net", &e), 0);
    assert_string_equal(get(s, "work", "netvm", &d), "sys-net");
    assert_true(d);
    assert_string_equal(get(s, "fedora", "netvm", NULL), "");  /* templates: none */
    assert_string_equal(get(s, "sys-net", "netvm", NULL), ""); /* never itself */
    /* an explicit value wins, and reset brings the default back */
    assert_int_equal(set(s, "work", "memory", "500", &e), 0);
    assert_string_equal(get(s, "work", "memory", &d), "500");
    assert_false(d);
    {
        struct vm_info w;
        char old[64];
        assert_int_equal(store_vm_find(s, "work", &w), 0);
        assert_int_equal(store_prop_reset(s, &w, "memory", old, sizeof(old), &e), 0);
        assert_string_equal(old, "500");
        assert_int_equal(store_prop_reset(s, &w, "template", old, sizeof(old), &e), -1);
    }
    assert_string_equal(get(s, "work", "memory", NULL), "1000");
    /* DispVM: from its disposable template */
    assert_int_equal(store_vm_create(s, VC_DISP, "disp1", "red", "dvm", &e), 0);
    assert_int_equal(set(s, "dvm", "netvm", "", &e), 0);
    assert_string_equal(get(s, "disp1", "netvm", NULL), "");
    assert_string_equal(get(s, "disp1", "memory", NULL), "1000");
    assert_string_equal(get(s, "disp1", "include_in_backups", NULL), "False");
    /* a disposable template stays one while a disposable uses it */
    assert_int_equal(set(s, "dvm", "template_for_dispvms", "False", &e), -1);
    assert_non_null(strstr(e.msg, "disposable disp1"));
    assert_string_equal(get(s, NULL, "stats_interval", &d), "3");
    assert_true(d);
    done(s);
}

static void test_bad_changes(void **state)
{
    struct store *s = world();
    struct vm_info dom0;
    struct qerr e;
    (void)state;

    assert_int_equal(set(s, "work", "memory", "abc", &e), -1);
    assert_string_equal(e.type, "QubesValueError");
    assert_int_equal(set(s, "work", "nosuch", "1", &e), -1);
    assert_string_equal(e.type, "QubesNoSuchPropertyError");
    assert_int_equal(set(s, "fedora", "template", "fedora", &e), -1); /* templates have none */
    assert_int_equal(set(s, "work", "qid", "7", &e), -1);
    assert_string_equal(e.type, "QubesPropertyAccessError");
    assert_int_equal(set(s, "work", "template", "work", &e), -1);
    assert_non_null(strstr(e.msg, "not a TemplateVM"));
    assert_int_equal(set(s, "work", "template", "ghost", &e), -1);
    assert_int_equal(set(s, "work", "netvm", "fedora", &e), -1);
    assert_non_null(strstr(e.msg, "does not provide network"));
    assert_int_equal(set(s, "work", "default_dispvm", "work", &e), -1);
    assert_int_equal(set(s, NULL, "default_template", "work", &e), -1);
    assert_int_equal(set(s, NULL, "default_netvm", "work", &e), -1);
    /* netvm loops: direct, and closed through a default */
    assert_int_equal(store_vm_create(s, VC_APP, "sys-fw", "green", "fedora", &e), 0);
    assert_int_equal(set(s, "sys-fw", "provides_network", "True", &e), 0);
    assert_int_equal(set(s, "sys-fw", "netvm", "sys-net", &e), 0);
    assert_int_equal(set(s, "sys-net", "netvm", "sys-fw", &e), -1);
    assert_non_null(strstr(e.msg, "loop"));
    assert_int_equal(set(s, NULL, "default_netvm", "sys-fw", &e), -1);
    assert_string_equal(get(s, "sys-net", "netvm", NULL), "");
    /* memory against an explicit maxmem */
    assert_int_equal(set(s, "work", "maxmem", "1000", &e), 0);
    assert_int_equal(set(s, "work", "memory", "2000", &e), -1);
    assert_int_equal(set(s, "work", "maxmem", "100", &e), -1);
    assert_int_equal(set(s, "work", "maxmem", "0", &e), 0);
    /* creation */
    assert_int_equal(store_vm_create(s, VC_APP, "work", "red", "fedora", &e), -1);
    assert_non_null(strstr(e.msg, "already exists"));
    assert_int_equal(store_vm_create(s, VC_APP, "dom0", "red", "fedora", &e), -1);
    assert_int_equal(store_vm_create(s, VC_APP, "-x", "red", "fedora", &e), -1);
    assert_int_equal(store_vm_create(s, VC_APP, "x", "pink", "fedora", &e), -1);
    assert_int_equal(store_vm_create(s, VC_APP, "x", "red", "work", &e), -1);
    assert_int_equal(store_vm_create(s, VC_APP, "x", "red", "", &e), -1); /* no default */
    assert_int_equal(store_vm_create(s, VC_ADMIN, "x", "red", "", &e), -1);
    assert_int_equal(store_vm_create(s, VC_DISP, "x", "red", "work", &e), -1);
    assert_int_equal(store_vm_create(s, VC_STANDALONE, "x", "red", "fedora", &e), -1);
    assert_int_equal(store_vm_find(s, "x", &dom0), -2);
    /* removal */
    assert_int_equal(store_vm_remove(s, "dom0", &e), -1);
    assert_int_equal(store_vm_remove(s, "fedora", &e), -1);
    assert_string_equal(e.type, "QubesVMInUseError");
    assert_non_null(strstr(e.msg, "work (template)"));
    assert_non_null(strstr(e.msg, "sys-net (template)"));
    assert_int_equal(store_vm_remove(s, "sys-net", &e), -1); /* sys-fw's netvm */
    assert_int_equal(store_vm_remove(s, "ghost", &e), -1);
    assert_string_equal(e.type, "QubesVMNotFoundError");
    assert_int_equal(store_vm_remove(s, "work", &e), 0);
    done(s);
}

/* The lifecycle's stand-in: the qube in ctx runs as domain 7. */
static int fake_domid(void *ctx, int qid)
{
    return qid == ((const struct vm_info *)ctx)->qid ? 7 : -1;
}

/* xid: read-only, from whoever knows what runs; never in the database. */
static void test_xid(void **state)
{
    struct store *s = world();
    struct vm_info work;
    struct qerr e;
    char v[64];
    bool d = true;
    (void)state;

    assert_string_equal(get(s, "work", "xid", &d), "-1"); /* no source: nothing runs */
    assert_false(d);
    assert_string_equal(get(s, "dom0", "xid", NULL), "0");
    assert_int_equal(store_vm_find(s, "work", &work), 0);
    store_set_domid_source(s, fake_domid, &work);
    assert_string_equal(get(s, "work", "xid", NULL), "7");
    assert_string_equal(get(s, "fedora", "xid", NULL), "-1");
    assert_string_equal(get(s, "dom0", "xid", NULL), "0");
    assert_int_equal(set(s, "work", "xid", "3", &e), -1);
    assert_string_equal(e.type, "QubesPropertyAccessError");
    assert_int_equal(store_prop_reset(s, &work, "xid", v, sizeof(v), &e), -1);
    assert_string_equal(e.type, "QubesPropertyAccessError");
    assert_int_equal(store_prop_default(s, &work, "xid", v, sizeof(v), &e), -1);
    assert_int_equal(set(s, NULL, "xid", "3", &e), -1); /* not a global */
    assert_string_equal(e.type, "QubesNoSuchPropertyError");
    /* a clone does not run, whatever its source does */
    assert_int_equal(store_vm_clone(s, "work", "work-copy", &e), 0);
    assert_string_equal(get(s, "work-copy", "xid", NULL), "-1");
    store_set_domid_source(s, NULL, NULL);
    assert_string_equal(get(s, "work", "xid", NULL), "-1");
    done(s);
}

static void test_clone_features_tags_notes(void **state)
{
    struct store *s = world();
    struct vm_info w, c;
    struct qerr e;
    char v[64], *notes;
    bool had;
    (void)state;

    assert_int_equal(store_vm_find(s, "work", &w), 0);
    assert_int_equal(set(s, "work", "memory", "700", &e), 0);
    assert_int_equal(store_feature_set(s, w.qid, "service.cups", "1", v, sizeof(v), &had, &e), 1);
    assert_false(had);
    assert_int_equal(store_feature_set(s, w.qid, "service.cups", "1", v, sizeof(v), &had, &e), 0);
    assert_int_equal(store_feature_set(s, w.qid, "bad key", "1", v, sizeof(v), &had, &e), -1);
    assert_int_equal(store_tag_set(s, w.qid, "office", &e), 1);
    assert_int_equal(store_tag_set(s, w.qid, "office", &e), 0);
    assert_int_equal(store_tag_set(s, w.qid, "bad/tag", &e), -1);
    assert_int_equal(store_notes_set(s, w.qid, "hello\nworld", 11, &e), 0);
    assert_int_equal(store_notes_set(s, w.qid, "\x01", 1, &e), -1);
    assert_int_equal(store_vm_clone(s, "work", "work2", &e), 0);
    assert_int_equal(store_vm_clone(s, "work", "work2", &e), -1);
    assert_int_equal(store_vm_clone(s, "dom0", "x", &e), -1);
    assert_int_equal(store_vm_find(s, "work2", &c), 0);
    assert_int_equal(c.cls, VC_APP);
    assert_string_not_equal(c.uuid, w.uuid);
    assert_string_equal(get(s, "work2", "memory", NULL), "700");
    assert_string_equal(get(s, "work2", "label", NULL), "blue");
    assert_int_equal(store_feature_get(s, c.qid, "service.cups", v, sizeof(v)), 0);
    assert_int_equal(store_tag_has(s, c.qid, "office"), 1);
    assert_int_equal(store_notes_get(s, c.qid, &notes), 0);
    assert_string_equal(notes, "hello\nworld");
    free(notes);
    /* features through the template */
    {
        struct vm_info f;
        assert_int_equal(store_vm_find(s, "fedora", &f), 0);
        assert_int_equal(store_feature_set(s, f.qid, "os", "Linux", v, sizeof(v), &had, &e), 1);
        assert_int_equal(store_feature_with_template(s, &w, "os", v, sizeof(v)), 0);
        assert_string_equal(v, "Linux");
        assert_int_equal(store_feature_get(s, w.qid, "os", v, sizeof(v)), -2);
    }
    assert_int_equal(store_feature_remove(s, w.qid, "service.cups", &e), 0);
    assert_int_equal(store_feature_remove(s, w.qid, "service.cups", &e), -1);
    assert_int_equal(store_tag_remove(s, w.qid, "office", &e), 0);
    assert_int_equal(store_tag_remove(s, w.qid, "office", &e), -1);
    /* qids are reused from the lowest free one */
    assert_int_equal(store_vm_remove(s, "work", &e), 0);
    assert_int_equal(store_vm_create(s, VC_STANDALONE, "solo", "green", "", &e), 0);
    assert_int_equal(store_vm_find(s, "solo", &c), 0);
    assert_int_equal(c.qid, w.qid);
    done(s);
}

static void test_migration(void **state)
{
    struct store *s = fresh(1);
    char path[128], err[256];
    sqlite3 *db;
    (void)state;

    /* a version-1 database with a grey qube */
    assert_int_equal(store_version(s), 1);
    store_close(s);
    snprintf(path, sizeof(path), "%s/q.db", dir);
    assert_int_equal(sqlite3_open(path, &db), 0);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO vms VALUES(3,'old','StandaloneVM',"
                                  "'5f39cf22-5c79-4940-8781-f89b8da59109');"
                                  "INSERT INTO vm_props VALUES(3,'label','grey');",
                                  NULL, NULL, NULL),
                     0);
    sqlite3_close(db);
    assert_int_equal(store_open(path, 0, &s, err, sizeof(err)), 0);
    assert_int_equal(store_version(s), STORE_SCHEMA_VERSION);
    assert_string_equal(get(s, "old", "label", NULL), "gray");
    done(s); /* store_check: volumes were filled in for the old qube */
}

/* Damage done behind qvmd's back (qvmd holds the database exclusively
 * while it runs, so the damage is done between runs) is found by the check. */
static void corrupt(struct store **s, const char *path, const char *sql)
{
    char err[256];
    sqlite3 *db;

    store_close(*s);
    assert_int_equal(sqlite3_open(path, &db), 0);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), 0);
    sqlite3_close(db);
    assert_int_equal(store_open(path, 0, s, err, sizeof(err)), 0);
}

static void test_check_detects(void **state)
{
    struct store *s = world();
    char path[128], err[256];
    (void)state;

    snprintf(path, sizeof(path), "%s/q.db", dir);
    corrupt(&s, path,
            "DELETE FROM vm_props WHERE name='template' AND qid="
            "(SELECT qid FROM vms WHERE name='work')");
    assert_int_equal(store_check(s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "template"));
    corrupt(&s, path, "DELETE FROM vms WHERE name='work'");
    /* rows left behind without the cascade */
    assert_int_equal(store_check(s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "foreign_key_check"));
    corrupt(&s, path,
            "DELETE FROM vm_props WHERE qid NOT IN (SELECT qid FROM vms);"
            "DELETE FROM volumes WHERE qid NOT IN (SELECT qid FROM vms)");
    assert_int_equal(store_check(s, err, sizeof(err)), 0);
    done(s);
}

/* Schema v3: the default pools next to the database, the volumes' pools,
 * the default_pool* globals, and what the check finds. */
static void test_storage_tables(void **state)
{
    struct store *s = world();
    struct store_pool p, np = {"fast", "file-reflink", "dir_path=/srv/fast\n"};
    struct store_volume v[VOL_COUNT];
    struct vm_info work, fed;
    char path[128], err[256], want[256];
    struct qerr e;
    (void)state;

    assert_int_equal(store_pool_get(s, "varlibqubes", &p), 0);
    assert_string_equal(p.driver, "file-reflink");
    snprintf(want, sizeof(want),
             "dir_path=%s/vm-pool\nephemeral_volatile=False\nrevisions_to_keep=1\n"
             "setup_check=False\n",
             dir);
    assert_string_equal(p.options, want);
    assert_int_equal(store_pool_get(s, "linux-kernel", &p), 0);
    assert_int_equal(store_pool_get(s, "nosuch", NULL), -ENOENT);

    /* globals resolve to pool names */
    assert_string_equal(get(s, NULL, "default_pool", NULL), "varlibqubes");
    assert_string_equal(get(s, NULL, "default_pool_private", NULL), "varlibqubes");
    assert_string_equal(get(s, NULL, "default_pool_kernel", NULL), "linux-kernel");
    assert_int_equal(set(s, NULL, "default_pool", "nosuch", &e), -1);
    assert_non_null(strstr(e.msg, "no such pool"));

    /* a new qube's volumes: default_pool_<volume>, snapshots where the
     * source is, kernel in linux-kernel */
    assert_int_equal(store_pool_add(s, &np, &e), 0);
    assert_int_equal(store_pool_add(s, &np, &e), -1);
    assert_int_equal(set(s, NULL, "default_pool", "fast", &e), 0);
    assert_string_equal(get(s, NULL, "default_pool_root", NULL), "fast");
    assert_int_equal(store_vm_create(s, VC_APP, "new", "red", "fedora", &e), 0);
    assert_int_equal(store_vm_find(s, "new", &work), 0);
    assert_int_equal(store_volume_list(s, work.qid, v, VOL_COUNT), 4);
    assert_string_equal(v[0].volume, "root");
    assert_string_equal(v[0].pool, "varlibqubes"); /* fedora's root is there */
    assert_string_equal(v[1].pool, "fast");
    assert_string_equal(v[2].pool, "fast");
    assert_string_equal(v[3].pool, "linux-kernel");
    assert_int_equal(v[1].revisions_to_keep, -1);

    /* settings, and clones keep the pools */
    assert_int_equal(store_volume_set(s, work.qid, "private", "revisions_to_keep", 3, &e), 0);
    assert_int_equal(store_volume_set(s, work.qid, "private", "revisions_to_keep", 101, &e), -1);
    assert_int_equal(store_volume_set(s, work.qid, "private", "size", 1 << 30, &e), 0);
    assert_int_equal(store_volume_set(s, work.qid, "nosuch", "size", 1, &e), -1);
    assert_int_equal(store_vm_clone(s, "new", "new2", &e), 0);
    assert_int_equal(store_vm_find(s, "new2", &fed), 0);
    assert_int_equal(store_volume_get(s, fed.qid, "private", &v[0]), 0);
    assert_string_equal(v[0].pool, "fast");
    assert_int_equal(v[0].revisions_to_keep, 3);
    assert_true(v[0].size == 1 << 30);

    /* a pool in use, by a volume or a global, stays */
    assert_int_equal(store_pool_remove(s, "fast", &e), -1);
    assert_non_null(strstr(e.msg, "in use"));
    assert_int_equal(store_vm_remove(s, "new", &e), 0);
    assert_int_equal(store_vm_remove(s, "new2", &e), 0);
    assert_int_equal(store_pool_remove(s, "fast", &e), -1);
    assert_non_null(strstr(e.msg, "global default_pool"));
    assert_int_equal(set(s, NULL, "default_pool", "varlibqubes", &e), 0);
    assert_int_equal(store_pool_remove(s, "fast", &e), 0);
    assert_int_equal(store_check(s, err, sizeof(err)), 0);

    /* the check finds a volume in no pool, and bad pool options */
    snprintf(path, sizeof(path), "%s/q.db", dir);
    corrupt(&s, path, "UPDATE volumes SET pool='gone' WHERE volume='private'");
    assert_int_equal(store_check(s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "missing pool"));
    corrupt(&s, path,
            "UPDATE volumes SET pool='varlibqubes' WHERE pool='gone';"
            "UPDATE pools SET options='dir_path=relative\n' WHERE name='varlibqubes'");
    assert_int_equal(store_check(s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "invalid pool"));
    corrupt(&s, path,
            "UPDATE pools SET options='dir_path=/x\n' WHERE name='linux-kernel';"
            "UPDATE pools SET options='dir_path=/y\nrevisions_to_keep=1' WHERE "
            "name='varlibqubes'");
    assert_int_equal(store_check(s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not canonical"));
    corrupt(&s, path,
            "UPDATE pools SET options='dir_path=/y\nephemeral_volatile=False\n"
            "revisions_to_keep=1\nsetup_check=False\n' WHERE name='varlibqubes';"
            "INSERT INTO globals VALUES('default_pool_root','gone')");
    assert_int_equal(store_check(s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "default_pool_root"));
    corrupt(&s, path, "DELETE FROM globals WHERE name='default_pool_root'");
    done(s);
}

/* A version-2 database: its volumes land in the default pools. */
static void test_migration_v3(void **state)
{
    struct store *s = fresh(2);
    char path[128], err[256];
    struct store_volume v[VOL_COUNT];
    struct vm_info vm;
    sqlite3 *db;
    (void)state;

    store_close(s);
    snprintf(path, sizeof(path), "%s/q.db", dir);
    assert_int_equal(sqlite3_open(path, &db), 0);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO vms VALUES(3,'old','StandaloneVM',"
                                  "'5f39cf22-5c79-4940-8781-f89b8da59109');"
                                  "INSERT INTO vm_props VALUES(3,'label','red');"
                                  "INSERT INTO volumes VALUES(3,'root',1,1,0,1,''),"
                                  "(3,'private',2,1,0,1,''),(3,'volatile',3,1,0,0,''),"
                                  "(3,'kernel',0,0,0,0,'kernel');",
                                  NULL, NULL, NULL),
                     0);
    sqlite3_close(db);
    assert_int_equal(store_open(path, 0, &s, err, sizeof(err)), 0);
    assert_int_equal(store_version(s), 3);
    assert_int_equal(store_vm_find(s, "old", &vm), 0);
    assert_int_equal(store_volume_list(s, vm.qid, v, VOL_COUNT), 4);
    assert_string_equal(v[0].pool, "varlibqubes");
    assert_true(v[1].size == 2);
    assert_string_equal(v[3].pool, "linux-kernel");
    done(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_values),
        cmocka_unit_test(test_rule_names_and_relations),
        cmocka_unit_test(test_defaults_and_inheritance),
        cmocka_unit_test(test_bad_changes),
        cmocka_unit_test(test_xid),
        cmocka_unit_test(test_clone_features_tags_notes),
        cmocka_unit_test(test_storage_tables),
        cmocka_unit_test(test_migration_v3),
        cmocka_unit_test(test_migration),
        cmocka_unit_test(test_check_detects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
