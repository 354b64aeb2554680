/* qrexec-policy-explain (dom0): why the policy decides a call the way it
 * does.
 *
 *   qrexec-policy-explain [--policy-dir DIR]... [--system FILE]
 *                         SOURCE TARGET SERVICE[+ARG]
 *
 * Prints the decision and the rule that made it (file:line and its
 * normalized text), then for every other target (each qube and keyword)
 * the decision and deciding rule it would get. Never asks or notifies.
 * Exit 0 when the call would be allowed or asked, 3 when denied, 1 if the
 * policy cannot be read, 2 for bad usage. */
#include "qrexec/policy/decide.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *action_name(enum v5_action a)
{
    return a == V5_ALLOW ? "allow" : a == V5_ASK ? "ask" : "deny";
}

/* One decision on one line: WHAT -> ACTION [to T] (FILE:LINE: RULE | why) */
static void show(const struct engine *e, const struct v5_request *req, bool main_line)
{
    struct v5_decision d;
    char rule[2 * V5_NAME_MAX * 4];

    v5_evaluate_indexed(&e->policy, e->index, &e->sys, req, &d);
    printf("%s%-24s %-5s", main_line ? "decision: " : "  ",
           req->target[0] ? req->target : "@default", action_name(d.action));
    if (d.action == V5_ALLOW)
        printf(" -> %s", d.target);
    if (d.action == V5_ASK) {
        printf(" among");
        for (size_t i = 0; i < d.ask_count; i++)
            printf(" %s", d.ask_targets[i]);
        if (d.default_target[0])
            printf(" (default %s)", d.default_target);
    }
    if (d.rule && v5_format_rule(d.rule, rule, sizeof(rule)) >= 0)
        printf("%s%s:%d: %s", main_line ? "\nrule: " : "   by ", d.rule->file, d.rule->line, rule);
    if (d.action == V5_DENY)
        printf("%s(%s)", main_line ? "\nwhy: " : "   ", d.reason);
    printf("\n");
    v5_decision_free(&d);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"policy-dir", required_argument, NULL, 'd'},
                                         {"system", required_argument, NULL, 'y'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dirs[DECIDE_MAX_DIRS], *system_file = DECIDE_SYSTEM_FILE;
    char service[V5_NAME_MAX], arg[V5_NAME_MAX], err[V5_ERROR_MAX], name[V5_NAME_MAX + 8];
    struct engine e = {0};
    struct v5_request req;
    struct v5_decision d;
    size_t ndirs = 0;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd' && ndirs < DECIDE_MAX_DIRS)
            dirs[ndirs++] = optarg;
        else if (c == 'y')
            system_file = optarg;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: qrexec-policy-explain [--policy-dir DIR]... [--system FILE] SOURCE "
                    "TARGET SERVICE[+ARG]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (argc - optind != 3 || decide_split_service(argv[optind + 2], service, arg) < 0) {
        fprintf(stderr, "usage: qrexec-policy-explain [--policy-dir DIR]... [--system FILE] "
                        "SOURCE TARGET SERVICE[+ARG]\n");
        return 2;
    }
    if (!ndirs) {
        dirs[ndirs++] = V5_POLICY_DIR;
        dirs[ndirs++] = V5_RUN_DIR;
    }
    if (engine_load_policy(&e, dirs, ndirs, err) < 0 ||
        engine_load_system(&e, system_file, err) < 0) {
        fprintf(stderr, "qrexec-policy-explain: %s\n", err);
        engine_free(&e);
        return 1;
    }
    req = (struct v5_request){argv[optind], argv[optind + 1], service, arg};
    printf("call: %s -> %s %s+%s\n", req.source, req.target, service, arg);
    show(&e, &req, true);
    rc = v5_evaluate_indexed(&e.policy, e.index, &e.sys, &req, &d);
    rc = rc < 0 || d.action == V5_DENY ? 3 : 0;
    v5_decision_free(&d);
    printf("other targets:\n");
    {
        static const char *const keywords[] = {"@default", "@adminvm", "@dispvm"};
        for (size_t i = 0; i < 3; i++)
            if (strcmp(keywords[i], req.target)) {
                struct v5_request o = req;
                o.target = keywords[i];
                show(&e, &o, false);
            }
        for (size_t i = 0; i < e.sys.count; i++) {
            const struct v5_qube *q = &e.sys.qubes[i];
            struct v5_request o = req;
            if (!strcmp(q->name, "dom0") || !strcmp(q->name, req.target))
                continue;
            o.target = q->name;
            show(&e, &o, false);
            if (q->template_for_dispvms) {
                snprintf(name, sizeof(name), "@dispvm:%s", q->name);
                o.target = name;
                show(&e, &o, false);
            }
        }
    }
    engine_free(&e);
    return rc;
}
