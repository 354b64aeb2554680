/* qubesdb-read, -write, -rm, -list, -multiread, -watch: the QubesDB
 * commands of a qube (and of dom0, with -d NAME). One program; the name it
 * runs under picks the command (under any other name, the first operand
 * does). Talks to QDB_VM_SOCKET unless --socket, $QUBESDB_SOCKET or -d
 * says otherwise. Exit 0 on success, 1 if anything failed (a missing key,
 * a refused write, no daemon), 2 on usage errors. */
#include "qubesdb/client/qdb_client.h"
#include "qubesdb/proto/qdb_proto.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cmd { C_READ, C_WRITE, C_RM, C_LIST, C_MULTIREAD, C_WATCH, C_COUNT };
static const char *const cmd_names[C_COUNT] = {"read", "write", "rm", "list", "multiread", "watch"};
static const char *const cmd_args[C_COUNT] = {
    "PATH...", "PATH VALUE [PATH VALUE...]", "PATH...", "PATH", "PATH...", "PATH...",
};

static bool opt_full, opt_raw, opt_quiet, opt_wait;
static long opt_count = 1;
static const char *prog;

static void usage(FILE *f, int cmd)
{
    fprintf(f, "usage: qubesdb-%s [options] %s\n", cmd_names[cmd], cmd_args[cmd]);
    fprintf(f,
            "  -f             print full paths (read, list, multiread)\n"
            "  -r             print values raw, without escaping unprintable bytes\n"
            "  -q             quiet: no error messages, only the exit status\n"
            "  -w             read: wait until the key exists\n"
            "  -n COUNT       watch: exit after COUNT changes (default 1; 0: never)\n"
            "  -d NAME        dom0: the qube NAME's database (/var/run/qubes/qubesdb.NAME.sock)\n"
            "  --socket PATH  the daemon's socket (default $QUBESDB_SOCKET or " QDB_VM_SOCKET ")\n"
            "  -h, --help     this text\n");
}

static void fail(const char *what, const char *path, int err)
{
    if (opt_quiet)
        return;
    if (err == -ENOENT)
        fprintf(stderr, "%s: %s: no such key\n", prog, path);
    else if (err == -EACCES)
        fprintf(stderr, "%s: %s: %s refused by the daemon\n", prog, path, what);
    else if (err == -EINVAL)
        fprintf(stderr, "%s: %s: invalid path or value too long\n", prog, path);
    else
        fprintf(stderr, "%s: %s %s: %s\n", prog, what, path, strerror(-err));
}

/* Values are bytes: unless -r, anything unprintable (and the backslash that
 * would make it ambiguous) is shown as \xHH so no value drives the
 * terminal. */
static void print_value(const char *v, size_t len)
{
    if (opt_raw) {
        fwrite(v, 1, len, stdout);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            putchar(ch);
        else
            printf("\\x%02x", ch);
    }
}

static int do_read(struct qdb_client *c, char **paths, int n)
{
    int status = 0;

    for (int i = 0; i < n; i++) {
        char *v = NULL, fired[QDB_MAX_PATH];
        size_t len;
        int r = qdb_read(c, paths[i], &v, &len);

        if (r == -ENOENT && opt_wait) {
            /* watch first, then read again: a write between the two cannot
             * be missed */
            r = qdb_watch(c, paths[i]);
            while (r == 0 && (r = qdb_read(c, paths[i], &v, &len)) == -ENOENT)
                r = qdb_read_watch(c, fired, sizeof(fired));
            if (r == 0)
                qdb_unwatch(c, paths[i]);
        }
        if (r < 0) {
            fail("read", paths[i], r);
            status = 1;
            continue;
        }
        if (opt_full)
            printf("%s = ", paths[i]);
        print_value(v, len);
        putchar('\n');
        free(v);
    }
    return status;
}

static int do_write(struct qdb_client *c, char **args, int n)
{
    int status = 0;

    for (int i = 0; i + 1 < n; i += 2) {
        int r = qdb_write(c, args[i], args[i + 1], strlen(args[i + 1]));
        if (r < 0) {
            fail("write", args[i], r);
            status = 1;
        }
    }
    return status;
}

static int do_rm(struct qdb_client *c, char **paths, int n)
{
    int status = 0;

    for (int i = 0; i < n; i++) {
        int r = qdb_rm(c, paths[i]);
        if (r < 0) {
            fail("remove", paths[i], r);
            status = 1;
        }
    }
    return status;
}

static int do_list(struct qdb_client *c, const char *prefix)
{
    char **keys;
    size_t n, skip = opt_full ? 0 : strlen(prefix);
    int r = qdb_list(c, prefix, &keys, &n);

    if (r < 0) {
        fail("list", prefix, r);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        printf("%s\n", keys[i] + skip);
    qdb_free_list(keys, n);
    return 0;
}

static int print_entry(void *ctx, const char *path, const char *val, size_t len)
{
    printf("%s = ", path + *(size_t *)ctx);
    print_value(val, len);
    putchar('\n');
    return 0;
}

static int do_multiread(struct qdb_client *c, char **prefixes, int n)
{
    int status = 0;

    for (int i = 0; i < n; i++) {
        size_t skip = opt_full ? 0 : strlen(prefixes[i]);
        int r = qdb_multiread(c, prefixes[i], print_entry, &skip);
        if (r < 0) {
            fail("multiread", prefixes[i], r);
            status = 1;
        }
    }
    return status;
}

static int do_watch(struct qdb_client *c, char **paths, int n)
{
    char fired[QDB_MAX_PATH];
    int r;

    for (int i = 0; i < n; i++) {
        r = qdb_watch(c, paths[i]);
        if (r < 0) {
            fail("watch", paths[i], r);
            return 1;
        }
    }
    for (long seen = 0; opt_count == 0 || seen < opt_count; seen++) {
        r = qdb_read_watch(c, fired, sizeof(fired));
        if (r < 0) {
            fail("watch", paths[0], r);
            return 1;
        }
        printf("%s\n", fired);
        fflush(stdout); /* a script reads each change as it comes */
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    const char *sock = getenv("QUBESDB_SOCKET");
    char dom0_sock[256], *end;
    int cmd = -1, o, n, r;
    struct qdb_client *c;

    for (int i = 0; i < C_COUNT; i++)
        if (strncmp(base, "qubesdb-", 8) == 0 && strcmp(base + 8, cmd_names[i]) == 0)
            cmd = i;
    prog = base;
    /* "+": options end at the first operand, as with the Qubes tools */
    while ((o = getopt_long(argc, argv, "+frqwn:d:s:h", opts, NULL)) != -1) {
        switch (o) {
        case 'f':
            opt_full = true;
            break;
        case 'r':
            opt_raw = true;
            break;
        case 'q':
            opt_quiet = true;
            break;
        case 'w':
            opt_wait = true;
            break;
        case 'n':
            errno = 0;
            opt_count = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || opt_count < 0) {
                fprintf(stderr, "%s: -n wants a count\n", prog);
                return 2;
            }
            break;
        case 'd':
            if (strchr(optarg, '/') ||
                snprintf(dom0_sock, sizeof(dom0_sock), "/var/run/qubes/qubesdb.%s.sock", optarg) >=
                    (int)sizeof(dom0_sock)) {
                fprintf(stderr, "%s: bad qube name\n", prog);
                return 2;
            }
            sock = dom0_sock;
            break;
        case 's':
            sock = optarg;
            break;
        case 'h':
            usage(stdout, cmd < 0 ? C_READ : cmd);
            return 0;
        default:
            usage(stderr, cmd < 0 ? C_READ : cmd);
            return 2;
        }
    }
    if (cmd < 0 && optind < argc) {
        for (int i = 0; i < C_COUNT; i++)
            if (strcmp(argv[optind], cmd_names[i]) == 0)
                cmd = i;
        if (cmd >= 0)
            optind++;
    }
    if (cmd < 0) {
        fprintf(stderr, "usage: %s read|write|rm|list|multiread|watch [options] ARGS\n", prog);
        return 2;
    }
    n = argc - optind;
    if (n == 0 || (cmd == C_WRITE && n % 2) || (cmd == C_LIST && n != 1) ||
        (opt_wait && cmd != C_READ) || (opt_count != 1 && cmd != C_WATCH)) {
        usage(stderr, cmd);
        return 2;
    }
    if (sock == NULL || *sock == 0)
        sock = QDB_VM_SOCKET;
    c = qdb_open(sock);
    if (c == NULL) {
        if (!opt_quiet)
            fprintf(stderr, "%s: cannot connect to %s: %s\n", prog, sock, strerror(errno));
        return 1;
    }
    switch (cmd) {
    case C_READ:
        r = do_read(c, argv + optind, n);
        break;
    case C_WRITE:
        r = do_write(c, argv + optind, n);
        break;
    case C_RM:
        r = do_rm(c, argv + optind, n);
        break;
    case C_LIST:
        r = do_list(c, argv[optind]);
        break;
    case C_MULTIREAD:
        r = do_multiread(c, argv + optind, n);
        break;
    default:
        r = do_watch(c, argv + optind, n);
        break;
    }
    qdb_close(c);
    if (fflush(stdout) != 0)
        r = 1;
    return r;
}
