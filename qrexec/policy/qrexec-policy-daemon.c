/* qrexec-policy-daemon (dom0): answers qrexec-daemon's policy requests on
 * /run/qubes/policy.sock with the v5 policy (spec sections 1 and 2).
 *
 *   qrexec-policy-daemon [--socket PATH] [--policy-dir DIR]... [--system FILE]
 *                        [--agent-socket PATH] [--ask-timeout SECONDS]
 *
 * One thread per connection: a request that waits for the user (ask) or a
 * client that writes slowly holds only its own thread. The policy and the
 * qube list are read again when inotify says something changed; a new
 * version replaces the old one only once it loaded completely, so a
 * broken edit leaves the previous policy in force (and is logged with its
 * file and line). */
#include "lib/io.h"
#include "lib/log.h"
#include "qrexec/policy/agent.h"
#include "qrexec/policy/decide.h"
#include "qrexec/policy/request.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/qubes/policy.sock"
#define MAX_THREADS    256 /* more requests at once than qubes is an attack */
#define READ_TIMEOUT_S 2   /* qrexec-daemon writes its request at once */

static struct {
    pthread_rwlock_t lock; /* readers: requests; writer: a reload */
    struct engine e;
    const char *dirs[DECIDE_MAX_DIRS];
    size_t ndirs;
    const char *system_file;
    /* inotify watches of folders that hold more than what we read: each
     * policy folder's parent (only that folder's own name matters there)
     * and the qube list's folder (only the list matters: qvmd's database
     * and logs may live beside it and change all the time) */
    int parent_wd[DECIDE_MAX_DIRS], system_wd;
    struct decide_opts opts;
    atomic_int threads;
} g = {.lock = PTHREAD_RWLOCK_INITIALIZER};

static void reply_text(int c, const char *text, size_t len)
{
    if (io_write_full(c, text, len) < 0)
        log_debug("a client left before its reply");
}

static void answer(int c)
{
    char req[POLICY_REQUEST_MAX], reply[DECIDE_REPLY_MAX], err[128];
    char service[V5_NAME_MAX], arg[V5_NAME_MAX];
    struct timeval tv = {.tv_sec = READ_TIMEOUT_S};
    struct policy_request r;
    struct v5_request vr;
    struct v5_decision d;
    struct decide_opts o = g.opts;
    size_t n = 0, end = 0;
    bool would_ask;
    int rc, len;

    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (!end && n < sizeof(req)) {
        ssize_t got = read(c, req + n, sizeof(req) - n);
        if (got <= 0)
            return;
        n += (size_t)got;
        end = policy_request_end(req, n);
    }
    if (!end || policy_parse_request(req, end, &r, err, sizeof(err)) < 0 ||
        decide_split_service(r.service_and_arg, service, arg) < 0) {
        log_warnx("refusing a malformed policy request: %s", end ? err : "too long");
        reply_text(c, "result=deny\n", 12);
        return;
    }
    if (r.requested_source[0] && strcmp(r.requested_source, r.source)) {
        /* the v5 format has no rules yet for who may call on behalf of
         * whom: a relayed call is denied rather than decided as the relay's */
        log_info("denying %s from %s on behalf of %s: relayed calls are not supported",
                 r.service_and_arg, r.source, r.requested_source);
        reply_text(c, "result=deny\n", 12);
        return;
    }
    vr = (struct v5_request){r.source, r.intended_target, service, arg};
    o.assume_yes_for_ask = r.assume_yes_for_ask;
    o.just_evaluate = r.just_evaluate;
    pthread_rwlock_rdlock(&g.lock);
    rc = v5_evaluate_indexed(&g.e.policy, g.e.index, &g.e.sys, &vr, &d);
    if (d.rule)
        log_info("%s+%s from %s to %s: %s by %s:%d", service, arg, r.source, r.intended_target,
                 d.action == V5_ALLOW ? "allow"
                 : d.action == V5_ASK ? "ask"
                                      : "deny",
                 d.rule->file, d.rule->line);
    else
        log_info("%s+%s from %s to %s: deny (%s)", service, arg, r.source, r.intended_target,
                 d.reason);
    d.rule = NULL; /* a reload may free it once the lock is gone */
    pthread_rwlock_unlock(&g.lock);
    decide_settle(&vr, rc, &d, &o, &would_ask);
    len = decide_reply(&d, r.intended_target, would_ask, reply, sizeof(reply));
    v5_decision_free(&d);
    if (len > 0)
        reply_text(c, reply, (size_t)len);
}

static void *serve_one(void *arg)
{
    int c = (int)(intptr_t)arg;

    answer(c);
    close(c);
    atomic_fetch_sub(&g.threads, 1);
    return NULL;
}

/* Loads everything into a fresh engine and swaps it in, or keeps the old. */
static void reload(bool policy, bool system)
{
    struct engine fresh = {0};
    char err[V5_ERROR_MAX];

    if (policy && engine_load_policy(&fresh, g.dirs, g.ndirs, err) < 0) {
        log_warnx("the policy does not load; the previous one stays in force: %s", err);
        policy = false;
    }
    if (system && engine_load_system(&fresh, g.system_file, err) < 0) {
        log_warnx("the qube list does not load; the previous one stays in force: %s", err);
        system = false;
    }
    pthread_rwlock_wrlock(&g.lock);
    if (policy) {
        struct v5_policy old = g.e.policy;
        struct v5_index *oldix = g.e.index;
        g.e.policy = fresh.policy;
        g.e.index = fresh.index;
        fresh.policy = old;
        fresh.index = oldix;
        log_info("policy loaded: %zu rules", g.e.policy.count);
    }
    if (system) {
        struct v5_system old = g.e.sys;
        g.e.sys = fresh.sys;
        fresh.sys = old;
        log_info("qube list loaded: %zu qubes", g.e.sys.count);
    }
    pthread_rwlock_unlock(&g.lock);
    engine_free(&fresh);
}

/* Watches the policy folders (and their first level of subfolders, where
 * !include-dir files live), their parents (a folder created later) and
 * the qube list's folder, on fd (a new inotify fd if fd < 0). Called again
 * on the same fd after each change, for folders that came: adding a watch
 * that exists is harmless, and keeping the fd loses no event that comes
 * meanwhile (a new fd did: a policy edit landing between reading the old
 * one's events and watching anew was never seen). Returns the fd. */
static int watch_all(int fd)
{
    const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                          IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_MODIFY;
    char tmp[PATH_MAX];

    if (fd < 0)
        fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

    if (fd < 0)
        return -1;
    for (size_t i = 0; i < g.ndirs; i++) {
        char **names = NULL;
        size_t count = 0;

        snprintf(tmp, sizeof(tmp), "%s", g.dirs[i]);
        g.parent_wd[i] = inotify_add_watch(fd, dirname(tmp), IN_CREATE | IN_MOVED_TO);
        inotify_add_watch(fd, g.dirs[i], mask);
        if (v5_files_system.list(NULL, g.dirs[i], &names, &count) < 0)
            continue;
        for (size_t k = 0; k < count; k++) {
            struct stat st;
            snprintf(tmp, sizeof(tmp), "%s/%s", g.dirs[i], names[k]);
            if (names[k][0] != '.' && stat(tmp, &st) == 0 && S_ISDIR(st.st_mode))
                inotify_add_watch(fd, tmp, mask);
            free(names[k]);
        }
        free(names);
    }
    snprintf(tmp, sizeof(tmp), "%s", g.system_file);
    g.system_wd = inotify_add_watch(fd, dirname(tmp), mask);
    return fd;
}

/* Whether an event can change the policy: anything in a policy folder
 * (or its subfolders); in a parent folder, only that policy folder itself
 * coming, going or moving. */
static bool policy_event(const struct inotify_event *ev)
{
    bool in_parent = false;
    char tmp[PATH_MAX];

    for (size_t i = 0; i < g.ndirs; i++) {
        if (ev->wd != g.parent_wd[i])
            continue;
        in_parent = true;
        snprintf(tmp, sizeof(tmp), "%s", g.dirs[i]);
        if (ev->len && !strcmp(ev->name, basename(tmp)))
            return true;
    }
    return !in_parent && ev->wd != g.system_wd;
}

/* Drains the events; says which of the two sources changed. */
static void what_changed(int ifd, bool *policy, bool *system)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    char tmp[PATH_MAX];
    const char *sysname;
    ssize_t n;

    snprintf(tmp, sizeof(tmp), "%s", g.system_file);
    sysname = basename(tmp);
    while ((n = read(ifd, buf, sizeof(buf))) > 0)
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->wd == g.system_wd && ev->len && !strcmp(ev->name, sysname))
                *system = true;
            else if (policy_event(ev))
                *policy = true;
            p += sizeof(*ev) + ev->len;
        }
}

static int serve(const char *path)
{
    int lfd, ifd;

    unlink(path);
    lfd = io_unix_listen(path, 128);
    if (lfd < 0) {
        fprintf(stderr, "qrexec-policy-daemon: cannot listen on %s: %s\n", path, strerror(-lfd));
        return 1;
    }
    ifd = watch_all(-1);
    log_info("answering policy requests on %s", path);
    for (;;) {
        struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = ifd, .events = POLLIN}};

        if (poll(p, ifd >= 0 ? 2 : 1, -1) < 0)
            continue;
        if (ifd >= 0 && (p[1].revents & POLLIN)) {
            bool pol = false, sys = false;
            usleep(20000); /* let an editor finish writing before reading */
            what_changed(ifd, &pol, &sys);
            watch_all(ifd); /* folders may have come */
            reload(pol, sys);
        }
        if (p[0].revents & POLLIN) {
            int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            pthread_t t;
            pthread_attr_t attr;

            if (c < 0)
                continue;
            if (atomic_fetch_add(&g.threads, 1) >= MAX_THREADS) {
                atomic_fetch_sub(&g.threads, 1);
                log_warnx("too many requests at once: denying one");
                reply_text(c, "result=deny\n", 12);
                close(c);
                continue;
            }
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            pthread_attr_setstacksize(&attr, 256 * 1024);
            if (pthread_create(&t, &attr, serve_one, (void *)(intptr_t)c) != 0) {
                atomic_fetch_sub(&g.threads, 1);
                close(c);
            }
            pthread_attr_destroy(&attr);
        }
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: qrexec-policy-daemon [--socket PATH] [--policy-dir DIR]... [--system FILE]\n"
               "                            [--agent-socket PATH] [--ask-timeout SECONDS]\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
                                         {"policy-dir", required_argument, NULL, 'd'},
                                         {"system", required_argument, NULL, 'y'},
                                         {"agent-socket", required_argument, NULL, 'a'},
                                         {"ask-timeout", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *sock = DEFAULT_SOCKET;
    char err[V5_ERROR_MAX];
    int c;

    g.system_file = DECIDE_SYSTEM_FILE;
    g.opts.ask_timeout_ms = 120 * 1000;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            sock = optarg;
            break;
        case 'd':
            if (g.ndirs == DECIDE_MAX_DIRS) {
                fprintf(stderr, "qrexec-policy-daemon: too many --policy-dir\n");
                return 2;
            }
            g.dirs[g.ndirs++] = optarg;
            break;
        case 'y':
            g.system_file = optarg;
            break;
        case 'a':
            g.opts.agent_socket = optarg;
            break;
        case 't':
            g.opts.ask_timeout_ms = atoi(optarg) * 1000;
            if (g.opts.ask_timeout_ms <= 0) {
                usage(stderr);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (!g.ndirs) {
        g.dirs[g.ndirs++] = V5_POLICY_DIR;
        g.dirs[g.ndirs++] = V5_RUN_DIR;
    }
    log_init("qrexec-policy-daemon");
    signal(SIGPIPE, SIG_IGN);
    /* a policy that does not load at start is no policy: every call is
     * denied (an empty table) until a good one appears */
    if (engine_load_policy(&g.e, g.dirs, g.ndirs, err) < 0)
        log_warnx("the policy does not load, denying everything until it does: %s", err);
    else
        log_info("policy loaded: %zu rules", g.e.policy.count);
    if (engine_load_system(&g.e, g.system_file, err) < 0) {
        fprintf(stderr, "qrexec-policy-daemon: %s\n", err);
        return 1;
    }
    return serve(sock);
}
