/* qubes-open-url (VM): the body of qubes.OpenURL. Reads one URL from
 * stdin (another qube sent it: at most SVC_URL_MAX bytes and one line,
 * checked by svc_check_url(): http, https, ftp or mailto, printable ASCII
 * only) and opens it with xdg-open, or sensible-browser where there is no
 * xdg-open, as the user the call runs as.
 *
 * Exit: the opener's status; 1 refused (bad or over-long URL); 127 no
 * opener found. */
#include "vm-agent/services/validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    /* room for the URL, its newline and one byte more (to tell over-long) */
    static char untrusted_buf[SVC_URL_MAX + 2];
    size_t got = 0, url_len;
    ssize_t r;

    if (argc > 1) {
        fprintf(strcmp(argv[1], "--help") ? stderr : stdout,
                "usage: qubes-open-url < URL\nOpens the URL read from stdin (one line).\n");
        return strcmp(argv[1], "--help") ? 2 : 0;
    }
    while (got < sizeof(untrusted_buf) &&
           (r = read(0, untrusted_buf + got, sizeof(untrusted_buf) - got)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            perror("qubes-open-url: reading the URL");
            return 1;
        }
        got += (size_t)r;
    }
    /* sanitize start */
    if (got == sizeof(untrusted_buf) || svc_check_url(untrusted_buf, got, &url_len) < 0) {
        fprintf(stderr,
                "qubes-open-url: refused: not one http, https, ftp or mailto URL of "
                "printable ASCII (at most %d bytes)\n",
                SVC_URL_MAX);
        return 1;
    }
    char *url = strndup(untrusted_buf, url_len);
    /* sanitize end */
    if (!url)
        return 1;
    execlp("xdg-open", "xdg-open", url, (char *)NULL);
    execlp("sensible-browser", "sensible-browser", url, (char *)NULL);
    fprintf(stderr, "qubes-open-url: neither xdg-open nor sensible-browser can be run\n");
    return 127;
}
