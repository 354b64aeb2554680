/* Shared command-line plumbing of the qvm-* commands; see cli.h. */
#include "dom0/tools/lib/cli.h"

#include "lib/buf.h"
#include "lib/log.h"
#include "qrexec/proto/qrexec_names.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *cli_prog = "qvm";

static void vmsg(const char *fmt, va_list ap)
{
    char raw[1024], out[1100];
    int n = vsnprintf(raw, sizeof(raw), fmt, ap);

    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(raw))
        n = sizeof(raw) - 1;
    /* command-line arguments may hold escapes too: never echo them raw */
    fprintf(stderr, "%s: %s\n", cli_prog, log_printable(out, sizeof(out), raw, (size_t)n));
}

void cli_err(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

void cli_usage(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    exit(CLI_USAGE);
}

void cli_check_vm_name(const char *name)
{
    if (!qrexec_valid_vm_name(name))
        cli_usage("invalid qube name '%s' (1 to 31 characters: a letter, then letters, digits, "
                  "'_', '.' or '-'; not ending in -dm, not none/default/Domain-0)",
                  name);
}

void cli_check_word(const char *what, const char *s)
{
    const char *p = s;

    for (; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '-'))
            break;
    if (*p || !*s || p - s > 64)
        cli_usage("invalid %s name '%s' (1 to 64 of A-Z a-z 0-9 _ . -)", what, s);
}

/* The mark: a byte no command-line option starts with. */
#define NEG_MARK '\x01'

void cli_keep_negative_numbers(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *m;
        if (strcmp(a, "--") == 0)
            break;
        if (a[0] != '-' || !((a[1] >= '0' && a[1] <= '9') || (a[1] == '.' && a[2])))
            continue;
        if (a[strspn(a + 1, "0123456789.") + 1] != '\0')
            continue;
        m = malloc(strlen(a) + 2); /* lives as long as argv */
        if (!m)
            continue;
        m[0] = NEG_MARK;
        strcpy(m + 1, a);
        argv[i] = m;
    }
}

const char *cli_arg(const char *arg)
{
    return arg[0] == NEG_MARK ? arg + 1 : arg;
}

int cli_call(const char *method, const char *arg, const char *dest, const char *payload,
             struct qadmin_result *res)
{
    struct qadmin_req req = {method, arg, dest, payload, payload ? strlen(payload) : 0};

    if (qadmin_call(&req, res) == 0)
        return 0;
    cli_err("%s", res->msg);
    qadmin_result_free(res);
    return -1;
}

int cli_do(const char *method, const char *arg, const char *dest, const char *payload)
{
    struct qadmin_result res;

    if (cli_call(method, arg, dest, payload, &res) < 0)
        return -1;
    qadmin_result_free(&res);
    return 0;
}

void cli_put(struct qadmin_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        /* bytes >= 0x80 are escaped too: 0x9b is a CSI on some terminals */
        if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f))
            putchar(c);
        else
            printf("\\x%02x", c);
    }
}

int cli_parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "on", "true", "yes", "enable", "enabled"};
    static const char *const no[] = {"", "0", "off", "false", "no", "disable", "disabled"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    return -1;
}

char *cli_shell_join(char *const *words, size_t n, bool quote_all, size_t max)
{
    static const char nul = 0;
    struct buf b;
    int r = 0;

    buf_init(&b, max);
    if (n == 1 && !quote_all)
        r = buf_append(&b, words[0], strlen(words[0]));
    else
        for (size_t i = 0; i < n && r == 0; i++) {
            if (i)
                r = buf_append(&b, " ", 1);
            r = r ? r : buf_append(&b, "'", 1);
            for (const char *p = words[i]; *p && r == 0; p++)
                r = *p == '\'' ? buf_append(&b, "'\\''", 4) : buf_append(&b, p, 1);
            r = r ? r : buf_append(&b, "'", 1);
        }
    if (r == 0)
        r = buf_append(&b, &nul, 1);
    if (r < 0) {
        buf_fini(&b);
        return NULL;
    }
    return (char *)b.data;
}

int cli_each_feature(const char *vm, const char *prefix,
                     void (*fn)(const char *name, int width, struct qadmin_str value, void *ctx),
                     void *ctx)
{
    struct qadmin_result list, *vals;
    struct qadmin_req *req;
    struct qadmin_str line;
    char **names;
    size_t n = 0, pos = 0, width = 0, plen = strlen(prefix);
    int rc = CLI_OK;

    if (cli_call("admin.vm.feature.List", NULL, vm, NULL, &list) < 0)
        return CLI_FAIL;
    while (qadmin_next_line(list.data, &pos, &line))
        n++;
    names = calloc(n + 1, sizeof(*names));
    req = calloc(n + 1, sizeof(*req));
    vals = calloc(n + 1, sizeof(*vals));
    if (!names || !req || !vals) {
        cli_err("out of memory");
        free(names);
        free(req);
        free(vals);
        qadmin_result_free(&list);
        return CLI_FAIL;
    }
    n = pos = 0;
    while (qadmin_next_line(list.data, &pos, &line)) {
        if (line.len <= plen || memcmp(line.p, prefix, plen) != 0)
            continue;
        names[n] = strndup(line.p, line.len);
        if (!names[n])
            continue;
        if (line.len - plen > width)
            width = line.len - plen;
        req[n] = (struct qadmin_req){"admin.vm.feature.Get", names[n], vm, NULL, 0};
        n++;
    }
    qadmin_call_many(req, vals, n);
    for (size_t i = 0; i < n; i++) {
        if (vals[i].status) {
            cli_err("%s: %s", names[i], vals[i].msg);
            rc = CLI_FAIL;
        } else {
            fn(names[i] + plen, (int)width, vals[i].data, ctx);
        }
        qadmin_result_free(&vals[i]);
        free(names[i]);
    }
    free(names);
    free(req);
    free(vals);
    qadmin_result_free(&list);
    return rc;
}
