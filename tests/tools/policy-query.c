/* policy-query: one request to a policy daemon socket. Sends stdin as the
 * request, prints the reply (to EOF). Exit 0, or 1 if it cannot connect.
 *
 *   policy-query SOCKET < REQUEST */
#include "lib/io.h"

#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char buf[8192];
    ssize_t n;
    int fd;

    if (argc != 2) {
        fprintf(stderr, "usage: policy-query SOCKET < REQUEST\n");
        return 2;
    }
    fd = io_unix_connect(argv[1]);
    if (fd < 0)
        return 1;
    while ((n = read(0, buf, sizeof(buf))) > 0)
        if (io_write_full(fd, buf, (size_t)n) < 0)
            return 1;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    return 0;
}
