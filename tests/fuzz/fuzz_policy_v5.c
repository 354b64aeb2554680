/* libFuzzer target: the v5 policy parser on one file of arbitrary bytes.
 * Whatever parses must print (v5_format_rule) and parse back to the same
 * rules: the normalized form the golden tests and qrexec-policy-check rely
 * on. Directives read through an empty in-memory file system, so includes
 * fail cleanly instead of touching the disk. */
#include "qrexec/policy/v5.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int no_read(void *ctx, const char *path, char **text, size_t *len)
{
    (void)ctx, (void)path, (void)text, (void)len;
    return -ENOENT;
}

static int no_list(void *ctx, const char *dir, char ***names, size_t *count)
{
    (void)ctx, (void)dir, (void)names, (void)count;
    return -ENOENT;
}

static const struct v5_files nothing = {no_read, no_list, NULL};

/* The rules' meaning, without where they came from. */
static void same_rule(const struct v5_rule *a, const struct v5_rule *b)
{
    struct v5_rule x = *a, y = *b;
    memset(x.file, 0, sizeof(x.file));
    memset(y.file, 0, sizeof(y.file));
    x.line = y.line = 0;
    assert(memcmp(&x, &y, sizeof(x)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct v5_policy p = {0}, q = {0};
    char err[V5_ERROR_MAX], *text;
    size_t cap, len = 0;

    if (v5_parse_file(&nothing, "f.policy", "/p", (const char *)data, size, &p, err) < 0) {
        /* one printable line naming the file */
        assert(!strncmp(err, "f.policy:", 9) || !strncmp(err, "/p/", 3));
        for (const char *s = err; *s; s++)
            assert(*s >= 0x20 && *s < 0x7f);
        assert(p.count == 0);
        v5_policy_free(&p); /* the caller's table, as after any parse */
        return 0;
    }
    cap = p.count * (2 * V5_LINE_MAX) + 1;
    text = malloc(cap);
    assert(text);
    text[0] = '\0';
    for (size_t i = 0; i < p.count; i++) {
        assert(v5_format_rule(&p.rules[i], text + len, cap - len) == 0);
        len += strlen(text + len);
        text[len++] = '\n';
    }
    if (v5_parse_file(&nothing, "g.policy", "/p", text, len, &q, err) != 0) {
        fprintf(stderr, "printed rules do not parse: %s\n", err);
        abort();
    }
    assert(q.count == p.count);
    for (size_t i = 0; i < p.count; i++) {
        same_rule(&p.rules[i], &q.rules[i]);
        assert(q.rules[i].line == (int)i + 1);
    }
    free(text);
    v5_policy_free(&p);
    v5_policy_free(&q);
    return 0;
}
