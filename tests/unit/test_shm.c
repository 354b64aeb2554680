/* lib/shm (memfd kind) and vchan_peer_pid: what the GUI daemon relies on
 * when it maps a qube's window buffer. The grant kind needs Xen and is
 * exercised by the system tests. */
#include "lib/shm.h"
#include "lib/vchan.h"
#include "tests/unit/vchan_test_util.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <cmocka.h>

static int import_fd(struct shm_import *im, int fd, size_t bytes)
{
    uint32_t ref = (uint32_t)fd;

    return shm_import_map(im, SHM_MEMFD, 0, getpid(), &ref, 1, bytes);
}

static void assert_import_empty(const struct shm_import *im)
{
    assert_null(im->addr);
    assert_int_equal(im->fd, -1);
}

static void test_round_trip(void **state)
{
    struct shm_export e;
    struct shm_import im;
    (void)state;

    assert_int_equal(shm_export_create(&e, SHM_MEMFD, 0, 3 * SHM_PAGE_SIZE), 0);
    assert_int_equal(e.kind, SHM_MEMFD);
    assert_int_equal(e.nrefs, 1);
    assert_int_equal(e.refs[0], (uint32_t)e.fd);
    assert_int_equal(fcntl(e.fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
    memset(e.addr, 0x5a, e.bytes);

    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, getpid(), e.refs, e.nrefs, e.bytes), 0);
    assert_int_equal(im.kind, SHM_MEMFD);
    assert_int_equal(im.bytes, 3 * SHM_PAGE_SIZE);
    assert_true(im.fd >= 0 && im.fd != e.fd);
    assert_int_equal(((const uint8_t *)im.addr)[0], 0x5a);
    assert_int_equal(((const uint8_t *)im.addr)[e.bytes - 1], 0x5a);

    /* later writes by the exporter show through the importer's mapping */
    ((uint8_t *)e.addr)[4097] = 0xc3;
    assert_int_equal(((const uint8_t *)im.addr)[4097], 0xc3);

    /* the importer's mapping is read-only */
    assert_int_equal(fcntl(im.fd, F_GETFL) & O_ACCMODE, O_RDONLY);

    /* the exporter closing its descriptor leaves both mappings working */
    close(e.fd);
    e.fd = -1;
    ((uint8_t *)e.addr)[100] = 0x11;
    assert_int_equal(((const uint8_t *)im.addr)[100], 0x11);
    shm_export_destroy(&e);
    assert_int_equal(((const uint8_t *)im.addr)[4097], 0xc3);

    shm_import_unmap(&im);
    assert_import_empty(&im);
}

/* A memfd that can still shrink could be truncated under the importer's
 * mapping (SIGBUS on read): refused. */
static void test_refuses_unsealed(void **state)
{
    struct shm_import im;
    int fd = memfd_create("t", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    (void)state;

    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, SHM_PAGE_SIZE), 0);
    assert_int_equal(import_fd(&im, fd, SHM_PAGE_SIZE), -EPERM);
    assert_import_empty(&im);
    /* growing still allowed: refused too */
    assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
    assert_int_equal(import_fd(&im, fd, SHM_PAGE_SIZE), -EPERM);
    assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), 0);
    assert_int_equal(import_fd(&im, fd, SHM_PAGE_SIZE), 0);
    shm_import_unmap(&im);
    close(fd);

    /* a memfd that cannot be sealed at all */
    fd = memfd_create("t", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, SHM_PAGE_SIZE), 0);
    assert_int_equal(import_fd(&im, fd, SHM_PAGE_SIZE), -EPERM);
    close(fd);
}

static void test_refuses_smaller_than_claimed(void **state)
{
    struct shm_export e;
    struct shm_import im;
    (void)state;

    assert_int_equal(shm_export_create(&e, SHM_MEMFD, 0, 2 * SHM_PAGE_SIZE), 0);
    assert_int_equal(import_fd(&im, e.fd, 3 * SHM_PAGE_SIZE), -EMSGSIZE);
    assert_import_empty(&im);
    assert_int_equal(import_fd(&im, e.fd, 2 * SHM_PAGE_SIZE), 0);
    shm_import_unmap(&im);
    /* a smaller claim maps only what was claimed */
    assert_int_equal(import_fd(&im, e.fd, SHM_PAGE_SIZE), 0);
    assert_int_equal(im.bytes, SHM_PAGE_SIZE);
    shm_import_unmap(&im);
    shm_export_destroy(&e);
}

static void test_refuses_other_files(void **state)
{
    struct shm_import im;
    char path[] = "/tmp/bulkhead-shm-test.XXXXXX";
    int fd = mkstemp(path), p[2];
    (void)state;

    /* a regular file (no seals on this filesystem, or only F_SEAL_SEAL) */
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(ftruncate(fd, SHM_PAGE_SIZE), 0);
    assert_int_equal(import_fd(&im, fd, SHM_PAGE_SIZE), -EPERM);
    assert_import_empty(&im);
    close(fd);

    /* a pipe: never opened (it could block, or be a FIFO someone waits on) */
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    assert_int_equal(import_fd(&im, p[0], SHM_PAGE_SIZE), -EBADF);
    assert_int_equal(import_fd(&im, p[1], SHM_PAGE_SIZE), -EBADF);
    assert_import_empty(&im);
    close(p[0]);
    close(p[1]);

    /* /dev/null: a device, not a regular file */
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(import_fd(&im, fd, SHM_PAGE_SIZE), -EBADF);
    close(fd);
}

static void test_refuses_bad_refs(void **state)
{
    struct shm_export e;
    struct shm_import im;
    uint32_t refs[2];
    pid_t gone;
    (void)state;

    assert_int_equal(shm_export_create(&e, SHM_MEMFD, 0, SHM_PAGE_SIZE), 0);
    /* a descriptor number nobody has open */
    refs[0] = 1000000;
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, getpid(), refs, 1, SHM_PAGE_SIZE), -ENOENT);
    assert_import_empty(&im);
    /* numbers past int, and negative-looking ones */
    refs[0] = 0x80000000u;
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, getpid(), refs, 1, SHM_PAGE_SIZE), -EINVAL);
    refs[0] = UINT32_MAX;
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, getpid(), refs, 1, SHM_PAGE_SIZE), -EINVAL);
    /* a memfd needs exactly one reference */
    refs[0] = refs[1] = e.refs[0];
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, getpid(), refs, 2, SHM_PAGE_SIZE), -EINVAL);
    /* a process that no longer exists */
    gone = fork();
    assert_true(gone >= 0);
    if (gone == 0)
        _exit(0);
    assert_int_equal(vt_child_exit_status(gone), 0);
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, gone, e.refs, 1, SHM_PAGE_SIZE), -ENOENT);
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, 0, e.refs, 1, SHM_PAGE_SIZE), -EINVAL);
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, -1, e.refs, 1, SHM_PAGE_SIZE), -EINVAL);
    /* sizes that are not whole pages, and no refs */
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, getpid(), e.refs, 1, 100), -EINVAL);
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, getpid(), e.refs, 1, 0), -EINVAL);
    assert_int_equal(shm_import_map(&im, SHM_MEMFD, 0, getpid(), NULL, 0, SHM_PAGE_SIZE), -EINVAL);
    assert_int_equal(shm_import_map(&im, (enum shm_kind)7, 0, getpid(), e.refs, 1, SHM_PAGE_SIZE),
                     -EINVAL);
    assert_import_empty(&im);
    shm_export_destroy(&e);
}

static void test_export_arguments(void **state)
{
    struct shm_export e;
    (void)state;

    assert_int_equal(shm_export_create(&e, SHM_MEMFD, 0, 0), -EINVAL);
    assert_null(e.addr);
    assert_int_equal(e.fd, -1);
    assert_int_equal(shm_export_create(&e, SHM_MEMFD, 0, SHM_PAGE_SIZE + 1), -EINVAL);
    assert_int_equal(shm_export_create(&e, (enum shm_kind)0, 0, SHM_PAGE_SIZE), -EINVAL);
    /* destroying an empty export is harmless */
    shm_export_destroy(&e);
    shm_export_destroy(&e);
}

/* The kinds follow the vchan backend: socket vchan means memfd. */
static void test_kind_follows_vchan(void **state)
{
    (void)state;
    assert_int_equal(shm_kind_for_export(), SHM_MEMFD);
    assert_int_equal(shm_kind_for_import(), SHM_MEMFD);
}

/* The real arrangement: the agent (a child) serves the channel and exports
 * a buffer; the daemon (parent) connects, learns the agent's pid from the
 * kernel and maps the buffer through it. */
static void test_peer_pid_and_cross_process_buffer(void **state)
{
    struct vchan *cli;
    int p[2], child_pid, ok = 0;
    uint32_t ref;
    struct shm_import im;
    pid_t pid;
    (void)state;

    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct vchan *srv;
        struct shm_export e;
        uint8_t go;
        int peer;

        close(p[0]);
        vt_set_domid(1);
        srv = vchan_server_init(0, 6000, 65536, 65536);
        if (!srv || write(p[1], "r", 1) != 1)
            _exit(10);
        if (shm_export_create(&e, SHM_MEMFD, 0, 4 * SHM_PAGE_SIZE) < 0)
            _exit(11);
        memset(e.addr, 0xa7, e.bytes);
        if (vchan_write(srv, &e.refs[0], 4) < 0 || vchan_read(srv, &go, 1) < 0)
            _exit(12);
        /* the server sees the client's pid too, once it accepted */
        peer = vchan_peer_pid(srv);
        if (vchan_write(srv, &peer, sizeof(peer)) < 0)
            _exit(13);
        /* stay alive (with the buffer) until the parent is done */
        (void)vchan_read(srv, &go, 1);
        shm_export_destroy(&e);
        vchan_close(srv);
        _exit(0);
    }
    close(p[1]);
    {
        char c;
        assert_int_equal(read(p[0], &c, 1), 1);
    }
    close(p[0]);
    vt_set_domid(0);
    cli = vchan_client_init(1, 6000, 5000);
    assert_non_null(cli);
    assert_int_equal(vchan_peer_pid(cli), pid);
    assert_string_equal(vchan_backend_name(cli), "socket");
    assert_int_equal(vchan_read(cli, &ref, 4), 0);
    assert_int_equal(
        shm_import_map(&im, SHM_MEMFD, 1, vchan_peer_pid(cli), &ref, 1, 4 * SHM_PAGE_SIZE), 0);
    ok = ((const uint8_t *)im.addr)[0] == 0xa7 &&
         ((const uint8_t *)im.addr)[4 * SHM_PAGE_SIZE - 1] == 0xa7;
    assert_true(ok);
    assert_int_equal(vchan_write(cli, "g", 1), 0);
    assert_int_equal(vchan_read(cli, &child_pid, sizeof(child_pid)), 0);
    assert_int_equal(child_pid, getpid());
    assert_int_equal(vchan_write(cli, "q", 1), 0);
    assert_int_equal(vt_child_exit_status(pid), 0);
    /* the buffer outlives the exporting process */
    assert_int_equal(((const uint8_t *)im.addr)[5], 0xa7);
    shm_import_unmap(&im);
    vchan_close(cli);
}

static void test_peer_pid_before_connect(void **state)
{
    struct vchan *srv;
    (void)state;

    vt_set_domid(0);
    srv = vchan_server_init(3, 6001, 4096, 4096);
    assert_non_null(srv);
    assert_int_equal(vchan_peer_pid(srv), -ENOTCONN);
    vchan_close(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_refuses_unsealed, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_refuses_smaller_than_claimed, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_refuses_other_files, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_refuses_bad_refs, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_export_arguments, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_kind_follows_vchan, vt_setup, vt_teardown),
        cmocka_unit_test_setup_teardown(test_peer_pid_and_cross_process_buffer, vt_setup,
                                        vt_teardown),
        cmocka_unit_test_setup_teardown(test_peer_pid_before_connect, vt_setup, vt_teardown),
    };
    return cmocka_run_group_tests_name("shm", tests, NULL, NULL);
}
