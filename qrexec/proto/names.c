/* qrexec naming rules; see qrexec_names.h. */
#include "qrexec/proto/qrexec_names.h"

#include "lib/untrusted.h"
#include "qrexec/proto/qrexec_proto.h"

#include <errno.h>
#include <string.h>

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int sanitize(char *dst, size_t dstsz, const char *untrusted, size_t len, const char *extra)
{
    if (len == 0)
        return -EINVAL;
    if (len >= dstsz)
        return -ENAMETOOLONG;
    for (size_t i = 0; i < len; i++) {
        char c = untrusted[i];
        dst[i] = (is_alnum(c) || (c != '\0' && strchr(extra, c))) ? c : '_';
    }
    dst[len] = '\0';
    return 0;
}

int qrexec_sanitize_service(char *dst, size_t dstsz, const char *untrusted, size_t len)
{
    if (len > 0 && untrusted[0] == '+')
        return -EINVAL;
    return sanitize(dst, dstsz, untrusted, len, "_.-+");
}

int qrexec_sanitize_target(char *dst, size_t dstsz, const char *untrusted, size_t len)
{
    return sanitize(dst, dstsz, untrusted, len, "_.-@:");
}

int qrexec_split_service(const char *desc, struct qrexec_service_name *out)
{
    const char *plus = strchr(desc, '+');
    size_t n = plus ? (size_t)(plus - desc) : strlen(desc);

    memset(out, 0, sizeof(*out));
    if (n == 0 || !untrusted_chars_ok(desc, n, "_.-"))
        return -EINVAL;
    out->name = desc;
    out->name_len = n;
    out->arg = "";
    if (plus) {
        out->has_arg = true;
        out->arg = plus + 1;
        out->arg_len = strlen(plus + 1);
        if (!untrusted_chars_ok(out->arg, out->arg_len, "_.-+"))
            return -EINVAL;
    }
    return 0;
}

bool qrexec_valid_vm_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 31)
        return false;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    if (!untrusted_chars_ok(s, n, "_.-"))
        return false;
    if (!strcmp(s, "Domain-0") || !strcmp(s, "none") || !strcmp(s, "default"))
        return false;
    return !(n >= 3 && !strcmp(s + n - 3, "-dm"));
}

bool qrexec_valid_uuid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (strlen(s) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; shape[i]; i++) {
        char c = s[i];
        if (shape[i] == '-' ? c != '-'
                            : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                                (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

enum qrexec_target_kind qrexec_classify_target(const char *s, const char **detail)
{
    const char *d = NULL;
    enum qrexec_target_kind k = QREXEC_TARGET_INVALID;

    if (!*s || !strcmp(s, "@default"))
        k = QREXEC_TARGET_DEFAULT;
    else if (!strcmp(s, "@adminvm") || !strcmp(s, "dom0"))
        k = QREXEC_TARGET_ADMINVM;
    else if (!strcmp(s, "@dispvm"))
        k = QREXEC_TARGET_DISPVM;
    else if (!strncmp(s, "@dispvm:", 8) && qrexec_valid_vm_name(s + 8))
        k = QREXEC_TARGET_DISPVM_VM, d = s + 8;
    else if (!strncmp(s, "uuid:", 5) && qrexec_valid_uuid(s + 5))
        k = QREXEC_TARGET_UUID, d = s + 5;
    else if (qrexec_valid_vm_name(s))
        k = QREXEC_TARGET_NAME;
    if (detail)
        *detail = d;
    return k;
}

/* Splits s (length n, no NUL inside) at single spaces into at most max
 * fields; fails on empty fields. Returns the count or -EINVAL. */
static int split_fields(const char *s, size_t n, const char **f, size_t *fl, int max)
{
    int cnt = 0;
    size_t start = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != ' ')
            continue;
        if (i == start || cnt == max)
            return -EINVAL;
        f[cnt] = s + start;
        fl[cnt] = i - start;
        cnt++;
        start = i + 1;
    }
    return cnt;
}

/* "[nogui:]QUBESRPC F1 F2 ..." into fields; 0 if it is not RPC at all. */
static int parse_rpc(const char *s, size_t n, struct qrexec_cmdline *out, const char **f,
                     size_t *fl, int max)
{
    static const char rpc[] = QREXEC_RPC_REQUEST_COMMAND " ";
    static const char nogui[] = QREXEC_NOGUI_CMD_PREFIX;

    if (n >= sizeof(nogui) - 1 && !memcmp(s, nogui, sizeof(nogui) - 1)) {
        out->nogui = true;
        s += sizeof(nogui) - 1;
        n -= sizeof(nogui) - 1;
    }
    out->command = s;
    if (n < sizeof(rpc) - 1 || memcmp(s, rpc, sizeof(rpc) - 1))
        return 0;
    out->rpc = true;
    return split_fields(s + sizeof(rpc) - 1, n - (sizeof(rpc) - 1), f, fl, max);
}

static bool cmdline_ok(const char *cmd, size_t len)
{
    return cmd && len > 0 && strlen(cmd) == len;
}

int qrexec_parse_vm_cmdline(const char *cmd, size_t len, struct qrexec_cmdline *out)
{
    const char *colon, *f[2];
    size_t fl[2];
    int cnt;

    memset(out, 0, sizeof(*out));
    if (!cmdline_ok(cmd, len))
        return -EINVAL;
    colon = memchr(cmd, ':', len);
    if (!colon || colon == cmd || !untrusted_chars_ok(cmd, (size_t)(colon - cmd), "_.-"))
        return -EINVAL;
    out->user = cmd;
    out->user_len = (size_t)(colon - cmd);
    cnt = parse_rpc(colon + 1, len - out->user_len - 1, out, f, fl, 2);
    if (!out->rpc)
        return *out->command ? 0 : -EINVAL;
    if (cnt != 2)
        return -EINVAL;
    out->service = f[0];
    out->service_len = fl[0];
    out->source = f[1];
    out->source_len = fl[1];
    return 0;
}

int qrexec_parse_dom0_cmdline(const char *cmd, size_t len, struct qrexec_cmdline *out)
{
    const char *f[4];
    size_t fl[4];
    int cnt;

    memset(out, 0, sizeof(*out));
    if (!cmdline_ok(cmd, len))
        return -EINVAL;
    cnt = parse_rpc(cmd, len, out, f, fl, 4);
    if (!out->rpc || cnt != 4)
        return -EINVAL;
    if (!((fl[2] == 4 && !memcmp(f[2], "name", 4)) || (fl[2] == 7 && !memcmp(f[2], "keyword", 7))))
        return -EINVAL;
    out->service = f[0];
    out->service_len = fl[0];
    out->source = f[1];
    out->source_len = fl[1];
    out->target_type = f[2];
    out->target_type_len = fl[2];
    out->target = f[3];
    out->target_len = fl[3];
    return 0;
}

void qrexec_copy_field(char *dst, size_t dstsz, const char *src, size_t len)
{
    if (dstsz == 0)
        return;
    if (len >= dstsz)
        len = dstsz - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}
