/* The interim qrexec policy (dom0), until the v5 engine (issue 4) lands:
 * a file of rules in a subset of the v5 line format, first match wins, no
 * match denies.
 *
 *   # comment
 *   SERVICE  ARG  SOURCE  TARGET  allow|deny  [target=NAME] [user=USER]
 *
 * SERVICE is a name or *; ARG is +ARGUMENT, + (empty argument) or * (any;
 * required when SERVICE is *); SOURCE and TARGET are a qube name, @anyvm
 * (any qube but dom0), @adminvm (or dom0), or *; TARGET may also be
 * @default. An allow rule whose TARGET is @default must name target=. Any
 * error rejects the whole file, naming the line. */
#ifndef BULKHEAD_QREXEC_POLICY_SIMPLE_H
#define BULKHEAD_QREXEC_POLICY_SIMPLE_H

#include <stdbool.h>
#include <stddef.h>

#define SIMPLE_TOKEN_MAX 64

struct simple_rule {
    char service[SIMPLE_TOKEN_MAX], arg[SIMPLE_TOKEN_MAX]; /* arg: "*", "+", "+x" */
    char source[SIMPLE_TOKEN_MAX], target[SIMPLE_TOKEN_MAX];
    bool allow;
    char redirect[SIMPLE_TOKEN_MAX]; /* target=, or "" */
    char user[SIMPLE_TOKEN_MAX];     /* user=, or "" */
    int line;
};

struct simple_policy {
    struct simple_rule *rules;
    size_t count;
};

/* Parses a whole file. 0, or -EINVAL with a message naming the line in err. */
int simple_policy_parse(const char *text, size_t len, struct simple_policy *out, char *err,
                        size_t errsz);
void simple_policy_free(struct simple_policy *p);

struct simple_decision {
    bool allow;
    char target[SIMPLE_TOKEN_MAX]; /* the target to use (after target=) */
    char user[SIMPLE_TOKEN_MAX];   /* "" for the default user */
    int line;                      /* the rule that decided, 0 for none */
};

/* Decides a call. source and target are qube names or keywords as the
 * daemon passes them; service is SERVICE+ARG or SERVICE. */
void simple_policy_eval(const struct simple_policy *p, const char *source, const char *target,
                        const char *service_and_arg, struct simple_decision *out);

#endif
