/* The qrexec policy, v5 format (dom0): the shared model of the parser
 * (v5_parse.c), the evaluator (v5_eval.c) and their users
 * (qrexec-policy-daemon, qrexec-policy-exec, qrexec-policy-check,
 * qrexec-policy-explain). Facts: ../shared/spec/qubes-interop.md section 2.
 *
 * A policy is one flat table of rules, in the order the files are read
 * (C-locale order of the file names, /etc/qubes/policy.d before
 * /run/qubes/policy.d, includes in place). The first rule that matches a
 * call decides it; no match denies. Any error rejects the whole policy. */
#ifndef BULKHEAD_QREXEC_POLICY_V5_H
#define BULKHEAD_QREXEC_POLICY_V5_H

#include <stdbool.h>
#include <stddef.h>

#define V5_NAME_MAX  64  /* service, argument, token values, user */
#define V5_PATH_MAX  256 /* where a rule came from */
#define V5_ERROR_MAX 512 /* one message: "FILE:LINE: what is wrong" */

/* A token in the source, target, target= or default_target= column. */
enum v5_token_kind {
    V5_TOK_ANY,        /* * */
    V5_TOK_NAME,       /* a qube name; value = the name */
    V5_TOK_ADMINVM,    /* @adminvm, or dom0 */
    V5_TOK_ANYVM,      /* @anyvm: every qube but dom0 (and @default as a target) */
    V5_TOK_DEFAULT,    /* @default: target column only */
    V5_TOK_DISPVM,     /* @dispvm: a new disposable of the source's default_dispvm */
    V5_TOK_DISPVM_VM,  /* @dispvm:VM; value = VM */
    V5_TOK_DISPVM_TAG, /* @dispvm:@tag:T; value = T */
    V5_TOK_TAG,        /* @tag:T; value = T */
    V5_TOK_TYPE,       /* @type:CLASS; value = CLASS */
    V5_TOK_UUID,       /* uuid:UUID; value = UUID */
};

struct v5_token {
    enum v5_token_kind kind;
    char value[V5_NAME_MAX];
};

enum v5_action { V5_ALLOW, V5_DENY, V5_ASK };

/* Unset tri-state parameters are V5_UNSET; the action's default applies. */
#define V5_UNSET (-1)

struct v5_rule {
    bool any_service; /* service column "*" (then any_arg too) */
    char service[V5_NAME_MAX];
    bool any_arg;          /* argument column "*" */
    char arg[V5_NAME_MAX]; /* after the '+'; "" for the empty argument "+" */
    struct v5_token source, target;
    enum v5_action action;
    bool has_redirect; /* target= */
    struct v5_token redirect;
    bool has_default_target; /* default_target= (ask) */
    struct v5_token default_target;
    char user[V5_NAME_MAX]; /* user=, "" if not given */
    int notify;             /* notify=yes|no: 1, 0, or V5_UNSET */
    int autostart;          /* autostart=yes|no: 1, 0, or V5_UNSET */
    char file[V5_PATH_MAX]; /* the file the rule is in, as named to the parser */
    int line;
};

struct v5_policy {
    struct v5_rule *rules;
    size_t count, cap;
};

/* Where the parser gets file contents and folder listings: the real file
 * system for the programs, memory for the tests. Both return 0 or a
 * negative errno. The parser frees what they hand out with free(). */
struct v5_files {
    int (*read)(void *ctx, const char *path, char **text, size_t *len);
    /* The names (not paths) of the entries of dir, in any order. */
    int (*list)(void *ctx, const char *dir, char ***names, size_t *count);
    void *ctx;
};
/* The real file system. */
extern const struct v5_files v5_files_system;

/* Loads the policy from the folders, in this order (normally
 * /etc/qubes/policy.d then /run/qubes/policy.d; a folder that does not
 * exist is skipped). 0, or -EINVAL with the first error in err, naming
 * file and line; out is then empty. A pure function of the files. */
int v5_load(const struct v5_files *files, const char *const dirs[], size_t ndirs,
            struct v5_policy *out, char err[V5_ERROR_MAX]);
/* Parses one file's text (file names it in rules and errors; base is the
 * folder relative !include paths start from) and appends its rules. */
int v5_parse_file(const struct v5_files *files, const char *file, const char *base,
                  const char *text, size_t len, struct v5_policy *out, char err[V5_ERROR_MAX]);
void v5_policy_free(struct v5_policy *p);

/* The normalized line of a rule (columns separated by one space, the
 * parameters in a fixed order, "dom0" written @adminvm), without origin
 * or newline. Parsing this line gives the same rule. */
int v5_format_rule(const struct v5_rule *r, char *out, size_t outsz);

/* What the evaluator knows of the qubes: from qvmd's Admin API once qvmd
 * exists, from a file (v5_parse_system) before that and in tests. dom0 is
 * in the list as class AdminVM. */
struct v5_qube {
    char name[32];
    char klass[32]; /* AdminVM, TemplateVM, AppVM, DispVM, StandaloneVM */
    char uuid[40];
    char **tags;
    size_t ntags;
    bool running;
    char default_dispvm[32]; /* "" if none */
    bool template_for_dispvms;
};
struct v5_system {
    struct v5_qube *qubes;
    size_t count;
};

/* The VM list file: one qube per line,
 *   NAME class=CLASS [uuid=UUID] [tags=T1,T2] [running=yes|no]
 *        [default_dispvm=NAME] [template_for_dispvms=yes|no]
 * # comments and empty lines ignored; dom0 is added if missing. Pure.
 * 0, or -EINVAL with "LINE: what" in err. */
int v5_parse_system(const char *text, size_t len, struct v5_system *out, char err[V5_ERROR_MAX]);
void v5_system_free(struct v5_system *s);

/* A call to decide. target is what the caller asked for (a name,
 * @default, @adminvm/dom0, @dispvm, @dispvm:VM, uuid:UUID); arg has no '+'
 * ("" for none). */
struct v5_request {
    const char *source, *target, *service, *arg;
};

#define V5_MAX_ASK_TARGETS 128

struct v5_decision {
    enum v5_action action;      /* deny also when nothing matched */
    const struct v5_rule *rule; /* the rule that decided, NULL: no match */
    char target[V5_NAME_MAX];   /* allow: where the call goes (a name,
                                   @adminvm, or @dispvm:VM for a new disposable) */
    char user[V5_NAME_MAX];     /* "" for the target's default user */
    bool autostart, notify;
    /* ask: the targets the user may pick (each allowed or asked by some
     * rule), and the one preselected ("" for none) */
    char (*ask_targets)[V5_NAME_MAX];
    size_t ask_count;
    char default_target[V5_NAME_MAX];
    char reason[V5_ERROR_MAX]; /* deny: why, for logs and explain */
};

/* Decides a request. 0 (the decision is in out, deny included), or
 * -EINVAL for a request that names no real qube or is malformed (out says
 * deny and why). Frees nothing the caller owns; v5_decision_free releases
 * ask_targets. */
int v5_evaluate(const struct v5_policy *p, const struct v5_system *sys,
                const struct v5_request *req, struct v5_decision *out);
void v5_decision_free(struct v5_decision *d);

/* ---- Parser additions (p4-parser branch; v5_parse.c, v5_files.c,
 * v5_format.c). Everything above is the shared interface and unchanged. */

#define V5_LINE_MAX      1024      /* one policy line, newline excluded */
#define V5_FILE_MAX      (8 << 20) /* one policy file (v5_files_system) */
#define V5_RULES_MAX     (1 << 20) /* rules in a whole policy */
#define V5_INCLUDE_DEPTH 16        /* nested !include / !include-service */
#define V5_POLICY_DIR    "/etc/qubes/policy.d"
#define V5_RUN_DIR       "/run/qubes/policy.d"
#define V5_COMPAT_DIR    "/etc/qubes-rpc/policy" /* !compat-4.0 */

/* What v5_load does not take as parameters: warnings (an empty
 * !include-dir) go to warn if set; compat_dir replaces V5_COMPAT_DIR
 * (tests). A NULL opts, or zeroed fields, mean the defaults. */
struct v5_load_options {
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    const char *compat_dir;
};
int v5_load_with(const struct v5_files *files, const char *const dirs[], size_t ndirs,
                 const struct v5_load_options *opts, struct v5_policy *out, char err[V5_ERROR_MAX]);
/* v5_parse_file on error drops the rules it added; if out was empty it is
 * freed, otherwise the earlier rules stay (the caller frees them). */
/* v5_format_rule returns 0, -ENOSPC if outsz is too small (out then holds
 * a cut, NUL-terminated line) or -EINVAL for a rule no parse can make. */

/* ---- Evaluator additions (p4-eval). ----
 * An index of a policy by service, built once per load: an evaluation
 * then looks only at the rules that can match its service (those naming
 * it and the "*" ones), still in table order, so first-match is kept. */
struct v5_index;
/* 0 or -ENOMEM. The index points into p: rebuild it when p changes. */
int v5_index_build(const struct v5_policy *p, struct v5_index **out);
void v5_index_free(struct v5_index *ix);
/* v5_evaluate through an index of p (ix NULL: scan the whole table). */
int v5_evaluate_indexed(const struct v5_policy *p, const struct v5_index *ix,
                        const struct v5_system *sys, const struct v5_request *req,
                        struct v5_decision *out);
/* The qube of that name ("dom0" for the admin qube), or NULL. */
const struct v5_qube *v5_system_find(const struct v5_system *sys, const char *name);

#endif
