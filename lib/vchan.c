/* Backend selection and dispatch; the work is in vchan_socket.c and
 * vchan_xen.c. */
#include "lib/vchan_backend.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct vchan_ops *vchan_pick(void)
{
    const char *force = getenv("BULKHEAD_VCHAN");

    if (force && !strcmp(force, "xen"))
        return &vchan_xen_ops;
    if (force && !strcmp(force, "socket"))
        return &vchan_socket_ops;
    if (getenv("VCHAN_SOCKET_DIR"))
        return &vchan_socket_ops;
    if (access("/dev/xen/evtchn", F_OK) == 0)
        return &vchan_xen_ops;
    return &vchan_socket_ops;
}

bool vchan_socket_selected(void)
{
    return vchan_pick() == &vchan_socket_ops;
}

struct vchan *vchan_server_init(int peer_domid, int port, size_t read_min, size_t write_min)
{
    if (peer_domid < 0 || port < 0) {
        errno = EINVAL;
        return NULL;
    }
    return vchan_pick()->server_init(peer_domid, port, read_min, write_min);
}

struct vchan *vchan_client_init(int server_domid, int port, int timeout_ms)
{
    if (server_domid < 0 || port < 0) {
        errno = EINVAL;
        return NULL;
    }
    return vchan_pick()->client_init(server_domid, port, timeout_ms);
}

/* The blocking calls are the non-blocking ones plus the backend's wait. */
int vchan_read(struct vchan *v, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = v->ops->read_nb(v, (uint8_t *)buf + got, len - got);
        int r;

        if (n < 0)
            return (int)n;
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        r = v->ops->block(v, false);
        if (r < 0)
            return r;
    }
    return 0;
}

int vchan_write(struct vchan *v, const void *buf, size_t len)
{
    size_t put = 0;

    while (put < len) {
        ssize_t n = v->ops->write_nb(v, (const uint8_t *)buf + put, len - put);
        int r;

        if (n < 0)
            return (int)n;
        if (n > 0) {
            put += (size_t)n;
            continue;
        }
        r = v->ops->block(v, true);
        if (r < 0)
            return r;
    }
    return 0;
}

ssize_t vchan_read_nb(struct vchan *v, void *buf, size_t len)
{
    return v->ops->read_nb(v, buf, len);
}

ssize_t vchan_write_nb(struct vchan *v, const void *buf, size_t len)
{
    return v->ops->write_nb(v, buf, len);
}

int vchan_fd(const struct vchan *v)
{
    return v->ops->fd(v);
}

int vchan_wait(struct vchan *v)
{
    return v->ops->wait(v);
}

size_t vchan_data_ready(struct vchan *v)
{
    return v->ops->data_ready(v);
}

size_t vchan_buffer_space(struct vchan *v)
{
    return v->ops->buffer_space(v);
}

enum vchan_state vchan_is_open(struct vchan *v)
{
    return v->ops->is_open(v);
}

void vchan_close(struct vchan *v)
{
    if (v)
        v->ops->close(v);
}

const char *vchan_backend_name(const struct vchan *v)
{
    return v->ops->name;
}

int vchan_own_domid(void)
{
    return vchan_pick()->own_domid();
}

int vchan_peer_pid(const struct vchan *v)
{
    return v->ops->peer_pid(v);
}
