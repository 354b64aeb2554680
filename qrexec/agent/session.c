/* As whom, and how, a call runs; see session.h. (VM side: the user comes
 * from dom0, or from the service's rpc-config.)
 *
 * Built with BULKHEAD_NO_PAM (session_static.c), there is no login session:
 * static programs cannot load PAM modules. */
#include "qrexec/agent/session.h"

#include "lib/log.h"
#include "qrexec/common/service_run.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef BULKHEAD_NO_PAM
#include <security/pam_appl.h>
#endif

extern char **environ;

/* What a login would give when PAM sets no PATH (Debian's defaults). */
#define USER_PATH "/usr/local/bin:/usr/bin:/bin"
#define ROOT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct user {
    uid_t uid;
    gid_t gid;
    char name[AGENT_FIELD_MAX];
    char home[PATH_MAX];
    char shell[PATH_MAX];
};

bool agent_session_has_pam(void)
{
#ifdef BULKHEAD_NO_PAM
    return false;
#else
    return true;
#endif
}

static int find_user(const char *name, struct user *u)
{
    struct passwd *pw = getpwnam(name);

    if (!pw)
        return -ENOENT;
    u->uid = pw->pw_uid;
    u->gid = pw->pw_gid;
    snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
    snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
    snprintf(u->shell, sizeof(u->shell), "%s",
             pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh");
    return 0;
}

/* Becomes u for good (groups first: only root may set them) and starts in
 * u's home directory. */
static int switch_to(const struct user *u)
{
    if (setgid(u->gid) < 0 || initgroups(u->name, u->gid) < 0 || setuid(u->uid) < 0)
        return -errno;
    if (u->uid != 0 && (setuid(0) == 0 || geteuid() == 0))
        return -EPERM; /* root could be regained: never run a call like that */
    if (chdir(u->home) < 0) {
        log_warn("%s's home %s; starting in /", u->name, u->home);
        if (chdir("/") < 0)
            return -errno;
    }
    return 0;
}

/* The process that serves the call: the data link is connected as root,
 * then the process becomes the user for good. (The agent reaches dom0;
 * the user needs no access to what the link is made of.) env: the whole
 * environment the call gets, or NULL to keep ours with the user's
 * variables set. */
static noreturn void serve_as(const struct agent_config *cfg, const struct agent_call *call,
                              const struct user *u, char **env)
{
    uint32_t version;
    struct vchan *v = agent_call_connect(cfg, call, &version);
    int r;

    if (!v)
        _exit(QREXEC_EXIT_PROBLEM);
    r = switch_to(u);
    if (r < 0) {
        log_warnx("cannot become %s: %s", u->name, strerror(-r));
        qrexec_serve_exit(v, QREXEC_EXIT_PROBLEM);
    }
    if (env) {
        environ = env;
    } else {
        setenv("HOME", u->home, 1);
        setenv("USER", u->name, 1);
        setenv("LOGNAME", u->name, 1);
        setenv("SHELL", u->shell, 1);
    }
    agent_call_serve(cfg, call, v, version);
}

#ifndef BULKHEAD_NO_PAM
/* Nobody is there to answer: the agent never authenticates (dom0's policy
 * has decided), so modules may only tell things, which go to the log. */
static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
                        void *data)
{
    (void)data;
    if (n <= 0)
        return PAM_CONV_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style != PAM_ERROR_MSG && msg[i]->msg_style != PAM_TEXT_INFO)
            return PAM_CONV_ERR;
    }
    *resp = calloc((size_t)n, sizeof(**resp)); /* the module frees it */
    if (!*resp)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        log_info("PAM: %s", msg[i]->msg ? msg[i]->msg : "");
    return PAM_SUCCESS;
}

static const char *const vchan_vars[] = {"BULKHEAD_VCHAN", "VCHAN_DOMAIN", "VCHAN_SOCKET_DIR"};

/* The session's environment: what the PAM modules set, the user's own
 * variables, the vchan settings, and a PATH if no module gave one. NULL on
 * failure. */
static char **session_env(pam_handle_t *pamh, const struct user *u)
{
    const char *vars[][2] = {
        {"HOME", u->home}, {"SHELL", u->shell}, {"USER", u->name}, {"LOGNAME", u->name}};
    char kv[PATH_MAX + 16];

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        snprintf(kv, sizeof(kv), "%s=%s", vars[i][0], vars[i][1]);
        if (pam_putenv(pamh, kv) != PAM_SUCCESS)
            return NULL;
    }
    /* Programs of the session that open data links themselves
     * (qrexec-client-vm) must reach the vchan the agent uses: under the
     * local backend that is the socket vchan its environment names. On Xen
     * none of these is set. */
    for (size_t i = 0; i < sizeof(vchan_vars) / sizeof(vchan_vars[0]); i++) {
        const char *v = getenv(vchan_vars[i]);
        if (v && strlen(v) < PATH_MAX) {
            snprintf(kv, sizeof(kv), "%s=%s", vchan_vars[i], v);
            if (pam_putenv(pamh, kv) != PAM_SUCCESS)
                return NULL;
        }
    }
    if (!pam_getenv(pamh, "PATH") &&
        pam_putenv(pamh, u->uid == 0 ? "PATH=" ROOT_PATH : "PATH=" USER_PATH) != PAM_SUCCESS)
        return NULL;
    return pam_getenvlist(pamh);
}

static noreturn void run_in_session(const struct agent_config *cfg, const struct agent_call *call,
                                    const struct user *u)
{
    struct pam_conv conv = {conversation, NULL};
    pam_handle_t *pamh = NULL;
    const char *step = "start";
    char **env = NULL;
    pid_t pid = -1;
    int r, st;

    r = pam_start("qrexec", u->name, &conv, &pamh);
    if (r == PAM_SUCCESS) {
        step = "account";
        r = pam_acct_mgmt(pamh, PAM_SILENT);
    }
    if (r == PAM_SUCCESS) {
        step = "credentials";
        r = pam_setcred(pamh, PAM_ESTABLISH_CRED | PAM_SILENT);
    }
    if (r == PAM_SUCCESS) {
        step = "session";
        r = pam_open_session(pamh, PAM_SILENT);
        if (r != PAM_SUCCESS)
            pam_setcred(pamh, PAM_DELETE_CRED | PAM_SILENT);
    }
    if (r != PAM_SUCCESS) {
        log_warnx("no PAM session (service qrexec) for %s: %s: %s", u->name, step,
                  pam_strerror(pamh, r));
        if (pamh)
            pam_end(pamh, r);
        agent_call_refuse(cfg, call, QREXEC_EXIT_PROBLEM);
    }
    env = session_env(pamh, u);
    if (env)
        pid = fork();
    if (pid == 0) {
        setsid(); /* the call's processes are a session of their own, as a login's */
        serve_as(cfg, call, u, env);
    }
    if (pid < 0)
        log_warn("cannot start the call for %s in its session", u->name);
    else
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    /* the session ends as it began: as root, in this process */
    r = pam_close_session(pamh, PAM_SILENT);
    if (r != PAM_SUCCESS)
        log_warnx("closing %s's PAM session: %s", u->name, pam_strerror(pamh, r));
    pam_setcred(pamh, PAM_DELETE_CRED | PAM_SILENT);
    pam_end(pamh, r);
    if (pid < 0)
        agent_call_refuse(cfg, call, QREXEC_EXIT_PROBLEM);
    _exit(0);
}
#endif

int agent_call_uid(const struct agent_call *call, uid_t *uid)
{
    struct user u;

    if (geteuid() != 0) {
        *uid = geteuid();
        return 0;
    }
    if (find_user(call->user, &u) < 0)
        return -ENOENT;
    *uid = u.uid;
    return 0;
}

noreturn void agent_run_exec(const struct agent_config *cfg, uint32_t type, uint32_t connect_domain,
                             uint32_t connect_port, const char *cmdline, size_t cmdline_len)
{
    struct agent_call call;
    struct user u;
    int r =
        agent_call_prepare(cfg, type, connect_domain, connect_port, cmdline, cmdline_len, &call);

    if (r == -EINVAL)
        _exit(QREXEC_EXIT_PROBLEM);
    if (r < 0)
        agent_call_refuse(cfg, &call, QREXEC_EXIT_PROBLEM);
    /* a fork server was tried before this process was made (calls.c) */
    if (geteuid() != 0) /* not root (tests): as ourselves, whoever was named */
        agent_call_run(cfg, &call);
    if (find_user(call.user, &u) < 0) {
#ifdef BULKHEAD_NO_PAM
        /* a static program may find no user database in a small guest;
         * root needs none */
        if (!strcmp(call.user, "root"))
            agent_call_run(cfg, &call);
#endif
        log_warnx("no user %s", call.user);
        agent_call_refuse(cfg, &call, QREXEC_EXIT_PROBLEM);
    }
#ifdef BULKHEAD_NO_PAM
    serve_as(cfg, &call, &u, NULL);
#else
    run_in_session(cfg, &call, &u);
#endif
}
