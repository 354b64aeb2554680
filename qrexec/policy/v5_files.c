/* v5_files_system: the policy parser's view of the real file system
 * (dom0). Kept apart from the parser so that stays a pure function of
 * what a struct v5_files hands it. */
#include "qrexec/policy/v5.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sys_read(void *ctx, const char *path, char **text, size_t *len)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int fd, e = 0;

    (void)ctx;
    *text = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        e = -errno;
    } else if (S_ISDIR(st.st_mode)) {
        e = -EISDIR;
    } else if (!S_ISREG(st.st_mode)) {
        e = -EINVAL; /* a FIFO or device would block or never end */
    } else if (st.st_size > V5_FILE_MAX) {
        e = -EFBIG;
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        e = -ENOMEM;
    } else {
        /* read to EOF within the bound: the file may change under us */
        for (;;) {
            ssize_t r = read(fd, buf + n, (size_t)st.st_size + 1 - n);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                e = -errno;
                break;
            }
            if (r == 0)
                break;
            n += (size_t)r;
            if (n > (size_t)st.st_size) {
                e = -EAGAIN; /* grew while read: the caller tries later */
                break;
            }
        }
    }
    close(fd);
    if (e < 0) {
        free(buf);
        return e;
    }
    *text = buf;
    *len = n;
    return 0;
}

static int sys_list(void *ctx, const char *dir, char ***names, size_t *count)
{
    DIR *d;
    struct dirent *de;
    char **list = NULL;
    size_t n = 0, cap = 0;
    int e = 0;

    (void)ctx;
    *names = NULL;
    *count = 0;
    if (!(d = opendir(dir)))
        return -errno;
    while ((errno = 0, de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (n == cap) {
            char **grown;
            cap = cap ? cap * 2 : 32;
            if (cap > V5_RULES_MAX || !(grown = realloc(list, cap * sizeof(*grown)))) {
                e = -ENOMEM;
                break;
            }
            list = grown;
        }
        if (!(list[n] = strdup(de->d_name))) {
            e = -ENOMEM;
            break;
        }
        n++;
    }
    if (!e && errno)
        e = -errno;
    closedir(d);
    if (e < 0) {
        for (size_t i = 0; i < n; i++)
            free(list[i]);
        free(list);
        return e;
    }
    *names = list;
    *count = n;
    return 0;
}

const struct v5_files v5_files_system = {sys_read, sys_list, NULL};
