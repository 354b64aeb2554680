/* The syntax of one v5 policy line (dom0): fields, tokens, the service
 * and argument columns, actions and parameters; also the old 3-column
 * syntax of !include-service and R4.0 files. Pure functions used by
 * v5_parse.c (files and directives) and the tests. Each returns 0 or
 * -EINVAL with a short printable reason in why (no file or line: the
 * caller adds them). */
#ifndef BULKHEAD_QREXEC_POLICY_V5_LINE_H
#define BULKHEAD_QREXEC_POLICY_V5_LINE_H

#include "qrexec/policy/v5.h"

#include <stdbool.h>

#define V5_WHY_MAX    256
#define V5_FIELDS_MAX 16 /* 5 columns and every parameter once, with room to spare */

/* Where a token stands; each column takes a different set (v5.h). */
enum v5_column { V5_COL_SOURCE, V5_COL_TARGET, V5_COL_REDIRECT, V5_COL_DEFAULT_TARGET };

/* Replaces every byte that is not printable ASCII by '?'. */
void v5_printable(char *s);
/* A directive's path: 1 or more of A-Z a-z 0-9 _ . + - /. */
bool v5_valid_path(const char *p);
/* Splits line in place at spaces and tabs into at most V5_FIELDS_MAX
 * fields; any other control byte is an error. */
int v5_split_fields(char *line, char **f, int *n, char why[V5_WHY_MAX]);
int v5_parse_token(const char *s, enum v5_column col, struct v5_token *t, char why[V5_WHY_MAX]);
/* SERVICE|* and +ARG|+|* into r. */
int v5_parse_service(const char *svc, const char *arg, struct v5_rule *r, char why[V5_WHY_MAX]);
/* A whole v5 rule line (not a comment or directive), split. */
int v5_parse_rule_fields(char **f, int n, struct v5_rule *r, char why[V5_WHY_MAX]);
/* SOURCE TARGET ACTION[,k=v...] for the service and argument of svc;
 * legacy (R4.0 files) reads $ as @ first. */
int v5_parse_old_fields(char **f, int n, bool legacy, const struct v5_rule *svc, struct v5_rule *r,
                        char why[V5_WHY_MAX]);

#endif
