/* qrexec-daemon: dom0's end of one VM's qrexec (one process per running
 * VM). Connects to the VM's agent, then serves dom0 clients on
 * DIR/qrexec.DOMID and handles what the agent sends. (dom0.)
 *
 *   qrexec-daemon [-q] [-u|--uuid UUID] [--socket-dir DIR]
 *                 [-p|--policy-program PATH] [-D|--direct] DOMID NAME [DEFAULT_USER]
 */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/common/msgio.h"
#include "qrexec/daemon/daemon.h"
#include "qrexec/daemon/policy.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SOCKET_DIR "/run/qubes"
#define EXIT_USAGE         2

static char sock_path[108], name_link[PATH_MAX], uuid_link[PATH_MAX];

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-daemon [-q] [-u|--uuid UUID] [--socket-dir DIR]\n"
               "                     [-p|--policy-program PATH] [-D|--direct]\n"
               "                     DOMID NAME [DEFAULT_USER]\n"
               "\n"
               "  -q, --quiet        log only warnings and errors\n"
               "  -u, --uuid UUID    also listen as qrexec.uuid:UUID\n"
               "  --socket-dir DIR   where the sockets go (default " DEFAULT_SOCKET_DIR ")\n"
               "  -p, --policy-program PATH  asked when the policy daemon does not answer\n"
               "                     (default " POLICY_DEFAULT_PROGRAM ")\n"
               "  -D, --direct       stay in the foreground (default: go to the background\n"
               "                     once the VM's agent is connected)\n"
               "\n"
               "Environment: QREXEC_STARTUP_TIMEOUT (seconds to wait for the agent, default\n"
               "60), BULKHEAD_POLICY_SOCKET (default " POLICY_DEFAULT_SOCKET "),\n"
               "QREXEC_SERVICE_PATH (dom0's services, for calls to dom0)\n");
}

static void cleanup(void)
{
    if (*sock_path)
        unlink(sock_path);
    if (*name_link)
        unlink(name_link);
    if (*uuid_link)
        unlink(uuid_link);
}

static int make_link(char *dst, size_t dstsz, const char *dir, const char *prefix, const char *what,
                     const char *target)
{
    int n = snprintf(dst, dstsz, "%s/qrexec.%s%s", dir, prefix, what);

    if (n < 0 || (size_t)n >= dstsz)
        return -ENAMETOOLONG;
    unlink(dst);
    return symlink(target, dst) < 0 ? -errno : 0;
}

static int listen_socket(struct daemon *d)
{
    char target[32];
    int fd, n;

    mkdir(d->socket_dir, 0755);
    n = snprintf(sock_path, sizeof(sock_path), "%s/qrexec.%u", d->socket_dir, d->domid);
    if (n < 0 || (size_t)n >= sizeof(sock_path))
        return -ENAMETOOLONG;
    fd = io_unix_listen(sock_path, 64);
    if (fd < 0) {
        *sock_path = '\0';
        return fd;
    }
    snprintf(target, sizeof(target), "qrexec.%u", d->domid);
    if (make_link(name_link, sizeof(name_link), d->socket_dir, "", d->name, target) < 0 ||
        (d->uuid &&
         make_link(uuid_link, sizeof(uuid_link), d->socket_dir, "uuid:", d->uuid, target) < 0))
        return -errno;
    return fd;
}

static int connect_agent(struct daemon *d)
{
    const char *t = getenv("QREXEC_STARTUP_TIMEOUT");
    int timeout_s = t ? atoi(t) : 60, r;

    d->agent = vchan_client_init((int)d->domid, QREXEC_VCHAN_BASE_PORT,
                                 (timeout_s > 0 ? timeout_s : 60) * 1000);
    if (!d->agent) {
        log_warn("no qrexec agent in %s (domain %u)", d->name, d->domid);
        return -errno;
    }
    r = qrexec_vchan_handshake(d->agent, false, QREXEC_PROTOCOL_VERSION, QREXEC_MIN_AGENT_VERSION,
                               QREXEC_LINK_AGENT_TO_DAEMON, &d->agent_version);
    if (r < 0)
        log_warnx("handshake with the agent of %s failed: %s", d->name, strerror(-r));
    return r;
}

static void serve(struct daemon *d, int sigfd)
{
    for (;;) {
        struct pollfd fds[3 + 2 * DAEMON_MAX_PENDING];
        nfds_t nfds = 0;

        while (vchan_data_ready(d->agent) >= QREXEC_HDR_SIZE) {
            if (daemon_handle_agent(d) < 0) {
                log_warnx("ending the connection to %s", d->name);
                return;
            }
        }
        if (vchan_is_open(d->agent) != VCHAN_CONNECTED) {
            log_info("the agent of %s is gone", d->name);
            return;
        }
        /* built after the messages above, which may have started calls */
        fds[nfds++] = (struct pollfd){.fd = vchan_fd(d->agent), .events = POLLIN};
        fds[nfds++] = (struct pollfd){.fd = d->listen_fd, .events = POLLIN};
        fds[nfds++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
        for (size_t i = 0; i < DAEMON_MAX_PENDING; i++)
            fds[nfds++] = (struct pollfd){.fd = d->pending[i].fd, .events = POLLIN};
        for (size_t i = 0; i < DAEMON_MAX_PENDING; i++)
            fds[nfds++] = (struct pollfd){.fd = d->dom0_calls[i].fd, .events = POLLIN};
        if (poll(fds, nfds, -1) < 0 && errno != EINTR)
            return;
        for (size_t i = 0; i < DAEMON_MAX_PENDING; i++)
            if (fds[3 + i].revents && daemon_finish_call(d, &d->pending[i]) < 0)
                return;
        for (size_t i = 0; i < DAEMON_MAX_PENDING; i++)
            if (fds[3 + DAEMON_MAX_PENDING + i].revents)
                daemon_end_dom0_call(d, &d->dom0_calls[i]);
        if (fds[0].revents)
            vchan_wait(d->agent);
        if (fds[1].revents && daemon_serve_client(d) < 0)
            return;
        if (fds[2].revents)
            return; /* SIGTERM or SIGINT */
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"uuid", required_argument, NULL, 'u'},
                                         {"socket-dir", required_argument, NULL, 'S'},
                                         {"direct", no_argument, NULL, 'D'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"policy-program", required_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    struct daemon d = {.socket_dir = DEFAULT_SOCKET_DIR, .listen_fd = -1};
    bool direct = false;
    int c, ready[2] = {-1, -1}, sigfd;
    char *end;
    sigset_t sigs;
    unsigned long id;

    log_init(argv[0]);
    for (size_t i = 0; i < DAEMON_MAX_PENDING; i++)
        d.pending[i].fd = d.dom0_calls[i].fd = -1;
    d.policy_socket = getenv("BULKHEAD_POLICY_SOCKET");
    while ((c = getopt_long(argc, argv, "qu:Dp:h", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            log_set_level(LOG_LEVEL_WARNING);
            break;
        case 'u':
            d.uuid = optarg;
            break;
        case 'S':
            d.socket_dir = optarg;
            break;
        case 'D':
            direct = true;
            break;
        case 'p':
            d.policy_program = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind < 2 || argc - optind > 3) {
        usage(stderr);
        return EXIT_USAGE;
    }
    errno = 0;
    id = strtoul(argv[optind], &end, 10);
    if (errno || *end || id == 0 || id >= 0x7ff0) {
        fprintf(stderr, "qrexec-daemon: %s is not a VM's domain id\n", argv[optind]);
        return EXIT_USAGE;
    }
    d.domid = (uint32_t)id;
    d.name = argv[optind + 1];
    d.default_user = argc - optind == 3 ? argv[optind + 2] : NULL;
    if (!qrexec_valid_vm_name(d.name)) {
        fprintf(stderr, "qrexec-daemon: invalid VM name: %s\n", d.name);
        return EXIT_USAGE;
    }
    if (d.uuid && !qrexec_valid_uuid(d.uuid)) {
        fprintf(stderr, "qrexec-daemon: invalid UUID: %s\n", d.uuid);
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);

    /* The background process must be the one that connects: Xen grant
     * mappings do not survive fork(). The parent waits for "ready". */
    if (!direct) {
        pid_t pid;
        char ok = 0;
        if (pipe(ready) < 0 || (pid = fork()) < 0)
            fatal("cannot start");
        if (pid > 0) {
            close(ready[1]);
            return read(ready[0], &ok, 1) == 1 && ok == 'R' ? 0 : 1;
        }
        close(ready[0]);
        setsid();
    }
    if (connect_agent(&d) < 0)
        return 1;
    d.listen_fd = listen_socket(&d);
    if (d.listen_fd < 0) {
        errno = -d.listen_fd;
        log_warn("cannot listen in %s", d.socket_dir);
        cleanup();
        return 1;
    }
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    log_info("connected to %s (domain %u), protocol version %u", d.name, d.domid, d.agent_version);
    if (ready[1] >= 0) {
        (void)!write(ready[1], "R", 1);
        close(ready[1]);
    }
    serve(&d, sigfd);
    cleanup();
    vchan_close(d.agent);
    return 0;
}
