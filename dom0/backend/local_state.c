/* Local backend: the state files in state_dir that let any process (a
 * restarted qvmd, backend-ctl) find the running qubes (dom0, trusted). */
#include "dom0/backend/local_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lstate_path(char *out, size_t outsz, const char *dir, int domid, const char *what)
{
    int n = what ? snprintf(out, outsz, "%s/%d.%s", dir, domid, what)
                 : snprintf(out, outsz, "%s/%d", dir, domid);
    return n < 0 || (size_t)n >= outsz ? -ENAMETOOLONG : 0;
}

int lstate_proc_start(pid_t pid, unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    int e = errno;
    close(fd);
    if (n <= 0)
        return n < 0 ? -e : -ESRCH;
    buf[n] = 0;
    /* The command name may hold spaces and parentheses: fields are counted
     * from the last ')'. Field 3 (state) follows it; starttime is field 22. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -EINVAL;
    p++;
    for (int field = 3; field <= 22; field++) {
        while (*p == ' ')
            p++;
        if (field == 22) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(p, &end, 10);
            if (errno || end == p)
                return -EINVAL;
            *start = v;
            return 0;
        }
        p = strchr(p, ' ');
        if (!p)
            return -EINVAL;
    }
    return -EINVAL;
}

bool lstate_alive(const struct lstate *st)
{
    unsigned long long start;
    if (st->pid <= 0 || lstate_proc_start(st->pid, &start) < 0)
        return false;
    return start == st->start;
}

int lstate_read(const char *dir, int domid, struct lstate *st)
{
    char path[PATH_MAX], line[4200];
    if (lstate_path(path, sizeof(path), dir, domid, NULL) < 0)
        return -ENAMETOOLONG;
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    memset(st, 0, sizeof(*st));
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        char *v = strchr(line, '=');
        if (!v)
            continue;
        *v++ = 0;
        if (!strcmp(line, "name"))
            snprintf(st->name, sizeof(st->name), "%s", v);
        else if (!strcmp(line, "pid"))
            st->pid = (pid_t)atoi(v);
        else if (!strcmp(line, "start"))
            st->start = strtoull(v, NULL, 10);
        else if (!strcmp(line, "cgroup"))
            snprintf(st->cgroup, sizeof(st->cgroup), "%s", v);
        else if (!strcmp(line, "disk") && st->ndisks < BE_MAX_DISKS)
            snprintf(st->disks[st->ndisks++], sizeof(st->disks[0]), "%s", v);
    }
    fclose(f);
    return st->pid > 0 ? 0 : -EINVAL;
}

int lstate_write(const char *dir, int domid, const struct lstate *st)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if (lstate_path(path, sizeof(path), dir, domid, NULL) < 0 ||
        lstate_path(tmp, sizeof(tmp), dir, domid, "tmp") < 0)
        return -ENAMETOOLONG;
    FILE *f = fopen(tmp, "we");
    if (!f)
        return -errno;
    fprintf(f, "name=%s\npid=%d\nstart=%llu\ncgroup=%s\n", st->name, (int)st->pid, st->start,
            st->cgroup);
    for (int i = 0; i < st->ndisks; i++)
        fprintf(f, "disk=%s\n", st->disks[i]);
    if (fflush(f) || ferror(f)) {
        int e = errno;
        fclose(f);
        unlink(tmp);
        return -e;
    }
    fclose(f);
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    return 0;
}

void lstate_remove(const char *dir, int domid, const struct lstate *st)
{
    struct lstate cur;
    char path[PATH_MAX];
    /* Another process may already have handed this domid to a new qube. */
    if (lstate_read(dir, domid, &cur) == 0 && (cur.pid != st->pid || cur.start != st->start))
        return;
    static const char *const extra[] = {"gate", "shutdown"};
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        if (lstate_path(path, sizeof(path), dir, domid, extra[i]) == 0)
            unlink(path);
    if (lstate_path(path, sizeof(path), dir, domid, "root") == 0)
        rmdir(path);
    if (st->cgroup[0])
        rmdir(st->cgroup);
    if (lstate_path(path, sizeof(path), dir, domid, NULL) == 0)
        unlink(path);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int lstate_scan(const char *dir, int *domids, int max)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        char *end;
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        long v = strtol(e->d_name, &end, 10);
        if (*end || v <= 0 || v > 0x7fff)
            continue;
        domids[n++] = (int)v;
    }
    closedir(d);
    qsort(domids, (size_t)n, sizeof(int), cmp_int);
    return n;
}
