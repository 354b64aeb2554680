/* qvmd: dom0's manager of qubes. Owns the qube database, answers the
 * Admin API (docs/admin-api.md) and starts and stops qubes through a
 * backend (docs/lifecycle.md). */
#include "dom0/qvmd/server.h"
#include "dom0/qvmd/store.h"
#include "dom0/qvmd/store_storage.h"
#include "dom0/storage/storage.h"
#include "lib/log.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_SOCKET "/run/bulkhead/qvmd.sock"
#define DEFAULT_POLICY "/run/qubes/policy.sock"

/* Xen when this kernel runs on it, otherwise none: the local backend is
 * for development and tests and must be asked for. */
static const char *default_backend(void)
{
    struct stat st;
    return stat("/proc/xen/capabilities", &st) == 0 || stat("/dev/xen/privcmd", &st) == 0 ? "xen"
                                                                                          : "none";
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: qvmd [OPTION]... [--check]\n"
            "  --db PATH             the qube database (default %s)\n"
            "  --socket PATH         the Admin API socket (default %s)\n"
            "  --policy-socket PATH  the qrexec policy daemon (default %s)\n"
            "  --check               check the database's consistency and exit (0: ok)\n"
            "  --backend xen|local|none  how qubes run (default: xen on Xen, else none;\n"
            "                        local = Linux namespaces, for development, NOT isolation)\n"
            "  --run-dir DIR         sockets of the per-qube daemons (default /run/qubes)\n"
            "  --state-dir DIR       what runs, for a restarted qvmd (default /run/bulkhead/qvmd)\n"
            "  --kernels-dir DIR     qube kernels (default: vm-kernels next to the database)\n"
            "  --qrexec-daemon PATH, --qubesdb-daemon PATH  the per-qube daemons\n"
            "                        (default /usr/sbin/qrexec-daemon, /usr/sbin/qubesdb-daemon)\n"
            "  --local-state-dir DIR, --vchan-dir DIR, --local-init PATH  the local backend's\n",
            STORE_DEFAULT_PATH, DEFAULT_SOCKET, DEFAULT_POLICY);
}

/* mkdir -p of path's directory (0755: the socket's own mode protects it). */
static void make_parent(const char *path)
{
    char d[4096];
    char *slash;

    snprintf(d, sizeof(d), "%s", path);
    slash = strrchr(d, '/');
    if (!slash || slash == d)
        return;
    *slash = 0;
    for (char *p = d + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(d, 0755);
            *p = '/';
        }
    mkdir(d, 0755);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"db", required_argument, NULL, 'd'},
                                       {"socket", required_argument, NULL, 's'},
                                       {"policy-socket", required_argument, NULL, 'p'},
                                       {"check", no_argument, NULL, 'c'},
                                       {"backend", required_argument, NULL, 'B'},
                                       {"run-dir", required_argument, NULL, 'R'},
                                       {"state-dir", required_argument, NULL, 'S'},
                                       {"kernels-dir", required_argument, NULL, 'K'},
                                       {"qrexec-daemon", required_argument, NULL, 'Q'},
                                       {"qubesdb-daemon", required_argument, NULL, 'D'},
                                       {"local-state-dir", required_argument, NULL, 'L'},
                                       {"vchan-dir", required_argument, NULL, 'V'},
                                       {"local-init", required_argument, NULL, 'I'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    struct lc_opts lco = {
        .backend = NULL,
        .run_dir = "/run/qubes",
        .state_dir = "/run/bulkhead/qvmd",
        .kernels_dir = NULL, /* the linux-kernel pool's: next to the database */
        .qrexec_daemon = "/usr/sbin/qrexec-daemon",
        .qubesdb_daemon = "/usr/sbin/qubesdb-daemon",
        .local_state_dir = "/run/bulkhead/local",
        .vchan_dir = getenv("VCHAN_SOCKET_DIR") ? getenv("VCHAN_SOCKET_DIR") : "/run/vchan",
        .local_init = "/usr/lib/bulkhead/bulkhead-local-init",
    };
    struct server_opts o = {DEFAULT_SOCKET, DEFAULT_POLICY, &lco};
    const char *db = STORE_DEFAULT_PATH;
    bool check = false;
    struct store *s;
    char err[512], kdir[4096];
    int c, r;

    log_init("qvmd");
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 's':
            o.socket_path = optarg;
            break;
        case 'p':
            o.policy_socket = optarg;
            break;
        case 'c':
            check = true;
            break;
        case 'B':
            lco.backend = optarg;
            break;
        case 'R':
            lco.run_dir = optarg;
            break;
        case 'S':
            lco.state_dir = optarg;
            break;
        case 'K':
            lco.kernels_dir = optarg;
            break;
        case 'Q':
            lco.qrexec_daemon = optarg;
            break;
        case 'D':
            lco.qubesdb_daemon = optarg;
            break;
        case 'L':
            lco.local_state_dir = optarg;
            break;
        case 'V':
            lco.vchan_dir = optarg;
            break;
        case 'I':
            lco.local_init = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    make_parent(db);
    if (store_open(db, 0, &s, err, sizeof(err)) < 0) {
        log_warnx("%s", err);
        return 1;
    }
    if (check) {
        r = store_check(s, err, sizeof(err));
        if (r < 0)
            fprintf(stderr, "qvmd: %s: inconsistent: %s\n", db, err);
        else
            printf("%s: consistent (%d qubes)\n", db, store_vm_count(s));
        store_close(s);
        return r < 0 ? 1 : 0;
    }
    if (!lco.backend)
        lco.backend = default_backend();
    if (!lco.kernels_dir) {
        const char *slash = strrchr(db, '/');
        snprintf(kdir, sizeof(kdir), "%.*s/vm-kernels", slash ? (int)(slash - db) : 1,
                 slash ? db : ".");
        lco.kernels_dir = kdir;
    }
    if (strcmp(lco.backend, "xen") && strcmp(lco.backend, "local") && strcmp(lco.backend, "none")) {
        fprintf(stderr, "qvmd: unknown backend %s (xen, local or none)\n", lco.backend);
        return 2;
    }
    /* qubes created, cloned and removed reach the disk (docs/storage.md) */
    store_set_disk_ops(s, &storage_disk_ops);
    make_parent(o.socket_path);
    mkdir(lco.run_dir, 0755);
    r = server_run(s, &o);
    store_close(s);
    return r < 0 ? 1 : 0;
}
