/* qubesdb-fake-vm SERVER_DOMID: the VM end of QubesDB's vchan (port 111),
 * driven by lines on stdin, for the daemon's integration tests:
 *   read|rm|list|multiread|watch|unwatch KEY, write KEY VALUE
 *       send the command, print the reply (lists up to their terminator)
 *   next        print the next message (a watch notification)
 *   raw HEX     send these bytes as they are, then print the next message
 * Each received message prints as "TYPE PATH[ VALUE]"; "closed" when the
 * daemon ended the connection (the tool then exits 0). */
#include "lib/vchan.h"
#include "qubesdb/proto/qdb_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct vchan *vc;

static int show_next(void)
{
    uint8_t h[QDB_HDR_SIZE], data[QDB_MAX_DATA + 1];
    struct qdb_msg m;

    if (vchan_read(vc, h, sizeof(h)) < 0) {
        printf("closed\n");
        exit(0);
    }
    if (qdb_parse_resp(h, sizeof(h), &m) < 0 || vchan_read(vc, data, m.data_len) < 0) {
        printf("bad reply\n");
        exit(1);
    }
    data[m.data_len] = 0;
    printf("%s %s%s%s\n", qdb_type_name(m.type), m.path, m.data_len ? " " : "", (char *)data);
    fflush(stdout);
    return m.path_len == 0 || (m.type != QDB_RESP_LIST && m.type != QDB_RESP_MULTIREAD);
}

int main(int argc, char **argv)
{
    static const char *const ops[] = {"read", "write", "multiread", "list",
                                      "rm",   "watch", "unwatch"};
    char line[8192], *cmd, *key, *val;
    uint8_t out[QDB_MAX_MSG];

    if (argc != 2) {
        fprintf(stderr, "usage: qubesdb-fake-vm SERVER_DOMID < script\n");
        return 2;
    }
    vc = vchan_client_init(atoi(argv[1]), QDB_VCHAN_PORT, 10000);
    if (vc == NULL) {
        perror("qubesdb-fake-vm: connect");
        return 1;
    }
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = 0;
        cmd = strtok(line, " ");
        key = strtok(NULL, " ");
        val = strtok(NULL, "");
        if (cmd == NULL)
            continue;
        if (strcmp(cmd, "next") == 0) {
            show_next();
            continue;
        }
        if (strcmp(cmd, "raw") == 0 && key) {
            size_t n = 0;
            for (; key[2 * n] && key[2 * n + 1] && n < sizeof(out); n++)
                sscanf(key + 2 * n, "%2hhx", &out[n]);
            if (vchan_write(vc, out, n) < 0) {
                printf("closed\n");
                return 0;
            }
            show_next();
            continue;
        }
        for (uint8_t t = 0; t < 7; t++)
            if (strcmp(cmd, ops[t]) == 0 && key) {
                ssize_t n = qdb_build(out, sizeof(out), t, key, val ? val : "",
                                      t == QDB_CMD_WRITE && val ? (uint32_t)strlen(val) : 0);
                if (n < 0 || vchan_write(vc, out, (size_t)n) < 0) {
                    printf("send failed\n");
                    return 1;
                }
                while (!show_next())
                    ;
            }
    }
    vchan_close(vc);
    return 0;
}
