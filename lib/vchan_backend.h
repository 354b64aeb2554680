/* Private to lib/vchan*.c: the table each backend fills in. */
#ifndef BULKHEAD_LIB_VCHAN_BACKEND_H
#define BULKHEAD_LIB_VCHAN_BACKEND_H

#include "lib/vchan.h"

#include <stdbool.h>

struct vchan_ops {
    const char *name;
    struct vchan *(*server_init)(int peer_domid, int port, size_t read_min, size_t write_min);
    struct vchan *(*client_init)(int server_domid, int port, int timeout_ms);
    ssize_t (*read_nb)(struct vchan *v, void *buf, size_t len);
    ssize_t (*write_nb)(struct vchan *v, const void *buf, size_t len);
    /* Waits until a read (for_write false) or write could make progress,
     * or the channel closed. 0, or a negative errno (-EPIPE: closed). */
    int (*block)(struct vchan *v, bool for_write);
    int (*fd)(const struct vchan *v);
    int (*wait)(struct vchan *v);
    size_t (*data_ready)(struct vchan *v);
    size_t (*buffer_space)(struct vchan *v);
    enum vchan_state (*is_open)(struct vchan *v);
    void (*close)(struct vchan *v);
    int (*own_domid)(void);
    /* The peer process's pid, or a negative errno (vchan_peer_pid()). */
    int (*peer_pid)(const struct vchan *v);
};

/* Every backend's struct vchan starts with this. */
struct vchan {
    const struct vchan_ops *ops;
};

extern const struct vchan_ops vchan_socket_ops;
extern const struct vchan_ops vchan_xen_ops;

/* True when vchan_*_init() would use the socket backend (the environment
 * decides): lib/shm.c picks memfd buffers then, so both agree. */
bool vchan_socket_selected(void);

#endif
