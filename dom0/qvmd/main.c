/* qvmd: dom0's manager of qubes. Owns the qube database and answers the
 * Admin API (docs/admin-api.md) and the qubes' storage (docs/storage.md:
 * the default pools live next to the database). Lifecycle and devices
 * arrive with later issues.
 *
 *   qvmd [--db PATH] [--socket PATH] [--policy-socket PATH] [--check]
 */
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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: qvmd [--db PATH] [--socket PATH] [--policy-socket PATH] [--check]\n"
            "  --db PATH             the qube database (default %s)\n"
            "  --socket PATH         the Admin API socket (default %s)\n"
            "  --policy-socket PATH  the qrexec policy daemon (default %s)\n"
            "  --check               check the database's consistency and exit (0: ok)\n",
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
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    struct server_opts o = {DEFAULT_SOCKET, DEFAULT_POLICY};
    const char *db = STORE_DEFAULT_PATH;
    bool check = false;
    struct store *s;
    char err[512];
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
    /* qubes created, cloned and removed reach the disk (docs/storage.md) */
    store_set_disk_ops(s, &storage_disk_ops);
    make_parent(o.socket_path);
    r = server_run(s, &o);
    store_close(s);
    return r < 0 ? 1 : 0;
}
