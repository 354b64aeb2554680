/* qubesdb-cmd --socket PATH read|write|rm|list|multiread|watch KEY [VALUE]:
 * one request to a QubesDB daemon's local socket, for admins and tests.
 * Prints values (read), "KEY=VALUE" lines (multiread), keys (list); watch
 * prints the first key that fires. Exit 0 on success, 1 if the key does
 * not exist or the daemon refused, 2 on usage or connection errors. */
#include "qubesdb/client/qdb_client.h"
#include "qubesdb/proto/qdb_proto.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE "usage: qubesdb-cmd --socket PATH read|write|rm|list|multiread|watch KEY [VALUE]\n"

static int print_kv(void *ctx, const char *path, const char *val, size_t len)
{
    (void)ctx;
    printf("%s=", path);
    fwrite(val, 1, len, stdout);
    putchar('\n');
    return 0;
}

static int run(struct qdb_client *c, const char *op, const char *key, const char *value)
{
    char **keys, fired[QDB_MAX_PATH], *v;
    size_t n;
    int r;

    if (strcmp(op, "read") == 0) {
        r = qdb_read(c, key, &v, &n);
        if (r == 0) {
            fwrite(v, 1, n, stdout);
            putchar('\n');
            free(v);
        }
    } else if (strcmp(op, "write") == 0) {
        r = qdb_write(c, key, value, strlen(value));
    } else if (strcmp(op, "rm") == 0) {
        r = qdb_rm(c, key);
    } else if (strcmp(op, "list") == 0) {
        r = qdb_list(c, key, &keys, &n);
        for (size_t i = 0; r == 0 && i < n; i++)
            printf("%s\n", keys[i]);
        if (r == 0)
            qdb_free_list(keys, n);
    } else if (strcmp(op, "multiread") == 0) {
        r = qdb_multiread(c, key, print_kv, NULL);
    } else {
        r = qdb_watch(c, key);
        if (r == 0)
            r = qdb_read_watch(c, fired, sizeof(fired));
        if (r == 0)
            printf("%s\n", fired);
    }
    return r;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0}};
    static const char *const ops[] = {"read", "write", "multiread", "list", "rm", "watch"};
    const char *sock = NULL, *op;
    struct qdb_client *c;
    int o, known = 0, r;

    while ((o = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
        if (o == 's')
            sock = optarg;
        else {
            fputs(USAGE, o == 'h' ? stdout : stderr);
            return o == 'h' ? 0 : 2;
        }
    }
    if (sock == NULL || argc - optind < 2 || argc - optind > 3)
        goto usage;
    op = argv[optind];
    for (int i = 0; i < 6; i++)
        known |= strcmp(op, ops[i]) == 0;
    if (!known || (strcmp(op, "write") == 0) != (argc - optind == 3))
        goto usage;
    c = qdb_open(sock);
    if (c == NULL) {
        fprintf(stderr, "qubesdb-cmd: cannot reach %s\n", sock);
        return 2;
    }
    r = run(c, op, argv[optind + 1], argc - optind == 3 ? argv[optind + 2] : "");
    qdb_close(c);
    if (r == -ENOENT || r == -EACCES) {
        fprintf(stderr, "qubesdb-cmd: %s %s\n", r == -ENOENT ? "ERROR_NOENT" : "ERROR",
                argv[optind + 1]);
        return 1;
    }
    if (r < 0) {
        fprintf(stderr, "qubesdb-cmd: %s %s: %s\n", op, argv[optind + 1], strerror(-r));
        return 2;
    }
    return 0;
usage:
    fputs(USAGE, stderr);
    return 2;
}
