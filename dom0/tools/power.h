/* The common body of qvm-start, qvm-kill, qvm-pause and qvm-unpause: one
 * Admin API call per chosen qube, in order, each failure reported with the
 * qube's name and qvmd's message. */
#ifndef BULKHEAD_DOM0_POWER_H
#define BULKHEAD_DOM0_POWER_H

struct power_cmd {
    const char *prog;   /* "qvm-pause" */
    const char *method; /* "admin.vm.Pause" */
    const char *what;   /* the --help line: "Pause running qubes." */
    const char *done;   /* -v says "QUBE: DONE" */
    /* --all chooses the qubes in one of these states (NULL: any) */
    const char *const *all_states;
    /* this exception means there was nothing to do: not an error */
    const char *nothing_to_do;
    /* qvm-start: --skip-if-running makes this exception nothing to do */
    const char *skippable;
};

int power_main(int argc, char **argv, const struct power_cmd *cmd);

#endif
