/* qubes-wait-for-session (VM): the body of qubes.WaitForSession, which the
 * qrexec agent runs before a service whose rpc-config says
 * wait-for-session. It returns once the user's desktop session is ready:
 * the X server accepts connections on its socket and the marker file
 * exists (bulkhead-xorg.service writes it when X is up). A qube with no
 * desktop session configured (QubesDB /qubes-gui-enabled is not "True" and
 * the xorg service flag is absent) returns at once. The wait is bounded.
 *
 * The paths can be moved by environment variables, for tests:
 * BULKHEAD_SESSION_X_SOCKET, BULKHEAD_SESSION_READY_FILE,
 * BULKHEAD_XORG_SERVICE_FLAG, QUBESDB_SOCKET, BULKHEAD_SESSION_TIMEOUT. */
#include "lib/io.h"
#include "qubesdb/client/qdb_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define X_SOCKET        "/tmp/.X11-unix/X0"
#define READY_FILE      "/run/qubes/session-ready"
#define XORG_FLAG       "/run/qubes-service/xorg"
#define DEFAULT_TIMEOUT 120
#define POLL_MS         100

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* Does this qube run a desktop session at all? */
static bool session_configured(void)
{
    struct qdb_client *c;
    char *val = NULL;
    size_t len;
    bool gui = false;

    if (access(env_or("BULKHEAD_XORG_SERVICE_FLAG", XORG_FLAG), F_OK) == 0)
        return true;
    c = qdb_open(env_or("QUBESDB_SOCKET", QDB_VM_RO_SOCKET));
    if (!c)
        return false; /* no QubesDB: nothing says a GUI is wanted */
    if (qdb_read(c, "/qubes-gui-enabled", &val, &len) == 0)
        gui = len == 4 && memcmp(val, "True", 4) == 0;
    free(val);
    qdb_close(c);
    return gui;
}

static bool x_accepting(const char *sock)
{
    int fd = io_unix_connect(sock);

    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_timeout(const char *s, long *out)
{
    char *end;

    errno = 0;
    *out = strtol(s, &end, 10);
    return errno || end == s || *end || *out < 0 || *out > 86400 ? -1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *sock = env_or("BULKHEAD_SESSION_X_SOCKET", X_SOCKET);
    const char *ready = env_or("BULKHEAD_SESSION_READY_FILE", READY_FILE);
    const char *tstr = getenv("BULKHEAD_SESSION_TIMEOUT");
    long timeout = DEFAULT_TIMEOUT;
    int o;

    if (tstr && parse_timeout(tstr, &timeout) < 0) {
        fprintf(stderr, "qubes-wait-for-session: bad BULKHEAD_SESSION_TIMEOUT\n");
        return 2;
    }
    while ((o = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
        switch (o) {
        case 't':
            if (parse_timeout(optarg, &timeout) < 0) {
                fprintf(stderr, "qubes-wait-for-session: bad --timeout (0-86400 s)\n");
                return 2;
            }
            break;
        case 'h':
            printf("usage: qubes-wait-for-session [--timeout SECONDS]\n"
                   "Returns when the desktop session is ready (default wait: %d s).\n",
                   DEFAULT_TIMEOUT);
            return 0;
        default:
            return 2;
        }
    }
    if (!session_configured())
        return 0;
    double end = now() + (double)timeout;
    for (;;) {
        bool marker = access(ready, F_OK) == 0;
        bool x = marker && x_accepting(sock);
        if (marker && x)
            return 0;
        if (now() >= end) {
            fprintf(stderr,
                    "qubes-wait-for-session: the desktop session is not ready after %ld s "
                    "(%s: %s, %s: %s)\n",
                    timeout, ready, marker ? "present" : "missing", sock,
                    x_accepting(sock) ? "accepting" : "not accepting");
            return 1;
        }
        usleep(POLL_MS * 1000);
    }
}
