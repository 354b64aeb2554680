/* Pure naming, pruning, size and pool-option helpers (see names.h). */
#include "dom0/storage/names.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put(char *out, size_t outsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int put(char *out, size_t outsz, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(out, outsz, fmt, ap);
    va_end(ap);
    return n < 0 ? -EINVAL : (size_t)n >= outsz ? -ENAMETOOLONG : 0;
}

/* A qube or volume name as it may appear inside an LV or file name. */
static bool word_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 64 && s[0] != '.' && s[0] != '-' &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int stor_lv_name(char *out, size_t outsz, const char *vm, const char *volume, enum stor_kind k,
                 long long epoch)
{
    if (!word_ok(vm) || !word_ok(volume) || epoch < 0)
        return -EINVAL;
    switch (k) {
    case SK_BASE:
        return put(out, outsz, "vm-%s-%s", vm, volume);
    case SK_SNAP:
        return put(out, outsz, "vm-%s-%s-snap", vm, volume);
    case SK_BACK:
        return put(out, outsz, "vm-%s-%s-%lld-back", vm, volume, epoch);
    case SK_IMPORT:
        return put(out, outsz, "vm-%s-%s-import", vm, volume);
    default:
        return -EINVAL;
    }
}

/* s is "<digits><suffix>" exactly: 1 and *epoch, else 0. */
static int digits_then(const char *s, const char *suffix, long long *epoch)
{
    size_t d = strspn(s, "0123456789");

    if (d == 0 || d > 18 || strcmp(s + d, suffix))
        return 0;
    *epoch = strtoll(s, NULL, 10);
    return 1;
}

int stor_lv_revision(const char *lv, const char *base, long long *epoch)
{
    size_t b = strlen(base);

    if (strncmp(lv, base, b) || lv[b] != '-')
        return 0;
    return digits_then(lv + b + 1, "-back", epoch);
}

int stor_file_name(char *out, size_t outsz, const char *dir, const char *vid, enum stor_kind k,
                   long long epoch)
{
    if (dir[0] != '/' || !vid[0] || strstr(vid, "..") || epoch < 0)
        return -EINVAL;
    switch (k) {
    case SK_BASE:
        return put(out, outsz, "%s/%s.img", dir, vid);
    case SK_SNAP:
        return put(out, outsz, "%s/%s-dirty.img", dir, vid);
    case SK_BACK:
        return put(out, outsz, "%s/%s.img.%lld~", dir, vid, epoch);
    case SK_IMPORT:
        return put(out, outsz, "%s/%s-import.img", dir, vid);
    case SK_PRECACHE:
        return put(out, outsz, "%s/%s-precache.img", dir, vid);
    }
    return -EINVAL;
}

int stor_file_revision(const char *name, const char *base, long long *epoch)
{
    size_t b = strlen(base);

    if (strncmp(name, base, b) || strncmp(name + b, ".img.", 5))
        return 0;
    return digits_then(name + b + 5, "~", epoch);
}

int stor_file_vid(char *out, size_t outsz, const char *vm, bool tmpl, const char *volume)
{
    if (!word_ok(vm) || !word_ok(volume))
        return -EINVAL;
    return put(out, outsz, "%s/%s/%s", tmpl ? "vm-templates" : "appvms", vm, volume);
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

size_t stor_prune(long long *epochs, size_t n, int keep, long long *drop)
{
    size_t k = keep < 0 ? 0 : (size_t)keep, d = 0;

    qsort(epochs, n, sizeof(*epochs), cmp_ll);
    for (size_t i = 0; n > k && i < n - k; i++)
        drop[d++] = epochs[i];
    return d;
}

long long stor_next_epoch(long long now, const long long *epochs, size_t n)
{
    long long e = now;

    for (size_t i = 0; i < n; i++)
        if (epochs[i] >= e)
            e = epochs[i] + 1;
    return e;
}

int stor_parse_size(const char *s, int64_t *out)
{
    static const char units[] = "kmgt";
    size_t d = strspn(s, "0123456789");
    unsigned shift = 0;
    const char *u = s + d;
    unsigned long long v;

    if (d == 0 || d > 19)
        return -EINVAL;
    if (*u) {
        const char *p = strchr(units, u[0] | 0x20);
        if (!p || !u[0])
            return -EINVAL;
        shift = 10 * (unsigned)(p - units + 1);
        u++;
        if (!strcmp(u, "iB") || !strcmp(u, "B") || !strcmp(u, "b"))
            u += strlen(u);
        if (*u)
            return -EINVAL;
    }
    errno = 0;
    v = strtoull(s, NULL, 10);
    if (errno || v > (1ull << 62) >> shift)
        return -ERANGE;
    *out = (int64_t)(v << shift);
    return 0;
}

bool stor_pool_name_ok(const char *name)
{
    return word_ok(name);
}

/* --- pool options ---------------------------------------------------- */

const char *const pool_drivers[] = {"file-reflink", "linux-kernel", "lvm_thin", NULL};

static const char *const opts_file[] = {"dir_path", "ephemeral_volatile", "revisions_to_keep",
                                        "setup_check", NULL};
static const char *const opts_kernel[] = {"dir_path", NULL};
static const char *const opts_lvm[] = {"ephemeral_volatile", "revisions_to_keep", "thin_pool",
                                       "volume_group", NULL};

const char *const *pool_driver_options(const char *driver)
{
    if (!strcmp(driver, "file-reflink"))
        return opts_file;
    if (!strcmp(driver, "linux-kernel"))
        return opts_kernel;
    if (!strcmp(driver, "lvm_thin"))
        return opts_lvm;
    return NULL;
}

static int bad(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int parse_bool(const char *v)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        return 1;
    if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "off"))
        return 0;
    return -1;
}

/* An absolute, normalised path: no "//", no "." or ".." parts, no trailing
 * '/', printable ASCII without spaces. */
static bool path_ok(const char *p)
{
    size_t n = strlen(p);

    if (n < 2 || p[0] != '/' || p[n - 1] == '/' || strstr(p, "//") || strstr(p, "/./") ||
        strstr(p, "/../") || (n >= 2 && !strcmp(p + n - 2, "/.")) ||
        (n >= 3 && !strcmp(p + n - 3, "/..")))
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] <= ' ' || p[i] > '~')
            return false;
    return true;
}

int pool_cfg_parse(const char *name, const char *driver, const char *opts, struct pool_cfg *out,
                   char *err, size_t errsz)
{
    const char *const *allowed = pool_driver_options(driver);
    const char *p = opts;

    memset(out, 0, sizeof(*out));
    out->revisions_to_keep = 1;
    out->setup_check = true;
    if (!stor_pool_name_ok(name))
        return bad(err, errsz,
                   "invalid pool name: 1 to 63 letters, digits, '_', '.' or '-', not starting "
                   "with '.' or '-'");
    if (!allowed)
        return bad(err, errsz,
                   "unknown pool driver: %s (drivers: file-reflink, linux-kernel, "
                   "lvm_thin)",
                   driver);
    snprintf(out->name, sizeof(out->name), "%s", name);
    snprintf(out->driver, sizeof(out->driver), "%s", driver);
    while (*p) {
        const char *nl = strchr(p, '\n'), *eq;
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char key[32], val[1024];
        bool known = false;

        if (len == 0) {
            p += 1;
            continue;
        }
        eq = memchr(p, '=', len);
        if (!eq || eq == p || (size_t)(eq - p) >= sizeof(key) ||
            len - (size_t)(eq - p) - 1 >= sizeof(val))
            return bad(err, errsz, "pool options must be key=value lines");
        memcpy(key, p, (size_t)(eq - p));
        key[eq - p] = 0;
        memcpy(val, eq + 1, len - (size_t)(eq - p) - 1);
        val[len - (size_t)(eq - p) - 1] = 0;
        p += len + (nl ? 1 : 0);
        for (size_t i = 0; allowed[i]; i++)
            known |= !strcmp(allowed[i], key);
        if (!known)
            return bad(err, errsz, "driver %s has no option '%s'", driver, key);
        if (!strcmp(key, "dir_path")) {
            if (!path_ok(val))
                return bad(err, errsz,
                           "dir_path must be an absolute path without '.', '..', "
                           "'//', spaces or a trailing '/'");
            snprintf(out->dir_path, sizeof(out->dir_path), "%s", val);
        } else if (!strcmp(key, "volume_group") || !strcmp(key, "thin_pool")) {
            if (!word_ok(val) || strchr(val, '.') == val)
                return bad(err, errsz, "%s must be an LVM name ([A-Za-z0-9_.-], at most 63)", key);
            snprintf(!strcmp(key, "thin_pool") ? out->thin_pool : out->volume_group, 128, "%.127s",
                     val);
        } else if (!strcmp(key, "revisions_to_keep")) {
            if (!val[0] || strspn(val, "0123456789") != strlen(val) || strlen(val) > 3 ||
                atoi(val) > 100)
                return bad(err, errsz, "revisions_to_keep must be a whole number 0..100");
            out->revisions_to_keep = atoi(val);
        } else {
            int b = parse_bool(val);
            if (b < 0)
                return bad(err, errsz, "%s must be yes or no", key);
            if (!strcmp(key, "setup_check"))
                out->setup_check = b;
            else
                out->ephemeral_volatile = b;
        }
    }
    if (strcmp(driver, "lvm_thin") ? !out->dir_path[0]
                                   : !out->volume_group[0] || !out->thin_pool[0])
        return bad(err, errsz, "driver %s needs %s", driver,
                   strcmp(driver, "lvm_thin") ? "dir_path" : "volume_group and thin_pool");
    return 0;
}

int pool_cfg_format(const struct pool_cfg *p, char *out, size_t outsz)
{
    if (!strcmp(p->driver, "linux-kernel"))
        return put(out, outsz, "dir_path=%s\n", p->dir_path);
    if (!strcmp(p->driver, "lvm_thin"))
        return put(out, outsz,
                   "ephemeral_volatile=%s\nrevisions_to_keep=%d\nthin_pool=%s\nvolume_group=%s\n",
                   p->ephemeral_volatile ? "True" : "False", p->revisions_to_keep, p->thin_pool,
                   p->volume_group);
    return put(out, outsz,
               "dir_path=%s\nephemeral_volatile=%s\nrevisions_to_keep=%d\nsetup_check=%s\n",
               p->dir_path, p->ephemeral_volatile ? "True" : "False", p->revisions_to_keep,
               p->setup_check ? "True" : "False");
}
