/* template.conf: the strict, pure parser and its printer; see template_conf.h. */
#include "dom0/tools/template_conf.h"

#include "lib/log.h"
#include "lib/text.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A line is a key, '=', and a value of at most the description's length
 * (the longest value) plus room to notice it is too long. */
#define LINE_MAX_LEN (TCONF_DESCRIPTION_MAX + 64)

static int fail(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool all_in(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && !strchr(extra, s[i]))
            return false;
    return true;
}

bool tconf_kernel_version_ok(const char *s, size_t n)
{
    return n >= 1 && n <= TCONF_KERNEL_MAX && s[0] != '.' && s[0] != '-' && all_in(s, n, "._+-") &&
           !memmem(s, n, "..", 2);
}

static bool version_ok(const char *s, size_t n)
{
    return n >= 1 && n <= TCONF_VERSION_MAX && is_alnum(s[0]) && all_in(s, n, "._+~-");
}

static bool user_ok(const char *s, size_t n)
{
    if (n < 1 || n > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-'))
            return false;
    return true;
}

static bool label_ok(const char *s)
{
    static const char *const labels[] = {"red",  "orange", "yellow", "green",
                                         "gray", "blue",   "purple", "black"};
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (!strcmp(s, labels[i]))
            return true;
    return false;
}

/* n decimal digits at s, as a number (n <= 4 here). */
static int digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* YYYY-MM-DDTHH:MM:SSZ, a real date (leap years counted), UTC. */
static bool built_ok(const char *s, size_t n)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se, dim;

    if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != 'Z')
        return false;
    y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
        se > 60)
        return false;
    dim = mdays[mo - 1] + (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    return d <= dim;
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF)
 * without control characters: C0, DEL, C1 (a terminal may take U+009B for
 * CSI) and the bidirectional overrides that make text read other than it
 * is stored. */
static bool text_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], need, cp;
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            need = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            need = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            need = 3, cp = c & 0x07;
        else
            return false;
        if (n - i - 1 < need)
            return false;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f) ||
            (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
            return false;
        i += need + 1;
    }
    return true;
}

static bool sha_ok(const char *s, size_t n, uint8_t out[32])
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < 64; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return false;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return true;
}

static bool size_ok(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    /* no sign, no leading zero, no suffix: one spelling per number */
    if (n < 1 || n > 20 || s[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > TCONF_ROOT_MAX)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v < TCONF_ROOT_MIN || v > TCONF_ROOT_MAX || v % 512)
        return false;
    *out = v;
    return true;
}

enum key {
    K_FORMAT,
    K_NAME,
    K_VERSION,
    K_DESCRIPTION,
    K_BUILT,
    K_KERNEL_VERSION,
    K_ROOT_SIZE,
    K_ROOT_SHA256,
    K_VMLINUZ_SHA256,
    K_INITRAMFS_SHA256,
    K_LABEL,
    K_DEFAULT_USER,
    K_COUNT
};
static const char *const key_names[K_COUNT] = {
    "format",    "name",        "version",        "description",      "built", "kernel_version",
    "root_size", "root_sha256", "vmlinuz_sha256", "initramfs_sha256", "label", "default_user"};
static const bool key_required[K_COUNT] = {[K_FORMAT] = true,         [K_NAME] = true,
                                           [K_VERSION] = true,        [K_KERNEL_VERSION] = true,
                                           [K_ROOT_SIZE] = true,      [K_ROOT_SHA256] = true,
                                           [K_VMLINUZ_SHA256] = true, [K_INITRAMFS_SHA256] = true};

static int find_key(const char *s, size_t n)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strlen(key_names[k]) == n && !memcmp(key_names[k], s, n))
            return k;
    return -1;
}

/* Checks one value and copies it into its trusted field. */
static int take(struct tconf *c, enum key k, const char *untrusted_v, size_t n, char *why,
                size_t whysz)
{
    /* sanitize start */
    switch (k) {
    case K_FORMAT:
        if (n != 1 || untrusted_v[0] != '0' + TCONF_FORMAT)
            return fail(why, whysz, "unsupported format %s (this qvm-template reads format %d)",
                        LOG_UNTRUSTED(untrusted_v, n), TCONF_FORMAT);
        return 0;
    case K_NAME:
        if (n >= sizeof(c->name))
            return fail(why, whysz, "not a valid qube name (at most 31 characters)");
        memcpy(c->name, untrusted_v, n);
        c->name[n] = 0;
        if (!qrexec_valid_vm_name(c->name)) {
            c->name[0] = 0;
            return fail(why, whysz,
                        "not a valid qube name (a letter, then letters, digits, '_', '.', '-')");
        }
        return 0;
    case K_VERSION:
        if (!version_ok(untrusted_v, n))
            return fail(why, whysz,
                        "1 to 64 of A-Z a-z 0-9 . _ + ~ -, starting with a letter "
                        "or digit");
        memcpy(c->version, untrusted_v, n);
        return 0;
    case K_DESCRIPTION:
        if (n > TCONF_DESCRIPTION_MAX)
            return fail(why, whysz, "longer than %d bytes", TCONF_DESCRIPTION_MAX);
        if (!text_ok((const unsigned char *)untrusted_v, n))
            return fail(why, whysz, "not UTF-8 text without control characters");
        memcpy(c->description, untrusted_v, n);
        return 0;
    case K_BUILT:
        if (!built_ok(untrusted_v, n))
            return fail(why, whysz, "not a UTC time as YYYY-MM-DDTHH:MM:SSZ");
        memcpy(c->built, untrusted_v, n);
        return 0;
    case K_KERNEL_VERSION:
        if (!tconf_kernel_version_ok(untrusted_v, n))
            return fail(why, whysz,
                        "1 to 64 of A-Z a-z 0-9 . _ + -, not starting with '.' or "
                        "'-', no '..'");
        memcpy(c->kernel_version, untrusted_v, n);
        return 0;
    case K_ROOT_SIZE:
        if (!size_ok(untrusted_v, n, &c->root_size))
            return fail(why, whysz, "a number of bytes from 1 MiB to 1 TiB, a multiple of 512");
        return 0;
    case K_ROOT_SHA256:
    case K_VMLINUZ_SHA256:
    case K_INITRAMFS_SHA256: {
        uint8_t *d = k == K_ROOT_SHA256      ? c->root_sha256
                     : k == K_VMLINUZ_SHA256 ? c->vmlinuz_sha256
                                             : c->initramfs_sha256;
        if (!sha_ok(untrusted_v, n, d))
            return fail(why, whysz, "not 64 lower-case hex digits");
        return 0;
    }
    case K_LABEL:
        if (n >= sizeof(c->label))
            return fail(why, whysz, "not a label (red orange yellow green gray blue purple black)");
        memcpy(c->label, untrusted_v, n);
        c->label[n] = 0;
        if (!label_ok(c->label))
            return fail(why, whysz, "not a label (red orange yellow green gray blue purple black)");
        return 0;
    case K_DEFAULT_USER:
        if (!user_ok(untrusted_v, n))
            return fail(why, whysz, "not a user name ([a-z_][a-z0-9_-]*, at most 32)");
        memcpy(c->default_user, untrusted_v, n);
        return 0;
    case K_COUNT:
        break;
    }
    /* sanitize end */
    return -EINVAL;
}

/* The value of the first format= line, when there is one that is not 1:
 * that is what a newer file must be told, whatever else it holds. */
static int check_format_first(const char *buf, size_t len, char *err, size_t errsz)
{
    char line[LINE_MAX_LEN];
    size_t pos = 0, lineno = 0;
    int r;

    while ((r = text_next_line(buf, len, &pos, line, sizeof(line))) != 0) {
        lineno++;
        if (r < 0 || strncmp(line, "format=", 7))
            continue;
        if (strcmp(line + 7, "1"))
            return fail(err, errsz,
                        "line %zu: unsupported format %s (this qvm-template reads "
                        "format %d)",
                        lineno, LOG_UNTRUSTED(line + 7, strlen(line + 7)), TCONF_FORMAT);
        return 0;
    }
    return 0;
}

static int parse(const char *untrusted_buf, size_t len, struct tconf *out, char *err, size_t errsz)
{
    char line[LINE_MAX_LEN], why[200];
    bool seen[K_COUNT] = {false};
    size_t pos = 0, lineno = 0;
    int r;

    memset(out, 0, sizeof(*out));
    err[0] = 0;
    if (len > TCONF_SIZE_MAX)
        return fail(err, errsz, "larger than %d bytes", TCONF_SIZE_MAX);
    if (memchr(untrusted_buf, 0, len))
        return fail(err, errsz, "contains a NUL byte");
    if (check_format_first(untrusted_buf, len, err, errsz) < 0)
        return -EINVAL;
    while ((r = text_next_line(untrusted_buf, len, &pos, line, sizeof(line))) != 0) {
        const char *eq;
        size_t n;
        int k;

        lineno++;
        if (r < 0)
            return fail(err, errsz, "line %zu: longer than %d bytes", lineno, LINE_MAX_LEN - 1);
        n = strlen(line);
        if (n == 0 || line[0] == '#')
            continue;
        eq = strchr(line, '=');
        if (!eq)
            return fail(err, errsz, "line %zu: not key=value: %s", lineno,
                        LOG_UNTRUSTED(line, n > 40 ? 40 : n));
        k = find_key(line, (size_t)(eq - line));
        if (k < 0)
            return fail(err, errsz, "line %zu: unknown key %s", lineno,
                        LOG_UNTRUSTED(line, (size_t)(eq - line) > 40 ? 40 : (size_t)(eq - line)));
        if (seen[k])
            return fail(err, errsz, "line %zu: %s given twice", lineno, key_names[k]);
        seen[k] = true;
        if (take(out, (enum key)k, eq + 1, n - (size_t)(eq - line) - 1, why, sizeof(why)) < 0)
            return fail(err, errsz, "line %zu: %s: %s", lineno, key_names[k], why);
    }
    for (int k = 0; k < K_COUNT; k++)
        if (key_required[k] && !seen[k])
            return fail(err, errsz, "no %s= line", key_names[k]);
    if (!seen[K_LABEL])
        strcpy(out->label, "black");
    if (!seen[K_DEFAULT_USER])
        strcpy(out->default_user, "user");
    return 0;
}

int tconf_parse(const char *untrusted_buf, size_t len, struct tconf *out, char *err, size_t errsz)
{
    int r = parse(untrusted_buf, len, out, err, errsz);

    /* nothing half-parsed is ever seen */
    if (r < 0)
        memset(out, 0, sizeof(*out));
    return r;
}

void tconf_hex(const uint8_t digest[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = 0;
}

size_t tconf_format(const struct tconf *c, char *out, size_t outsz)
{
    char r[65], v[65], i[65];
    int n;

    tconf_hex(c->root_sha256, r);
    tconf_hex(c->vmlinuz_sha256, v);
    tconf_hex(c->initramfs_sha256, i);
    n = snprintf(out, outsz,
                 "format=%d\nname=%s\nversion=%s\n%s%s%s%s%s%skernel_version=%s\n"
                 "root_size=%llu\nroot_sha256=%s\nvmlinuz_sha256=%s\ninitramfs_sha256=%s\n"
                 "label=%s\ndefault_user=%s\n",
                 TCONF_FORMAT, c->name, c->version, c->description[0] ? "description=" : "",
                 c->description, c->description[0] ? "\n" : "", c->built[0] ? "built=" : "",
                 c->built, c->built[0] ? "\n" : "", c->kernel_version,
                 (unsigned long long)c->root_size, r, v, i, c->label, c->default_user);
    return n < 0 ? 0 : (size_t)n;
}
