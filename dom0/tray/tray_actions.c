/* The domains tray's actions; see tray_actions.h. */
#include "dom0/tray/tray_actions.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *word, *label;
} names[TRAY_ACTIONS] = {
    [TRAY_START] = {"start", "_Start"},
    [TRAY_SHUTDOWN] = {"shutdown", "Shut_down"},
    [TRAY_KILL] = {"kill", "_Kill"},
    [TRAY_TERMINAL] = {"terminal", "Open _terminal"},
};

int tray_action_parse(const char *word)
{
    for (int i = 0; i < TRAY_ACTIONS; i++)
        if (strcmp(word, names[i].word) == 0)
            return i;
    return -1;
}

const char *tray_action_label(enum tray_action a)
{
    return names[a].label;
}

bool tray_action_possible(enum tray_action a, const char *state)
{
    bool halted = strcmp(state, "Halted") == 0;

    switch (a) {
    case TRAY_START:
        return halted;
    case TRAY_SHUTDOWN:
        return strcmp(state, "Running") == 0;
    case TRAY_KILL:
        return !halted;
    case TRAY_TERMINAL:
        /* starts a halted qube first, as qvm-run -a does */
        return halted || strcmp(state, "Running") == 0;
    default:
        return false;
    }
}

pid_t tray_action_run(enum tray_action a, const char *qube)
{
    /* The terminal is the template's xterm through qubes.StartApp, as the
     * application menu starts it (qvm-appmenus): the qube decides what
     * debian-xterm means, dom0 passes no command line. */
    char *const start[] = {"qvm-start", "--", (char *)qube, NULL};
    char *const shutdown[] = {"qvm-shutdown", "--", (char *)qube, NULL};
    char *const kill[] = {"qvm-kill", "--", (char *)qube, NULL};
    char *const terminal[] = {
        "qvm-run", "-q", "-a", "--service", "--", (char *)qube, "qubes.StartApp+debian-xterm",
        NULL};
    char *const *argv = a == TRAY_START      ? start
                        : a == TRAY_SHUTDOWN ? shutdown
                        : a == TRAY_KILL     ? kill
                                             : terminal;
    pid_t pid = fork();

    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0 && nul != 0) {
            dup2(nul, 0);
            close(nul);
        }
        execvp(argv[0], argv);
        /* only async-signal-safe calls after fork in a threaded (GLib) process */
        static const char msg[] = "bulkhead-domains: cannot run a qvm-* command\n";
        if (write(2, msg, sizeof(msg) - 1) < 0)
            _exit(127);
        _exit(127);
    }
    return pid;
}
