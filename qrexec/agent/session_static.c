/* session.c for the static guest twin of qrexec-agent: PAM loads its
 * modules at run time, which a statically linked program cannot do, so the
 * twin switches users without a login session. */
#define BULKHEAD_NO_PAM 1
#include "qrexec/agent/session.c"
