/* fake-policy-daemon: answers qrexec-daemon's policy questions on a Unix
 * socket with a fixed reply, and appends each request it got to a log,
 * so tests can check the line protocol from both sides.
 *
 *   fake-policy-daemon SOCKET LOG REPLY_FILE
 *
 * For each connection: reads request lines until the empty line, appends
 * them (and a "--" line) to LOG, writes REPLY_FILE's content (read anew each
 * time, so a test can change it), closes. */
#include "lib/io.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char reply[4096], req[4096];
    int lfd;

    if (argc != 4)
        return 2;
    lfd = io_unix_listen(argv[1], 16);
    if (lfd < 0)
        return 1;
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        size_t n = 0;
        FILE *log;
        ssize_t rn;
        int rfd;

        if (c < 0)
            continue;
        /* a request ends with an empty line */
        while (n < sizeof(req) - 1) {
            ssize_t r = read(c, req + n, sizeof(req) - 1 - n);
            if (r <= 0)
                break;
            n += (size_t)r;
            req[n] = '\0';
            if (strstr(req, "\n\n"))
                break;
        }
        req[n] = '\0';
        log = fopen(argv[2], "a");
        if (log) {
            fprintf(log, "%s--\n", req);
            fclose(log);
        }
        rfd = open(argv[3], O_RDONLY);
        rn = rfd < 0 ? -1 : read(rfd, reply, sizeof(reply));
        if (rfd >= 0)
            close(rfd);
        if (rn > 0)
            io_write_full(c, reply, (size_t)rn);
        close(c);
    }
}
