/* fake-qvmd: the Admin API end of qvmd's socket for qrexec-client -k:
 * records each request byte for byte and answers with a canned reply.
 *
 *   fake-qvmd SOCKET LOG REPLY_FILE
 *
 * For each connection: reads until the client half-closes, appends what
 * came to LOG exactly, writes REPLY_FILE's content (read anew each time,
 * so a test can change it), closes. */
#include "lib/io.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char req[4096], reply[4096];
    int lfd;

    if (argc != 4)
        return 2;
    lfd = io_unix_listen(argv[1], 16);
    if (lfd < 0)
        return 1;
    for (;;) {
        int c = accept(lfd, NULL, NULL), lf, rf;
        size_t n = 0;
        ssize_t r;

        if (c < 0)
            continue;
        while (n < sizeof(req) && (r = read(c, req + n, sizeof(req) - n)) > 0)
            n += (size_t)r;
        lf = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (lf >= 0) {
            io_write_full(lf, req, n);
            close(lf);
        }
        rf = open(argv[3], O_RDONLY);
        r = rf < 0 ? -1 : read(rf, reply, sizeof(reply));
        if (rf >= 0)
            close(rf);
        if (r > 0)
            io_write_full(c, reply, (size_t)r);
        close(c);
    }
}
