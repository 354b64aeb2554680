/* fake-policy-agent: the policy agent's socket (policy.Ask / policy.Notify)
 * for the policy daemon's tests. Each connection's request (descriptor and
 * JSON; the NUL written as a newline) is appended to RECORD, one request
 * per line pair; every connection is answered with ANSWER (e.g.
 * "allow:work" or "deny"), or with nothing if ANSWER is "-".
 *
 *   fake-policy-agent SOCKET ANSWER RECORD */
#include "lib/io.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int lfd;

    if (argc != 4) {
        fprintf(stderr, "usage: fake-policy-agent SOCKET ANSWER RECORD\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* a notify sender does not read the answer */
    unlink(argv[1]);
    lfd = io_unix_listen(argv[1], 16);
    if (lfd < 0)
        return 1;
    for (;;) {
        char buf[65536];
        size_t n = 0;
        ssize_t r;
        int c = accept(lfd, NULL, NULL);
        FILE *f;

        if (c < 0)
            continue;
        while (n < sizeof(buf) && (r = read(c, buf + n, sizeof(buf) - n)) > 0)
            n += (size_t)r;
        for (size_t i = 0; i < n; i++)
            if (buf[i] == '\0')
                buf[i] = '\n';
        f = fopen(argv[3], "a");
        if (f) {
            fwrite(buf, 1, n, f);
            fputc('\n', f);
            fclose(f);
        }
        if (strcmp(argv[2], "-"))
            (void)!write(c, argv[2], strlen(argv[2]));
        close(c);
    }
}
