/* admin-call: one raw Admin API request to qvmd, the reply shown readably.
 * For the conformance tests and for working on the qvm-* commands.
 *
 *   admin-call [-s SOCKET] [-S SOURCE] [-p PAYLOAD | -P] [-e N] METHOD[+ARG] [DEST]
 *   admin-call [-s SOCKET] -x HEX          send these bytes as they are
 *
 * DEST defaults to dom0 (sent as "keyword adminvm"); a qube name is sent
 * as "name DEST". -P reads the payload from stdin. -e N: admin.Events,
 * print N events then stop. -k: do not half-close after sending.
 *
 * Output: "OK" then the data as is; "EXCEPTION TYPE: message" (exit 3);
 * "EVENT SUBJECT EVENT KEY=VALUE..." per event; "EOF" when qvmd closed
 * without a reply (exit 4). */
#include "lib/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Prints one event frame body (after 0x31 0x00) of n bytes; returns bytes used or 0. */
static size_t print_event(const char *p, size_t n)
{
    const char *f[64];
    size_t nf = 0, i = 0;

    while (i < n && nf < 64) {
        const char *z = memchr(p + i, 0, n - i);
        if (!z)
            return 0;
        f[nf++] = p + i;
        i = (size_t)(z - p) + 1;
        if (nf >= 2 && z == p + i - 1 && f[nf - 1][0] == 0 && nf % 2 == 1)
            break; /* the empty field after SUBJECT EVENT (KEY VALUE)* */
    }
    if (nf < 3)
        return 0;
    printf("EVENT %s %s", f[0][0] ? f[0] : "-", f[1]);
    for (size_t k = 2; k + 1 < nf; k += 2)
        printf(" %s=%s", f[k], f[k + 1]);
    printf("\n");
    fflush(stdout);
    return i;
}

/* globals, so the buffers stay reachable until exit (no leak reports) */
static char *req, *pl, *buf;

int main(int argc, char **argv)
{
    const char *sock = getenv("BULKHEAD_QVMD_SOCKET"), *src = "dom0", *payload = "", *hex = NULL;
    size_t reqlen, cap = 0, len = 0, plen = 0; /* -P payloads may hold NULs (images) */
    int opt, fd, events = -1, keep = 0;

    if (!sock)
        sock = "/run/bulkhead/qvmd.sock";
    while ((opt = getopt(argc, argv, "s:S:p:Pe:x:k")) != -1) {
        switch (opt) {
        case 's':
            sock = optarg;
            break;
        case 'S':
            src = optarg;
            break;
        case 'p':
            payload = optarg;
            plen = strlen(optarg);
            break;
        case 'P': {
            size_t c = 0, l = 0;
            ssize_t r;
            do {
                if (l == c && !(pl = realloc(pl, c = c * 2 + 65536)))
                    return 1;
                r = read(0, pl + l, c - l);
                l += r > 0 ? (size_t)r : 0;
            } while (r > 0);
            pl[l] = 0;
            payload = pl;
            plen = l;
            break;
        }
        case 'e':
            events = atoi(optarg);
            break;
        case 'x':
            hex = optarg;
            break;
        case 'k':
            keep = 1;
            break;
        default:
            fprintf(stderr, "usage: admin-call [-s SOCKET] [-S SOURCE] [-p PAYLOAD|-P] [-e N] [-k]"
                            " METHOD[+ARG] [DEST] | -x HEX\n");
            return 2;
        }
    }
    if (hex) {
        reqlen = strlen(hex) / 2;
        req = malloc(reqlen + 1);
        for (size_t i = 0; i < reqlen; i++) {
            int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
            if (h < 0 || l < 0)
                return 2;
            req[i] = (char)(h * 16 + l);
        }
    } else {
        const char *dest = optind + 1 < argc ? argv[optind + 1] : "dom0";
        char method[512];
        if (optind >= argc)
            return 2;
        snprintf(method, sizeof(method), "%s%s", argv[optind],
                 strchr(argv[optind], '+') ? "" : "+");
        reqlen = strlen(method) + strlen(src) + strlen(dest) + 16 + plen;
        req = malloc(reqlen);
        reqlen = (size_t)snprintf(req, reqlen, "%s %s %s %s", method, src,
                                  strcmp(dest, "dom0") ? "name" : "keyword",
                                  strcmp(dest, "dom0") ? dest : "adminvm") +
                 1;
        memcpy(req + reqlen, payload, plen);
        reqlen += plen;
    }
    fd = io_unix_connect(sock);
    if (fd < 0) {
        fprintf(stderr, "admin-call: %s: %s\n", sock, strerror(-fd));
        return 1;
    }
    if (io_write_full(fd, req, reqlen) < 0)
        fprintf(stderr, "admin-call: write failed\n");
    if (!keep)
        shutdown(fd, SHUT_WR);
    for (;;) {
        ssize_t r;
        if (len == cap && !(buf = realloc(buf, cap = cap * 2 + 65536)))
            return 1;
        r = read(fd, buf + len, cap - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        /* event streams never end: print frames as they come */
        while (events != 0 && len >= 2 && buf[0] == 0x31 && buf[1] == 0) {
            size_t used = print_event(buf + 2, len - 2);
            if (!used)
                break;
            memmove(buf, buf + 2 + used, len - 2 - used);
            len -= 2 + used;
            if (events > 0 && --events == 0)
                return 0;
        }
    }
    if (len == 0) {
        printf("EOF\n");
        return 4;
    }
    if (len >= 2 && buf[0] == 0x30 && buf[1] == 0) {
        printf("OK\n");
        fwrite(buf + 2, 1, len - 2, stdout);
        return 0;
    }
    if (len >= 2 && buf[0] == 0x32 && buf[1] == 0) {
        const char *type = buf + 2, *tb, *fmt;
        buf[len - 1] = 0;
        tb = type + strlen(type) + 1;
        fmt = tb < buf + len ? tb + strlen(tb) + 1 : "";
        printf("EXCEPTION %s: %s\n", type, fmt < buf + len ? fmt : "");
        return 3;
    }
    printf("BAD REPLY (%zu bytes)\n", len);
    return 5;
}
