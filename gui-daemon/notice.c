/* Telling the user: a desktop notification through notify-send when it is
 * installed (started detached, never waited for: a notification daemon
 * that hangs must not hang the qube's windows), and always the log. And
 * the end of a qube's GUI after a protocol violation. */
#include "gui-daemon/daemon.h"

#include "lib/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

void notice_show(const char *summary, const char *body)
{
    pid_t pid = fork();

    if (pid < 0)
        return;
    if (pid == 0) {
        /* a grandchild runs it, so nobody has to reap it */
        if (fork() == 0) {
            int null = open("/dev/null", O_RDWR);
            if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
            }
            execlp("notify-send", "notify-send", "--app-name=gui-daemon", summary, body,
                   (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

noreturn void protocol_error(struct gui_daemon *d, const char *fmt, ...)
{
    char what[512], body[640], summary[64];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    log_warnx("protocol error: %s", what);
    snprintf(body, sizeof(body),
             "Qube %s sent a malformed GUI message (%s). Its windows were closed; restart its "
             "GUI with qvm-start-daemon.",
             d->opt.name, what);
    snprintf(summary, sizeof(summary), "GUI of qube %s stopped", d->opt.name);
    notice_show(summary, body);
    if (d->x) {
        windows_destroy_all(d);
        xcb_disconnect(d->x);
    }
    exit(GUI_EXIT_PROTOCOL);
}
