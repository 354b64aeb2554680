/* The xen backend's pure half: be_spec -> libxl_domain_config
 * (dom0/backend/xen_config.c), checked through libxl's own JSON form of the
 * config, which is what libxl_domain_create_new() receives. No Xen needed:
 * libxl's *_to_json() take no context for plain conversion (ctx NULL). */
#include "dom0/backend/xen_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct be_spec base_spec(void)
{
    struct be_spec s;
    memset(&s, 0, sizeof(s));
    snprintf(s.name, sizeof(s.name), "work");
    snprintf(s.uuid, sizeof(s.uuid), "6f9b2c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b");
    s.qid = 3;
    snprintf(s.virt_mode, sizeof(s.virt_mode), "pvh");
    snprintf(s.kernel, sizeof(s.kernel), "/var/lib/qubes/vm-kernels/6.1/vmlinuz");
    snprintf(s.initramfs, sizeof(s.initramfs), "/var/lib/qubes/vm-kernels/6.1/initramfs");
    snprintf(s.cmdline, sizeof(s.cmdline), "root=/dev/mapper/dmroot ro nomodeset console=hvc0");
    s.memory_mib = 400;
    s.maxmem_mib = 4000;
    s.vcpus = 2;
    snprintf(s.disks[0].vdev, sizeof(s.disks[0].vdev), "xvda");
    snprintf(s.disks[0].target, sizeof(s.disks[0].target), "/dev/qubes_dom0/vm-work-root-snap");
    s.disks[0].rw = true;
    snprintf(s.disks[1].vdev, sizeof(s.disks[1].vdev), "xvdb");
    snprintf(s.disks[1].target, sizeof(s.disks[1].target),
             "/var/lib/qubes/appvms/work/private.img");
    s.disks[1].rw = true;
    snprintf(s.disks[2].vdev, sizeof(s.disks[2].vdev), "xvdd");
    snprintf(s.disks[2].target, sizeof(s.disks[2].target),
             "/var/lib/qubes/vm-kernels/6.1/modules.img");
    s.disks[2].rw = false;
    s.ndisks = 3;
    return s;
}

/* The JSON of the config made from s, or NULL if the translation failed
 * (then err holds the reason). */
static char *translate(const struct be_spec *s, bool hide_rdtscp, char *err, size_t errsz)
{
    libxl_domain_config dc;
    libxl_domain_config_init(&dc);
    char *json = NULL;
    if (xen_config_from_spec(s, hide_rdtscp, &dc, err, errsz) == 0)
        json = libxl_domain_config_to_json(NULL, &dc);
    libxl_domain_config_dispose(&dc);
    return json;
}

/* json contains each needle (after removing all whitespace from both). */
static void squash(char *s)
{
    char *d = s;
    for (; *s; s++)
        if (*s != ' ' && *s != '\n' && *s != '\t')
            *d++ = *s;
    *d = 0;
}

static void assert_has(const char *json, const char *needle)
{
    char *j = strdup(json), *n = strdup(needle);
    squash(j);
    squash(n);
    if (!strstr(j, n))
        fail_msg("missing %s in\n%s", needle, json);
    free(j);
    free(n);
}

static void assert_lacks(const char *json, const char *needle)
{
    char *j = strdup(json), *n = strdup(needle);
    squash(j);
    squash(n);
    if (strstr(j, n))
        fail_msg("unexpected %s in\n%s", needle, json);
    free(j);
    free(n);
}

static void test_pvh_default(void **state)
{
    (void)state;
    struct be_spec s = base_spec();
    char err[256] = "";
    char *j = translate(&s, true, err, sizeof(err));
    assert_non_null(j);
    assert_has(j, "\"type\": \"pvh\"");
    assert_has(j, "\"name\": \"work\"");
    assert_has(j, "\"uuid\": \"6f9b2c1e-3a4d-4e5f-8a9b-0c1d2e3f4a5b\"");
    assert_has(j, "\"max_vcpus\": 2");
    assert_has(j, "\"max_memkb\": 4096000");
    assert_has(j, "\"target_memkb\": 409600");
    assert_has(j, "\"kernel\": \"/var/lib/qubes/vm-kernels/6.1/vmlinuz\"");
    assert_has(j, "\"ramdisk\": \"/var/lib/qubes/vm-kernels/6.1/initramfs\"");
    assert_has(j, "\"cmdline\": \"root=/dev/mapper/dmroot ro nomodeset console=hvc0\"");
    /* no network yet */
    assert_lacks(j, "\"nics\"");
    free(j);
}

/* libxl's JSON leaves the on_* actions out, so they are read from the struct. */
static void test_every_end_destroys(void **state)
{
    (void)state;
    struct be_spec s = base_spec();
    char err[256] = "";
    libxl_domain_config dc;
    libxl_domain_config_init(&dc);
    assert_int_equal(xen_config_from_spec(&s, true, &dc, err, sizeof(err)), 0);
    /* every way a domain ends is a destroy; qvmd decides what follows */
    assert_int_equal(dc.on_poweroff, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
    assert_int_equal(dc.on_reboot, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
    assert_int_equal(dc.on_crash, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
    assert_int_equal(dc.on_watchdog, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
    assert_int_equal(dc.on_soft_reset, LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
    assert_int_equal(dc.num_nics, 0);
    libxl_domain_config_dispose(&dc);
}

static void test_disks(void **state)
{
    (void)state;
    struct be_spec s = base_spec();
    char err[256] = "";
    char *j = translate(&s, true, err, sizeof(err));
    assert_non_null(j);
    assert_has(j, "\"pdev_path\": \"/dev/qubes_dom0/vm-work-root-snap\", \"vdev\": \"xvda\"");
    assert_has(j, "\"pdev_path\": \"/var/lib/qubes/appvms/work/private.img\", \"vdev\": \"xvdb\"");
    assert_has(j, "\"vdev\": \"xvdd\", \"format\": \"raw\"");
    /* read-write disks say so; the read-only one has no readwrite flag */
    char *sq = strdup(j);
    squash(sq);
    char *ro = strstr(sq, "\"vdev\":\"xvdd\"");
    assert_non_null(ro);
    char *end = strchr(ro, '}');
    assert_non_null(end);
    *end = 0;
    assert_null(strstr(ro, "\"readwrite\":1"));
    char *rw = strstr(sq, "\"vdev\":\"xvda\"");
    assert_non_null(rw);
    assert_non_null(strstr(rw, "\"readwrite\":1"));
    free(sq);
    /* the backend is left to libxl (phy for block devices, loop/qdisk for files) */
    assert_lacks(j, "\"backend\": \"phy\"");
    free(j);
}

static void test_rdtscp_option(void **state)
{
    (void)state;
    struct be_spec s = base_spec();
    char err[256] = "";
    /* rdtscp is CPUID leaf 0x80000001, EDX bit 27 (the 5th from the left) */
    static const char hidden[] =
        "\"leaf\": 2147483649, \"edx\": \"xxxx0xxxxxxxxxxxxxxxxxxxxxxxxxxx\"";
    char *j = translate(&s, true, err, sizeof(err));
    assert_non_null(j);
    assert_has(j, hidden);
    free(j);
    j = translate(&s, false, err, sizeof(err));
    assert_non_null(j);
    assert_lacks(j, "\"cpuid\"");
    free(j);
}

static void test_pv_and_maxmem(void **state)
{
    (void)state;
    struct be_spec s = base_spec();
    snprintf(s.virt_mode, sizeof(s.virt_mode), "pv");
    s.maxmem_mib = 0; /* balancing off: the ceiling is the memory */
    s.initramfs[0] = 0;
    s.vcpus = 1;
    char err[256] = "";
    char *j = translate(&s, true, err, sizeof(err));
    assert_non_null(j);
    assert_has(j, "\"type\": \"pv\"");
    assert_has(j, "\"max_memkb\": 409600");
    assert_has(j, "\"max_vcpus\": 1");
    assert_lacks(j, "\"ramdisk\"");
    assert_lacks(j, "\"cpuid\""); /* the RDTSCP override is for PVH only */
    free(j);
}

static void expect_error(struct be_spec *s, const char *words)
{
    char err[256] = "";
    char *j = translate(s, true, err, sizeof(err));
    if (j)
        fail_msg("accepted a bad spec: %s", j);
    if (!strstr(err, words))
        fail_msg("error '%s' does not say '%s'", err, words);
}

static void test_refusals(void **state)
{
    (void)state;
    struct be_spec s = base_spec();
    snprintf(s.virt_mode, sizeof(s.virt_mode), "hvm");
    expect_error(&s, "hvm");
    s = base_spec();
    snprintf(s.virt_mode, sizeof(s.virt_mode), "kvm");
    expect_error(&s, "virt_mode");
    s = base_spec();
    s.kernel[0] = 0;
    expect_error(&s, "kernel");
    s = base_spec();
    s.memory_mib = 0;
    expect_error(&s, "memory");
    s = base_spec();
    s.maxmem_mib = 100;
    expect_error(&s, "maxmem");
    s = base_spec();
    s.vcpus = 0;
    expect_error(&s, "vcpus");
    s = base_spec();
    snprintf(s.disks[1].vdev, sizeof(s.disks[1].vdev), "sda");
    expect_error(&s, "disk name");
    s = base_spec();
    snprintf(s.disks[1].vdev, sizeof(s.disks[1].vdev), "xvda");
    expect_error(&s, "twice");
    s = base_spec();
    snprintf(s.disks[0].target, sizeof(s.disks[0].target), "relative.img");
    expect_error(&s, "absolute");
    s = base_spec();
    snprintf(s.uuid, sizeof(s.uuid), "not-a-uuid");
    expect_error(&s, "uuid");
    s = base_spec();
    s.name[0] = 0;
    expect_error(&s, "name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pvh_default),   cmocka_unit_test(test_every_end_destroys),
        cmocka_unit_test(test_disks),         cmocka_unit_test(test_rdtscp_option),
        cmocka_unit_test(test_pv_and_maxmem), cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
