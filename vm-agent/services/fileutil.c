#include "vm-agent/services/fileutil.h"

#include "lib/io.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define CHUNK 65536

bool files_differ(int a, int b)
{
    static char ba[CHUNK], bb[CHUNK];
    off_t off = 0;

    for (;;) {
        ssize_t ra = pread(a, ba, sizeof(ba), off), rb = pread(b, bb, sizeof(bb), off);
        if (ra < 0 || rb < 0 || ra != rb)
            return true; /* regular files: a short read means a different size */
        if (ra == 0)
            return false;
        if (memcmp(ba, bb, (size_t)ra))
            return true;
        off += ra;
    }
}

int copy_fd(int in, int out)
{
    static char buf[CHUNK];
    ssize_t r;
    int e;

    while ((r = read(in, buf, sizeof(buf))) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if ((e = io_write_full(out, buf, (size_t)r)) < 0)
            return e;
    }
    return 0;
}
