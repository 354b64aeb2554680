/* The one Admin API request qrexec's clients make: qrexec-client -k asks
 * qvmd to kill the VM once the call is over (disposable VMs). (dom0.) */
#ifndef BULKHEAD_QREXEC_ADMIN_H
#define BULKHEAD_QREXEC_ADMIN_H

#include <stddef.h>

#define QREXEC_QVMD_SOCKET     "/run/bulkhead/qvmd.sock"
#define QREXEC_QVMD_SOCKET_ENV "BULKHEAD_QVMD_SOCKET"

/* The socket qvmd listens on: $BULKHEAD_QVMD_SOCKET, or the default. */
const char *qrexec_admin_socket(void);

/* Sends "admin.vm.Kill+ dom0 name DOMAIN\0" (the Admin API header of a
 * dom0 tool: method+argument (empty), source, how the destination is
 * named, destination), half-closes, and reads the
 * reply to its end. 0 if qvmd said OK; -EREMOTEIO if it raised an
 * exception, described in why ("TYPE: message", made printable); -EPROTO
 * for any other reply; or the negative errno of reaching the socket. */
int qrexec_admin_kill(const char *socket_path, const char *domain, char *why, size_t whysz);

#endif
