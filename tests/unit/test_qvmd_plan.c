/* The start's pure rules (dom0/qvmd/start_plan.c): the domain the backend
 * gets and the QubesDB keys a qube sees. */
#include "dom0/qvmd/start_plan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static struct start_props appvm(void)
{
    struct start_props p;

    memset(&p, 0, sizeof(p));
    p.qid = 7;
    strcpy(p.name, "work");
    strcpy(p.uuid, "0a1b2c3d-0000-4000-8000-000000000007");
    p.cls = VC_APP;
    strcpy(p.template_name, "debian-12");
    strcpy(p.virt_mode, "pvh");
    strcpy(p.kernel, "6.1.0");
    strcpy(p.default_user, "user");
    p.memory = 400;
    p.maxmem = 4000;
    p.vcpus = 2;
    p.qrexec_timeout = 60;
    return p;
}

static const char *const vdevs[] = {"xvda", "xvdb", "xvdc", "xvdd"};
static const bool rw[] = {true, true, true, false};

static void test_domain(void **state)
{
    struct start_props p = appvm();
    const char *paths[] = {"/dev/qubes_dom0/vm-work-root-snap", "/dev/qubes_dom0/vm-work-private",
                           "/dev/qubes_dom0/vm-work-volatile", ""};
    struct be_spec s;
    char err[256];
    (void)state;

    assert_int_equal(plan_domain(&p, true, "/var/lib/bulkhead/vm-kernels", NULL, 4, vdevs, paths,
                                 rw, &s, err, sizeof(err)),
                     0);
    assert_string_equal(s.name, "work");
    assert_string_equal(s.virt_mode, "pvh");
    assert_string_equal(s.kernel, "/var/lib/bulkhead/vm-kernels/6.1.0/vmlinuz");
    assert_string_equal(s.initramfs, "/var/lib/bulkhead/vm-kernels/6.1.0/initramfs");
    /* no kernelopts and no default file: the spec's fallback */
    assert_string_equal(s.cmdline, "root=/dev/xvda rw nomodeset console=hvc0 swiotlb=2048");
    assert_int_equal(s.memory_mib, 400);
    assert_int_equal(s.maxmem_mib, 4000);
    assert_int_equal(s.vcpus, 2);
    /* the absent modules volume is left out, the others keep their order */
    assert_int_equal(s.ndisks, 3);
    assert_string_equal(s.disks[0].vdev, "xvda");
    assert_string_equal(s.disks[1].target, "/dev/qubes_dom0/vm-work-private");
    assert_true(s.disks[2].rw);

    /* the kernel directory's default, then the qube's own options win */
    assert_int_equal(
        plan_domain(&p, true, "/k", "quiet", 4, vdevs, paths, rw, &s, err, sizeof(err)), 0);
    assert_string_equal(s.cmdline, "root=/dev/xvda rw nomodeset console=hvc0 quiet");
    strcpy(p.kernelopts, "debug loglevel=7");
    assert_int_equal(
        plan_domain(&p, true, "/k", "quiet", 4, vdevs, paths, rw, &s, err, sizeof(err)), 0);
    assert_string_equal(s.cmdline, "root=/dev/xvda rw nomodeset console=hvc0 debug loglevel=7");

    /* maxmem 0 disables balancing: the qube keeps its memory */
    p.maxmem = 0;
    assert_int_equal(plan_domain(&p, true, "/k", NULL, 4, vdevs, paths, rw, &s, err, sizeof(err)),
                     0);
    assert_int_equal(s.maxmem_mib, 400);
}

static void test_domain_refused(void **state)
{
    struct start_props p = appvm();
    const char *paths[] = {"a", "b", "c", "d"};
    struct be_spec s;
    char err[256];
    (void)state;

    strcpy(p.virt_mode, "hvm");
    assert_int_equal(plan_domain(&p, true, "/k", NULL, 4, vdevs, paths, rw, &s, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "hvm"));
    p = appvm();
    p.kernel[0] = 0;
    assert_int_equal(plan_domain(&p, true, "/k", NULL, 4, vdevs, paths, rw, &s, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "kernel"));
    /* the local backend runs no kernel of its own */
    assert_int_equal(plan_domain(&p, false, "/k", NULL, 4, vdevs, paths, rw, &s, err, sizeof(err)),
                     0);
    assert_string_equal(s.kernel, "");
    p = appvm();
    memset(p.kernelopts, 'x', sizeof(p.kernelopts) - 1);
    p.kernelopts[sizeof(p.kernelopts) - 1] = 0;
    memset(p.kernel, 'k', 200);
    /* still fits: 2048 bytes of command line */
    assert_int_equal(plan_domain(&p, true, "/k", NULL, 4, vdevs, paths, rw, &s, err, sizeof(err)),
                     0);
}

/* The value of key in "key\0value\0" pairs, or NULL. */
static const char *value(const struct buf *b, const char *key)
{
    const char *p = (const char *)b->data, *end = p + b->len;

    while (p < end) {
        const char *v = p + strlen(p) + 1;
        if (!strcmp(p, key))
            return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

static void test_qdb_keys(void **state)
{
    struct start_props p = appvm();
    unsigned char seed[64];
    struct buf b;
    (void)state;

    memset(seed, 0xff, sizeof(seed));
    p.nservices = 3;
    strcpy(p.services[0].name, "crond");
    p.services[0].on = true;
    strcpy(p.services[1].name, "cups");
    strcpy(p.services[2].name, "a-very-long-service-name-that-cannot-be-a-qubesdb-path-at-all-ok");
    p.services[2].on = true;
    buf_init(&b, 65536);
    assert_int_equal(plan_qdb_keys(&p, "Europe/Warsaw", seed, &b), 0);
    assert_string_equal(value(&b, "/name"), "work");
    assert_string_equal(value(&b, "/type"), "AppVM");
    assert_string_equal(value(&b, "/qubes-vm-type"), "AppVM");
    assert_string_equal(value(&b, "/qubes-vm-updateable"), "False");
    assert_string_equal(value(&b, "/qubes-vm-persistence"), "rw-only");
    assert_string_equal(value(&b, "/qubes-base-template"), "debian-12");
    assert_string_equal(value(&b, "/default-user"), "user");
    assert_string_equal(value(&b, "/qubes-timezone"), "Europe/Warsaw");
    assert_string_equal(value(&b, "/qubes-service/crond"), "1");
    assert_string_equal(value(&b, "/qubes-service/cups"), "0");
    assert_null(value(&b, "/qubes-service/a-very-long-service-name-that-cannot-be-a-qubesdb-"
                          "path-at-all-ok"));
    /* 64 bytes of seed are 88 characters of base64 */
    assert_int_equal(strlen(value(&b, "/qubes-random-seed")), 88);
    assert_memory_equal(value(&b, "/qubes-random-seed"), "/////", 5);
    assert_string_equal(value(&b, "/qubes-random-seed") + 84, "/w==");
    /* every path fits QubesDB's 64 bytes */
    for (const char *q = (const char *)b.data; q < (const char *)b.data + b.len;) {
        const char *v = q + strlen(q) + 1;
        assert_true(strlen(q) < 64 && q[0] == '/');
        q = v + strlen(v) + 1;
    }
    buf_fini(&b);

    /* a template keeps everything and has no base template */
    p = appvm();
    p.cls = VC_TEMPLATE;
    p.template_name[0] = 0;
    buf_init(&b, 65536);
    assert_int_equal(plan_qdb_keys(&p, "", seed, &b), 0);
    assert_string_equal(value(&b, "/qubes-vm-persistence"), "full");
    assert_string_equal(value(&b, "/qubes-vm-updateable"), "True");
    assert_null(value(&b, "/qubes-base-template"));
    assert_null(value(&b, "/qubes-timezone"));
    buf_fini(&b);

    /* a GUI (feature "gui" unset or on): dom0's gui-daemon is expected;
     * feature gui "" turns it off */
    p = appvm();
    p.gui = true;
    buf_init(&b, 65536);
    assert_int_equal(plan_qdb_keys(&p, "", seed, &b), 0);
    assert_string_equal(value(&b, "/qubes-gui-enabled"), "True");
    assert_string_equal(value(&b, "/qubes-gui-domain-xid"), "0");
    buf_fini(&b);
    p.gui = false;
    buf_init(&b, 65536);
    assert_int_equal(plan_qdb_keys(&p, "", seed, &b), 0);
    assert_string_equal(value(&b, "/qubes-gui-enabled"), "False");
    assert_null(value(&b, "/qubes-gui-domain-xid"));
    buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_domain_refused),
        cmocka_unit_test(test_qdb_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
