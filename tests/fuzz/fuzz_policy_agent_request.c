/* libFuzzer target: qrexec-policy-agent's request parsers (descriptor and
 * JSON body) on arbitrary bytes. The first byte picks policy.Ask or
 * policy.Notify; whatever is accepted must satisfy the promises of
 * request.h (valid names, bounded counts, an in-range default). */
#include "qrexec/policy/agent/request.h"
#include "qrexec/proto/qrexec_names.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct agent_request req;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum agent_kind kind;
    char err[160];

    if (size == 0)
        return 0;
    agent_parse_descriptor((const char *)data, size, &kind, err, sizeof(err));
    kind = data[0] & 1 ? AGENT_NOTIFY : AGENT_ASK;
    if (agent_parse_request(kind, (const char *)data + 1, size - 1, &req, err, sizeof(err)) < 0) {
        assert(strlen(err) < sizeof(err));
        return 0;
    }
    assert(req.kind == kind);
    assert(qrexec_classify_target(req.source, NULL) != QREXEC_TARGET_INVALID);
    assert(req.argument[0] == '+');
    if (kind == AGENT_ASK) {
        assert(req.target_count >= 1 && req.target_count <= AGENT_MAX_TARGETS);
        assert(req.default_index >= -1 && req.default_index < (int)req.target_count);
        for (size_t i = 0; i < req.target_count; i++) {
            assert(qrexec_classify_target(req.targets[i], NULL) != QREXEC_TARGET_INVALID);
            assert(req.target_labels[i] <= AGENT_LABEL_BLACK);
        }
        assert(req.source_label <= AGENT_LABEL_BLACK);
    } else {
        assert(req.resolution <= AGENT_RES_FAIL);
    }
    return 0;
}
