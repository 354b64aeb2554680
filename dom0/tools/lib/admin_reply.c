/* Admin API reply parsing; see admin_reply.h. Every read is bounded by the
 * length qvmd's reply actually has. */
#include "dom0/tools/lib/admin_reply.h"

#include "lib/log.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool qadmin_str_eq(struct qadmin_str s, const char *z)
{
    size_t n = strlen(z);

    return s.len == n && memcmp(s.p, z, n) == 0;
}

int qadmin_parse_reply(const char *buf, size_t len, enum qadmin_kind *kind, struct qadmin_str *data)
{
    if (len < 2 || buf[1] != '\0')
        return -EPROTO;
    switch (buf[0]) {
    case QADMIN_OK:
    case QADMIN_EXCEPTION:
        *kind = (enum qadmin_kind)buf[0];
        data->p = buf + 2;
        data->len = len - 2;
        return 0;
    case QADMIN_EVENT:
        /* the stream: each frame keeps its marker for qadmin_parse_event */
        *kind = QADMIN_EVENT;
        data->p = buf;
        data->len = len;
        return 0;
    default:
        return -EPROTO;
    }
}

/* The NUL-terminated field at *pos, or false past the end. A last field
 * without its NUL runs to the end of the reply. */
static bool next_field(struct qadmin_str s, size_t *pos, struct qadmin_str *f)
{
    const char *nul;

    if (*pos >= s.len)
        return false;
    f->p = s.p + *pos;
    nul = memchr(f->p, '\0', s.len - *pos);
    f->len = nul ? (size_t)(nul - f->p) : s.len - *pos;
    *pos += f->len + (nul != NULL);
    return true;
}

/* Appends n bytes to out (size outsz, used *o), dropping what does not fit
 * but leaving room for the NUL. */
static void put(char *out, size_t outsz, size_t *o, const char *p, size_t n)
{
    while (n-- && *o + 1 < outsz)
        out[(*o)++] = *p++;
}

void qadmin_format_exception(struct qadmin_str fields, char *type, size_t typesz, char *msg,
                             size_t msgsz)
{
    char raw[1024];
    size_t pos = 0, o = 0;
    struct qadmin_str t = {"", 0}, tb, fmt = {"", 0}, arg;

    next_field(fields, &pos, &t);
    next_field(fields, &pos, &tb); /* the traceback: for qvmd's own log */
    next_field(fields, &pos, &fmt);
    for (size_t i = 0; i < fmt.len; i++) {
        char c = fmt.p[i], d = i + 1 < fmt.len ? fmt.p[i + 1] : '\0';
        if (c == '%' && d == '%') {
            put(raw, sizeof(raw), &o, "%", 1);
            i++;
        } else if (c == '%' && (d == 's' || d == 'r' || d == 'd')) {
            if (!next_field(fields, &pos, &arg))
                arg = (struct qadmin_str){"", 0};
            /* %r is Python's repr: a quoted string */
            if (d == 'r')
                put(raw, sizeof(raw), &o, "'", 1);
            put(raw, sizeof(raw), &o, arg.p, arg.len);
            if (d == 'r')
                put(raw, sizeof(raw), &o, "'", 1);
            i++;
        } else {
            put(raw, sizeof(raw), &o, &c, 1);
        }
    }
    if (o == 0 && t.len)
        put(raw, sizeof(raw), &o, "(no message)", 12);
    if (msgsz)
        log_printable(msg, msgsz, raw, o);
    if (typesz)
        log_printable(type, typesz, t.p, t.len);
}

long qadmin_parse_event(const char *buf, size_t len, struct qadmin_event *ev)
{
    struct qadmin_str s = {buf, len}, f;
    size_t pos = 2;

    memset(ev, 0, sizeof(*ev));
    if (len < 2)
        return 0;
    if (buf[0] != QADMIN_EVENT || buf[1] != '\0')
        return -EPROTO;
        /* every field must end in its NUL inside buf, else the frame is not
         * all here yet */
#define FIELD(dst)                                                                                 \
    do {                                                                                           \
        if (!next_field(s, &pos, &f) || f.p + f.len >= buf + len)                                  \
            return 0;                                                                              \
        dst = f;                                                                                   \
    } while (0)
    FIELD(ev->subject);
    FIELD(ev->name);
    for (;;) {
        struct qadmin_str k, v;
        FIELD(k);
        if (k.len == 0)
            return (long)pos; /* the empty key ends the frame */
        FIELD(v);
        if (ev->nkv == QADMIN_EVENT_KV_MAX)
            return -EPROTO;
        ev->key[ev->nkv] = k;
        ev->value[ev->nkv++] = v;
    }
#undef FIELD
}

bool qadmin_next_line(struct qadmin_str data, size_t *pos, struct qadmin_str *line)
{
    const char *nl;

    if (*pos >= data.len)
        return false;
    line->p = data.p + *pos;
    nl = memchr(line->p, '\n', data.len - *pos);
    line->len = nl ? (size_t)(nl - line->p) : data.len - *pos;
    *pos += line->len + (nl != NULL);
    return true;
}

/* The next space-separated word of s from *pos. */
static bool next_word(struct qadmin_str s, size_t *pos, struct qadmin_str *w)
{
    const char *sp;

    if (*pos >= s.len)
        return false;
    w->p = s.p + *pos;
    sp = memchr(w->p, ' ', s.len - *pos);
    w->len = sp ? (size_t)(sp - w->p) : s.len - *pos;
    *pos += w->len + (sp != NULL);
    return true;
}

/* If w is "KEY=VALUE", copies VALUE into dst; -EPROTO if it does not fit
 * or holds a NUL. 1 if w is not KEY=. */
static int take_kv(struct qadmin_str w, const char *key, char *dst, size_t dstsz)
{
    size_t kl = strlen(key);

    if (w.len <= kl || memcmp(w.p, key, kl) != 0 || w.p[kl] != '=')
        return 1;
    if (w.len - kl - 1 >= dstsz || memchr(w.p, '\0', w.len))
        return -EPROTO;
    memcpy(dst, w.p + kl + 1, w.len - kl - 1);
    dst[w.len - kl - 1] = '\0';
    return 0;
}

int qadmin_parse_vm_line(struct qadmin_str line, struct qadmin_vm *vm)
{
    struct qadmin_str w;
    size_t pos = 0;

    memset(vm, 0, sizeof(*vm));
    if (!next_word(line, &pos, &w) || w.len >= sizeof(vm->name) || memchr(w.p, '\0', w.len))
        return -EPROTO;
    memcpy(vm->name, w.p, w.len);
    if (!qrexec_valid_vm_name(vm->name))
        return -EPROTO;
    while (next_word(line, &pos, &w)) {
        if (take_kv(w, "class", vm->klass, sizeof(vm->klass)) < 0 ||
            take_kv(w, "state", vm->state, sizeof(vm->state)) < 0)
            return -EPROTO;
    }
    return vm->klass[0] && vm->state[0] ? 0 : -EPROTO;
}

int qadmin_parse_prop(struct qadmin_str s, bool has_name, struct qadmin_prop *p)
{
    struct qadmin_str w;
    size_t pos = 0;
    char def[8];

    memset(p, 0, sizeof(*p));
    if (has_name && (!next_word(s, &pos, &p->name) || p->name.len == 0))
        return -EPROTO;
    if (!next_word(s, &pos, &w) || take_kv(w, "default", def, sizeof(def)) != 0)
        return -EPROTO;
    if (strcmp(def, "True") != 0 && strcmp(def, "False") != 0)
        return -EPROTO;
    p->is_default = def[0] == 'T';
    if (!next_word(s, &pos, &w) || take_kv(w, "type", p->type, sizeof(p->type)) != 0)
        return -EPROTO;
    p->value.p = s.p + pos;
    p->value.len = s.len - pos;
    return 0;
}

bool qadmin_kv_get(struct qadmin_str data, const char *key, char *out, size_t outsz)
{
    struct qadmin_str line;
    size_t pos = 0, k = strlen(key);

    while (qadmin_next_line(data, &pos, &line))
        if (line.len > k && line.p[k] == '=' && !memcmp(line.p, key, k) &&
            line.len - k - 1 < outsz) {
            memcpy(out, line.p + k + 1, line.len - k - 1);
            out[line.len - k - 1] = 0;
            return true;
        }
    return false;
}
