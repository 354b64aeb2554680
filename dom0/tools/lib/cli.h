/* What every qvm-* command shares: its name in messages, the exit codes,
 * one-line errors, argument checks and Admin API calls that report their
 * own failure. Exit codes (docs/cli.md): 0 done, 1 qvmd refused or failed
 * (or a check did not hold), 2 the command line is wrong. */
#ifndef BULKHEAD_DOM0_CLI_H
#define BULKHEAD_DOM0_CLI_H

#include "dom0/tools/lib/admin_call.h"

#include <stdbool.h>
#include <stdnoreturn.h>

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

extern const char *cli_prog;

/* One line "PROG: MESSAGE" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, then exit 2 (a wrong command line). */
noreturn void cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exits 2 unless name is a valid qube name (qrexec's rules). */
void cli_check_vm_name(const char *name);

/* Exits 2 unless s (what: "feature", "tag", ...) fits in a method's
 * argument: 1 to 64 of [A-Za-z0-9_.-], as the Admin API's framing allows. */
void cli_check_word(const char *what, const char *s);

/* Marks each argument that is a negative number ("-3", "-0.5") so that
 * getopt leaves it as an operand (qvm-prefs QUBE PROP -3 sets -3, as in
 * Qubes). Call before getopt; read operands back through cli_arg. */
void cli_keep_negative_numbers(int argc, char **argv);
const char *cli_arg(const char *arg);

/* One Admin API call; on failure prints qvmd's message (or why qvmd could
 * not be reached) as one line and returns -1; 0 on success with res to be
 * freed by the caller. */
int cli_call(const char *method, const char *arg, const char *dest, const char *payload,
             struct qadmin_result *res);
/* The same for a call whose data is not needed. */
int cli_do(const char *method, const char *arg, const char *dest, const char *payload);

/* Writes a counted string with everything but printable ASCII, '\n' and
 * '\t' escaped as \xHH (qvmd is trusted, but a qube's notes or a
 * feature value a qube requested need not be terminal-safe). */
void cli_put(struct qadmin_str s);

/* Calls fn for each of vm's features whose name starts with prefix ("" for
 * all), in qvmd's order, with the name after the prefix, the width of the
 * longest such name, and the value: one admin.vm.feature.List, then every
 * Get at once. CLI_OK, or CLI_FAIL (after one line per failed call). */
int cli_each_feature(const char *vm, const char *prefix,
                     void (*fn)(const char *name, int width, struct qadmin_str value, void *ctx),
                     void *ctx);

/* A boolean word as qvm-service and qvm-features accept it: 1 for
 * on/true/yes/enable/1, 0 for off/false/no/disable/0 and "", -1 for
 * anything else. */
int cli_parse_bool(const char *s);

/* words as one line for a POSIX shell: one word as it is when !quote_all
 * (a shell line of its own), otherwise each word in single quotes (a '
 * inside becomes '\'') joined by spaces, so the shell sees exactly
 * these words, unexpanded. Allocated; NULL if the result (with its NUL)
 * would exceed max bytes or memory ran out. */
char *cli_shell_join(char *const *words, size_t n, bool quote_all, size_t max);

#endif
