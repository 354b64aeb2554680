/* qvmd's event loop: the Admin API socket, many clients at once. (dom0.) */
#ifndef BULKHEAD_QVMD_SERVER_H
#define BULKHEAD_QVMD_SERVER_H

#include "dom0/qvmd/lifecycle.h"
#include "dom0/qvmd/store.h"

struct server_opts {
    const char *socket_path;
    const char *policy_socket;
    const struct lc_opts *lc; /* NULL: no lifecycle */
};

/* Serves until SIGTERM/SIGINT. 0, or -1 if the socket cannot be made. */
int server_run(struct store *s, const struct server_opts *o);

#endif
