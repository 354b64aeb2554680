/* libFuzzer target: dom0's policy text parsers (the interim simple policy
 * file, a policy daemon request and its reply) on arbitrary bytes, and
 * evaluation of whatever parses. */
#include "qrexec/daemon/policy.h"
#include "qrexec/policy/request.h"
#include "qrexec/policy/simple.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct simple_policy p;
    struct simple_decision d;
    struct policy_reply r;
    struct policy_request q;
    char err[128];

    if (simple_policy_parse((const char *)data, size, &p, err, sizeof(err)) == 0) {
        simple_policy_eval(&p, "work", "@default", "qubes.Filecopy+x", &d);
        if (d.allow)
            assert(strcmp(d.target, "@default") != 0);
        simple_policy_eval(&p, "dom0", "work", "a", &d);
        simple_policy_free(&p);
    }
    if (policy_parse_request((const char *)data, size, &q, err, sizeof(err)) == 0)
        assert(q.source[0] && q.intended_target[0] && q.service_and_arg[0]);
    else
        assert(err[0] != '\0');
    (void)policy_request_end((const char *)data, size);
    if (policy_parse_reply((const char *)data, size, &r) == 0 && r.allow)
        assert(r.target[0] != '\0');
    return 0;
}
