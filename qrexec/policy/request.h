/* The policy daemon's request: what qrexec-daemon writes to
 * /run/qubes/policy.sock, one key=value per line, ended by an empty line
 * (spec section 1, policy-daemon protocol). The values started life in a
 * VM (service name, intended target), so the policy side parses them like
 * any other input: strictly, and without trusting the daemon did. (dom0.) */
#ifndef BULKHEAD_QREXEC_POLICY_REQUEST_H
#define BULKHEAD_QREXEC_POLICY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define POLICY_REQUEST_MAX   4096
#define POLICY_REQ_FIELD_MAX 256

struct policy_request {
    unsigned domain_id;
    char source[POLICY_REQ_FIELD_MAX];
    char intended_target[POLICY_REQ_FIELD_MAX];
    char service_and_arg[POLICY_REQ_FIELD_MAX];
    char process_ident[POLICY_REQ_FIELD_MAX];
    char requested_source[POLICY_REQ_FIELD_MAX]; /* "" unless given */
    bool assume_yes_for_ask, just_evaluate;
};

/* Parses one request: text must be the whole request, the empty line
 * included and nothing after it. Every required key exactly once
 * (domain_id, source, intended_target, service_and_arg, process_ident),
 * optional ones at most once, no unknown keys; names follow the qrexec
 * rules. Pure. 0, or -EINVAL with a reason in err. */
int policy_parse_request(const char *text, size_t len, struct policy_request *out, char *err,
                         size_t errsz);

/* Where the request ends (one past the empty line) in a partial read, or
 * 0 if it has not ended yet. */
size_t policy_request_end(const char *text, size_t len);

#endif
