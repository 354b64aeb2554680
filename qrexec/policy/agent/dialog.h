/* The policy.Ask confirmation dialog (dom0, GTK3, main thread only). */
#ifndef BULKHEAD_POLICY_AGENT_DIALOG_H
#define BULKHEAD_POLICY_AGENT_DIALOG_H

#include "qrexec/policy/agent/request.h"

/* Called exactly once per dialog, on the main thread: target is the chosen
 * target (allow), or NULL (deny: Deny, close or timeout). */
typedef void (*agent_answer_fn)(void *opaque, const char *target);

/* Milliseconds OK stays insensitive after the dialog appears, so Enter or a
 * click meant for another window cannot allow a call. */
#define AGENT_OK_DELAY_MS 1000

/* Shows a dialog for a checked request (copied; req may go away) and
 * returns at once. timeout_s > 0: deny after that many seconds. */
void agent_dialog_show(const struct agent_request *req, unsigned timeout_s, agent_answer_fn fn,
                       void *opaque);

/* The window title, for tests and window managers:
 * "qrexec: SOURCE wants SERVICE". */
void agent_dialog_title(const struct agent_request *req, char *out, size_t outsz);

#endif
