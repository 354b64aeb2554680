/* tcp-echo: a TCP server on 127.0.0.1 that sends back what it receives
 * (one connection at a time), for the /dev/tcp service tests. Prints its
 * port, then serves until killed.  Usage: tcp-echo */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    char buf[65536];
    int l = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 8) < 0 ||
        getsockname(l, (struct sockaddr *)&sa, &len) < 0)
        return 1;
    printf("%u\n", ntohs(sa.sin_port));
    fflush(stdout);
    for (;;) {
        int c = accept(l, NULL, NULL);
        ssize_t n;

        if (c < 0)
            continue;
        while ((n = read(c, buf, sizeof(buf))) > 0)
            if (write(c, buf, (size_t)n) != n)
                break;
        close(c);
    }
}
