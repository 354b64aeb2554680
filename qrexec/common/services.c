/* Service lookup and environment; see services.h. (Both sides.) */
#include "qrexec/common/services.h"

#include "lib/untrusted.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool try_dir(const char *dir, size_t dirlen, const char *file, struct service_lookup *out)
{
    struct stat st;
    int n;

    n = snprintf(out->path, sizeof(out->path), "%.*s/%s", (int)dirlen, dir, file);
    if (n < 0 || (size_t)n >= sizeof(out->path) || dirlen == 0)
        return false;
    /* the first name that exists decides, even if it is unusable */
    char target[PATH_MAX];
    ssize_t tl = readlink(out->path, target, sizeof(target) - 1);
    if (tl > 0) {
        target[tl] = '\0';
        if (!strcmp(target, "/dev/tcp") || !strncmp(target, "/dev/tcp/", 9)) {
            out->kind = SERVICE_TCP;
            memcpy(out->path, target, (size_t)tl + 1);
            return true;
        }
    }
    if (stat(out->path, &st) < 0) {
        struct stat lst;
        if (lstat(out->path, &lst) < 0)
            return false;
        out->kind = SERVICE_EXECUTABLE; /* a dangling link: exec fails, 127 */
        return true;
    }
    out->kind = S_ISSOCK(st.st_mode) ? SERVICE_SOCKET : SERVICE_EXECUTABLE;
    return true;
}

static bool try_all(const char *search_path, const char *file, struct service_lookup *out)
{
    const char *p = search_path;

    if (strlen(file) > NAME_MAX)
        return false;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (try_dir(p, len, file, out))
            return true;
        if (!colon)
            return false;
        p = colon + 1;
    }
}

void service_lookup(const char *search_path, const char *name, const char *arg,
                    struct service_lookup *out)
{
    char full[NAME_MAX + 2];
    int n;

    memset(out, 0, sizeof(*out));
    if (!search_path || !*search_path)
        search_path = QREXEC_DEFAULT_SERVICE_PATH;
    n = snprintf(full, sizeof(full), "%s+%s", name, arg);
    if (*arg && n > 0 && (size_t)n < sizeof(full) && try_all(search_path, full, out)) {
        out->with_arg = true;
        return;
    }
    if (try_all(search_path, name, out))
        return;
    out->kind = SERVICE_NOT_FOUND;
    out->path[0] = '\0';
}

static bool port_ok(const char *p)
{
    size_t n = strlen(p);
    return n > 0 && n <= 5 && strspn(p, "0123456789") == n && atoi(p) > 0 && atoi(p) < 65536;
}

int service_tcp_endpoint(const char *link_target, const char *arg, char *host, size_t hostsz,
                         char *port, size_t portsz)
{
    const char *rest = link_target + 8; /* after "/dev/tcp" */
    char a[256];
    const char *slash, *sep;

    if (strlen(arg) >= sizeof(a))
        return -EINVAL;
    strcpy(a, arg);
    if (*rest == '/')
        rest++;
    slash = strchr(rest, '/');
    if (*rest && slash) { /* /dev/tcp/HOST/PORT: the argument is not used */
        snprintf(host, hostsz, "%.*s", (int)(slash - rest), rest);
        snprintf(port, portsz, "%s", slash + 1);
    } else if (*rest) { /* /dev/tcp/HOST: the argument is the port */
        snprintf(host, hostsz, "%s", rest);
        snprintf(port, portsz, "%s", a);
    } else { /* /dev/tcp: the argument is HOST+PORT */
        sep = strrchr(a, '+');
        if (!sep)
            return -EINVAL;
        snprintf(host, hostsz, "%.*s", (int)(sep - a), a);
        snprintf(port, portsz, "%s", sep + 1);
        for (char *h = host; *h; h++)
            if (*h == '+')
                *h = ':';
    }
    if (!*host || !untrusted_chars_ok(host, strlen(host), ".-:") || !port_ok(port))
        return -EINVAL;
    return 0;
}

char **service_env(char *const envp[], const char *source, const char *full_name, const char *arg,
                   const char *const extra[])
{
    const char *keys[] = {
        "QREXEC_REMOTE_DOMAIN=", "QREXEC_SERVICE_FULL_NAME=", "QREXEC_SERVICE_ARGUMENT="};
    const char *vals[] = {source, full_name, arg};
    size_t count = 0, bytes = 0, nextra = 0;
    char **env, *p;

    while (extra && extra[nextra]) {
        bytes += strlen(extra[nextra]) + 1;
        nextra++;
    }
    for (size_t i = 0; envp && envp[i]; i++) {
        if (strncmp(envp[i], "QREXEC", 6) != 0) {
            count++;
            bytes += strlen(envp[i]) + 1;
        }
    }
    for (size_t i = 0; i < 3; i++)
        bytes += strlen(keys[i]) + strlen(vals[i]) + 1;
    env = malloc((count + 4 + nextra) * sizeof(char *) + bytes);
    if (!env)
        return NULL;
    p = (char *)(env + count + 4 + nextra);
    count = 0;
    for (size_t i = 0; envp && envp[i]; i++) {
        if (strncmp(envp[i], "QREXEC", 6) != 0)
            env[count++] = envp[i];
    }
    for (size_t i = 0; i < 3; i++) {
        env[count++] = p;
        p += sprintf(p, "%s%s", keys[i], vals[i]) + 1;
    }
    for (size_t i = 0; i < nextra; i++) {
        env[count++] = p;
        p += sprintf(p, "%s", extra[i]) + 1;
    }
    env[count] = NULL;
    return env;
}
