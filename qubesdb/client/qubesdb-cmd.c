/* qubesdb-cmd --socket PATH read|write|rm|list|multiread|watch KEY [VALUE]:
 * one request to a dom0 qubesdb-daemon's local socket, for admins and
 * tests. Prints values (read), "KEY=VALUE" lines (multiread), keys (list);
 * watch prints the first key that fires. Exit 0 on success, 1 if the key
 * does not exist or the daemon refused, 2 on usage or connection errors. */
#include "lib/io.h"
#include "qubesdb/proto/qdb_proto.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fd;
static uint8_t data[QDB_MAX_DATA + 1];

static int recv_msg(struct qdb_msg *m)
{
    uint8_t h[QDB_HDR_SIZE];

    if (io_read_full(fd, h, sizeof(h)) < 0 || qdb_parse_resp(h, sizeof(h), m) < 0 ||
        io_read_full(fd, data, m->data_len) < 0) {
        fprintf(stderr, "qubesdb-cmd: bad or missing reply\n");
        exit(2);
    }
    data[m->data_len] = 0;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"socket", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {0}};
    static const char *const ops[] = {"read", "write", "multiread", "list", "rm", "watch"};
    static const uint8_t types[] = {QDB_CMD_READ, QDB_CMD_WRITE, QDB_CMD_MULTIREAD,
                                    QDB_CMD_LIST, QDB_CMD_RM,    QDB_CMD_WATCH};
    const char *sock = NULL, *value = "";
    uint8_t out[QDB_MAX_MSG];
    struct qdb_msg m;
    int o, op = -1;
    ssize_t n;

    while ((o = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
        if (o == 's')
            sock = optarg;
        else {
            printf("usage: qubesdb-cmd --socket PATH read|write|rm|list|multiread|watch KEY "
                   "[VALUE]\n");
            return o == 'h' ? 0 : 2;
        }
    }
    if (sock == NULL || argc - optind < 2)
        goto usage;
    for (int i = 0; i < 6; i++)
        if (strcmp(argv[optind], ops[i]) == 0)
            op = i;
    if (op < 0 || (op == 1) != (argc - optind == 3) || argc - optind > 3)
        goto usage;
    if (op == 1)
        value = argv[optind + 2];
    n = qdb_build(out, sizeof(out), types[op], argv[optind + 1], value,
                  op == 1 ? (uint32_t)strlen(value) : 0);
    if (n < 0) {
        fprintf(stderr, "qubesdb-cmd: bad key or value too long\n");
        return 2;
    }
    fd = io_unix_connect(sock);
    if (fd < 0 || io_write_full(fd, out, (size_t)n) < 0) {
        fprintf(stderr, "qubesdb-cmd: cannot reach %s\n", sock);
        return 2;
    }
    recv_msg(&m);
    if (op == 0 && m.type == QDB_RESP_READ) {
        fwrite(data, 1, m.data_len, stdout);
        putchar('\n');
        return 0;
    }
    if (op == 2 || op == 3) {
        for (; m.path_len; recv_msg(&m))
            op == 3 ? printf("%s\n", m.path) : printf("%s=%s\n", m.path, (char *)data);
        return 0;
    }
    if (op == 5 && m.type == QDB_RESP_OK) {
        do
            recv_msg(&m);
        while (m.type != QDB_RESP_WATCH);
        printf("%s\n", m.path);
        return 0;
    }
    if (m.type == QDB_RESP_OK)
        return 0;
    fprintf(stderr, "qubesdb-cmd: %s %s\n", qdb_type_name(m.type), m.path);
    return 1;
usage:
    fprintf(stderr, "usage: qubesdb-cmd --socket PATH read|write|rm|list|multiread|watch KEY "
                    "[VALUE]\n");
    return 2;
}
