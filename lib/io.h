/* Whole-buffer reads and writes on file descriptors, retrying on EINTR and
 * short transfers. */
#ifndef BULKHEAD_LIB_IO_H
#define BULKHEAD_LIB_IO_H

#include <stddef.h>

/* Reads exactly n bytes. 0 on success, -EPIPE if EOF came first (the bytes
 * read so far are lost to the caller), or another negative errno. */
int io_read_full(int fd, void *buf, size_t n);
/* Writes exactly n bytes (no SIGPIPE on sockets). 0 or a negative errno. */
int io_write_full(int fd, const void *buf, size_t n);
/* A connected Unix stream socket to path (close-on-exec), or a negative
 * errno (-ENAMETOOLONG if the path does not fit). */
int io_unix_connect(const char *path);
/* A listening Unix stream socket at path, replacing a stale socket file
 * there; or a negative errno. */
int io_unix_listen(const char *path, int backlog);
/* Sets or clears O_NONBLOCK. 0 or a negative errno. */
int io_set_nonblock(int fd, int on);

#endif
