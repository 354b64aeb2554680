#include "lib/io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int io_read_full(int fd, void *buf, size_t n)
{
    char *p = buf;

    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            return -EPIPE;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int io_write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    int is_socket = 1;

    while (n > 0) {
        ssize_t w;

        /* send() with MSG_NOSIGNAL keeps a vanished reader from killing us
         * with SIGPIPE; fall back to write() for pipes and files. */
        if (is_socket) {
            w = send(fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno == ENOTSOCK) {
                is_socket = 0;
                continue;
            }
        } else {
            w = write(fd, p, n);
        }
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int io_set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0)
        return -errno;
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    if (fcntl(fd, F_SETFL, fl) < 0)
        return -errno;
    return 0;
}

static int unix_address(const char *path, struct sockaddr_un *sa)
{
    size_t n = strlen(path);

    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (n >= sizeof(sa->sun_path))
        return -ENAMETOOLONG;
    memcpy(sa->sun_path, path, n + 1);
    return 0;
}

int io_unix_connect(const char *path)
{
    struct sockaddr_un sa;
    int fd, r = unix_address(path, &sa);

    if (r < 0)
        return r;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

int io_unix_listen(const char *path, int backlog)
{
    struct sockaddr_un sa;
    int fd, r = unix_address(path, &sa);

    if (r < 0)
        return r;
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    return fd;
}
