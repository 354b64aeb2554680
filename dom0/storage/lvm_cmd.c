/* lvm command lines and the lvs report parser (see lvm_cmd.h). */
#include "dom0/storage/lvm_cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The report's columns, in order, separated by '|' (never in an LV name). */
#define LVS_COLUMNS "lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent"

static const char *fmt(struct lvm_cmd *c, int i, const char *f, ...)
    __attribute__((format(printf, 3, 4)));
static const char *fmt(struct lvm_cmd *c, int i, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(c->s[i], sizeof(c->s[i]), f, ap);
    va_end(ap);
    return c->s[i];
}

static void set(struct lvm_cmd *c, ...)
{
    va_list ap;
    size_t n = 0;
    const char *a;

    va_start(ap, c);
    while (n < LVM_ARGV_MAX - 1 && (a = va_arg(ap, const char *)))
        c->argv[n++] = a;
    va_end(ap);
    c->argv[n] = NULL;
}

void lvm_cmd_create(struct lvm_cmd *c, const char *vg, const char *pool, const char *lv,
                    int64_t size)
{
    set(c, "lvm", "lvcreate", "--thinpool", fmt(c, 0, "%s/%s", vg, pool), "--virtualsize",
        fmt(c, 1, "%lldb", (long long)size), "--name", lv, "--yes", NULL);
}

void lvm_cmd_snapshot(struct lvm_cmd *c, const char *vg, const char *origin, const char *lv)
{
    /* thin snapshots skip activation by default: -kn -ay makes it usable */
    set(c, "lvm", "lvcreate", "--snapshot", "--setactivationskip", "n", "--activate", "y", "--name",
        lv, fmt(c, 0, "%s/%s", vg, origin), NULL);
}

void lvm_cmd_remove(struct lvm_cmd *c, const char *vg, const char *lv)
{
    set(c, "lvm", "lvremove", "--force", fmt(c, 0, "%s/%s", vg, lv), NULL);
}

void lvm_cmd_rename(struct lvm_cmd *c, const char *vg, const char *from, const char *to)
{
    set(c, "lvm", "lvrename", vg, from, to, NULL);
}

void lvm_cmd_extend(struct lvm_cmd *c, const char *vg, const char *lv, int64_t size)
{
    set(c, "lvm", "lvextend", "--size", fmt(c, 1, "%lldb", (long long)size),
        fmt(c, 0, "%s/%s", vg, lv), NULL);
}

void lvm_cmd_activate(struct lvm_cmd *c, const char *vg, const char *lv, int on)
{
    set(c, "lvm", "lvchange", "--activate", on ? "y" : "n", fmt(c, 0, "%s/%s", vg, lv), NULL);
}

void lvm_cmd_report(struct lvm_cmd *c, const char *vg, const char *lv)
{
    set(c, "lvm", "lvs", "--noheadings", "--nosuffix", "--units", "b", "--separator", "|",
        "--options", LVS_COLUMNS, lv ? fmt(c, 0, "%s/%s", vg, lv) : vg, NULL);
}

/* --- the report ------------------------------------------------------ */

static int lvm_name(const char *s, size_t n, char *out, size_t outsz, int may_be_empty)
{
    if ((!n && !may_be_empty) || n >= outsz)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '.' || ch == '-' || ch == '+' || ch == '[' || ch == ']'))
            return -EINVAL;
    }
    memcpy(out, s, n);
    out[n] = 0;
    return 0;
}

static int number(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;

    if (!n || n > 18)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* "12.50" -> 1250 (hundredths), "" -> 0; 0..10000. */
static int percent(const char *s, size_t n, int64_t *out)
{
    const char *dot = memchr(s, '.', n);
    int64_t whole, frac = 0;
    size_t wn = dot ? (size_t)(dot - s) : n;

    if (!n)
        return *out = 0, 0;
    if (number(s, wn, &whole) < 0 || wn > 3)
        return -EINVAL;
    if (dot) {
        size_t fn = n - wn - 1;
        if (fn == 0 || fn > 2 || number(dot + 1, fn, &frac) < 0)
            return -EINVAL;
        if (fn == 1)
            frac *= 10;
    }
    *out = whole * 100 + frac;
    return *out > 10000 ? -EINVAL : 0;
}

static int parse_line(const char *l, size_t n, struct lvs_row *r)
{
    const char *f[7];
    size_t fl[7], k = 0, start = 0;
    int64_t pct;

    while (n && (l[0] == ' ' || l[0] == '\t'))
        l++, n--;
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
        n--;
    for (size_t i = 0; i <= n; i++)
        if (i == n || l[i] == '|') {
            if (k == 7)
                return -EINVAL;
            f[k] = l + start;
            fl[k++] = i - start;
            start = i + 1;
        }
    if (k != 7)
        return -EINVAL;
    memset(r, 0, sizeof(*r));
    if (lvm_name(f[0], fl[0], r->lv, sizeof(r->lv), 0) < 0 ||
        lvm_name(f[1], fl[1], r->vg, sizeof(r->vg), 0) < 0 ||
        lvm_name(f[2], fl[2], r->attr, sizeof(r->attr), 0) < 0 || number(f[3], fl[3], &r->size) ||
        lvm_name(f[4], fl[4], r->pool, sizeof(r->pool), 1) < 0 ||
        lvm_name(f[5], fl[5], r->origin, sizeof(r->origin), 1) < 0 ||
        percent(f[6], fl[6], &pct) < 0)
        return -EINVAL;
    /* size < 2^60 (18 digits), pct <= 10000: no overflow */
    r->used = r->size / 10000 * pct + r->size % 10000 * pct / 10000;
    return 0;
}

int lvs_parse(const char *untrusted_out, size_t len, int (*cb)(void *ctx, const struct lvs_row *r),
              void *ctx)
{
    size_t pos = 0;

    while (pos < len) {
        const char *nl = memchr(untrusted_out + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (untrusted_out + pos)) : len - pos;
        const char *l = untrusted_out + pos;
        struct lvs_row row;
        size_t blank = 0;
        int r;

        while (blank < n && (l[blank] == ' ' || l[blank] == '\t' || l[blank] == '\r'))
            blank++;
        pos += n + (nl ? 1 : 0);
        if (blank >= n)
            continue; /* an empty line */
        if (parse_line(l, n, &row) < 0)
            return -EINVAL;
        r = cb(ctx, &row);
        if (r)
            return r;
    }
    return 0;
}
