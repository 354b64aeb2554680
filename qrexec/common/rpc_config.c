/* Per-service settings; see rpc_config.h. (Both sides.) */
#include "qrexec/common/rpc_config.h"

#include "lib/text.h"
#include "lib/untrusted.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RPC_CONFIG_MAX 4096

static int bad(char *err, size_t errsz, int line, const char *what)
{
    snprintf(err, errsz, "line %d: %s", line, what);
    return -EINVAL;
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static int parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = false;
    else
        return -EINVAL;
    return 0;
}

/* 'x' or "x", holding a user name. */
static int parse_user(char *v, char *out, size_t outsz)
{
    size_t n = strlen(v);

    if (n < 3 || (v[0] != '\'' && v[0] != '"') || v[n - 1] != v[0])
        return -EINVAL;
    v[n - 1] = '\0';
    v++;
    n -= 2;
    if (n >= outsz || !untrusted_chars_ok(v, n, "_.-"))
        return -EINVAL;
    memcpy(out, v, n + 1);
    return 0;
}

int rpc_config_parse(const char *text, size_t len, struct rpc_config *out, char *err, size_t errsz)
{
    size_t pos = 0;
    int line = 0, r;
    char buf[256];

    memset(out, 0, sizeof(*out));
    while ((r = text_next_line(text, len, &pos, buf, sizeof(buf))) != 0) {
        char *s, *eq, *key, *val;

        line++;
        if (r < 0)
            return bad(err, errsz, line, "line too long or contains NUL");
        s = trim(buf);
        if (*s == '\0' || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq)
            return bad(err, errsz, line, "expected key = value");
        *eq = '\0';
        key = trim(s);
        val = trim(eq + 1);
        if (!strcmp(key, "wait-for-session"))
            r = parse_bool(val, &out->wait_for_session);
        else if (!strcmp(key, "skip-service-descriptor"))
            r = parse_bool(val, &out->skip_service_descriptor);
        else if (!strcmp(key, "exit-on-service-eof"))
            r = parse_bool(val, &out->exit_on_service_eof);
        else if (!strcmp(key, "exit-on-client-eof"))
            r = parse_bool(val, &out->exit_on_client_eof);
        else if (!strcmp(key, "force-user"))
            r = parse_user(val, out->force_user, sizeof(out->force_user));
        else
            return bad(err, errsz, line, "unknown key");
        if (r < 0)
            return bad(err, errsz, line, "invalid value");
    }
    return 0;
}

/* Reads dir/file if it exists: 1 found (parsed into out), 0 absent, <0 bad. */
static int try_file(const char *dir, size_t dirlen, const char *file, struct rpc_config *out,
                    char *err, size_t errsz)
{
    char path[PATH_MAX], text[RPC_CONFIG_MAX];
    int fd, n = snprintf(path, sizeof(path), "%.*s/%s", (int)dirlen, dir, file);
    ssize_t got;

    if (n < 0 || (size_t)n >= sizeof(path) || dirlen == 0)
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -EINVAL;
    got = read(fd, text, sizeof(text));
    close(fd);
    if (got < 0 || got == (ssize_t)sizeof(text)) {
        snprintf(err, errsz, "%s: unreadable or too large", path);
        return -EINVAL;
    }
    if (rpc_config_parse(text, (size_t)got, out, err, errsz) < 0) {
        size_t l = strlen(err);
        snprintf(err + l, errsz - l, " (%s)", path);
        return -EINVAL;
    }
    return 1;
}

static int try_all(const char *search_path, const char *file, struct rpc_config *out, char *err,
                   size_t errsz)
{
    const char *p = search_path;

    for (;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        int r = try_file(p, len, file, out, err, errsz);
        if (r != 0)
            return r;
        if (!colon)
            return 0;
        p = colon + 1;
    }
}

int rpc_config_load(const char *search_path, const char *name, const char *arg,
                    struct rpc_config *out, char *err, size_t errsz)
{
    char full[NAME_MAX + 2];
    int n, r;

    memset(out, 0, sizeof(*out));
    if (!search_path || !*search_path)
        search_path = RPC_CONFIG_DEFAULT_PATH;
    n = snprintf(full, sizeof(full), "%s+%s", name, arg);
    if (*arg && n > 0 && (size_t)n < sizeof(full)) {
        r = try_all(search_path, full, out, err, errsz);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    r = try_all(search_path, name, out, err, errsz);
    return r < 0 ? r : 0;
}
