/* vchan: a bidirectional byte stream between two domains.
 *
 * One API, two backends chosen at run time:
 *  - xen: libxenvchan over grant tables and an event channel; xenstore paths
 *    as Qubes uses them (server: data/vchan/<client>/<port>, client:
 *    /local/domain/<server>/data/vchan/<own>/<port>), so Qubes peers connect.
 *  - socket: a Unix stream socket at
 *    $VCHAN_SOCKET_DIR/vchan.<server>.<client>.<port>.sock (default directory
 *    /var/run/vchan), own domid from $VCHAN_DOMAIN (default 0), the bytes on
 *    the socket being exactly the bytes written. Used by tests and by the
 *    local (no-Xen) backend.
 * $BULKHEAD_VCHAN=xen|socket forces one; otherwise a set $VCHAN_SOCKET_DIR or
 * a missing /dev/xen/evtchn selects socket, and Xen is used where it exists.
 *
 * Errors: functions returning int or ssize_t give a negative errno; the init
 * functions return NULL and set errno. A peer that closed or died makes the
 * channel closed (vchan_is_open() == VCHAN_CLOSED, blocking calls return
 * -EPIPE); it is never a hang. Bytes already received stay readable. */
#ifndef BULKHEAD_LIB_VCHAN_H
#define BULKHEAD_LIB_VCHAN_H

#include <stddef.h>
#include <sys/types.h>

struct vchan;

enum vchan_state {
    VCHAN_CLOSED = 0,
    VCHAN_CONNECTED = 1,
    VCHAN_WAITING = 2, /* server, no client yet */
};

/* Offers a channel to peer_domid on port. read_min/write_min: ring sizes
 * wanted for each direction (the backend may round up). Returns at once;
 * the client arrives later (state VCHAN_WAITING until then). */
struct vchan *vchan_server_init(int peer_domid, int port, size_t read_min, size_t write_min);
/* Connects to server_domid's channel on port, waiting up to timeout_ms for
 * the server to appear (-1: no limit). errno ETIMEDOUT if it never did. */
struct vchan *vchan_client_init(int server_domid, int port, int timeout_ms);

/* Blocking: all len bytes, or -EPIPE when the channel closes first. A
 * server waiting for its client waits for it. A write returns once its
 * bytes are in the channel's buffer, as with a Xen ring: a write that fits
 * in vchan_buffer_space() never waits for the peer to read (that is what
 * keeps two peers writing to each other from deadlocking), and
 * vchan_close() delivers whatever is still queued. */
int vchan_read(struct vchan *v, void *buf, size_t len);
int vchan_write(struct vchan *v, const void *buf, size_t len);
/* Non-blocking: as much as can move now (0 if nothing), -EPIPE if closed
 * and (for reads) nothing is left to read. */
ssize_t vchan_read_nb(struct vchan *v, void *buf, size_t len);
ssize_t vchan_write_nb(struct vchan *v, const void *buf, size_t len);

/* A descriptor that polls readable when something happened on the channel
 * (data, space, connection, close); call vchan_wait() then, which consumes
 * the event and does the backend's pending work. The fd stays the same for
 * the channel's life. */
int vchan_fd(const struct vchan *v);
int vchan_wait(struct vchan *v);

/* Bytes readable / writable now without blocking. */
size_t vchan_data_ready(struct vchan *v);
size_t vchan_buffer_space(struct vchan *v);
enum vchan_state vchan_is_open(struct vchan *v);
/* Hands any bytes still buffered to the peer (waiting while the peer keeps
 * taking them, never longer than VCHAN_CLOSE_LINGER_MS without progress),
 * then frees everything. Accepts NULL. */
void vchan_close(struct vchan *v);

#define VCHAN_CLOSE_LINGER_MS 5000

/* The peer process's pid as this process's PID namespace sees it (socket
 * backend: the kernel's SO_PEERCRED of the connection, never a value the peer
 * sent), or -ENOTSUP on Xen, -ENOTCONN before a peer arrived. The local
 * backend's shared memory (lib/shm.h) needs it. */
int vchan_peer_pid(const struct vchan *v);

/* "xen" or "socket". */
const char *vchan_backend_name(const struct vchan *v);
/* This domain's id as the selected backend sees it, or a negative errno. */
int vchan_own_domid(void);

#endif
