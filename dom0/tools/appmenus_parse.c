/* qubes.GetAppmenus output parser; see appmenus_parse.h. */
#include "dom0/tools/appmenus_parse.h"

#include "lib/text.h"

#include <stdint.h>
#include <string.h>

#define SUFFIX     ".desktop"
#define SUFFIX_LEN (sizeof(SUFFIX) - 1)

bool appmenus_id_ok(const char *id, size_t n)
{
    if (n == 0 || n > APPMENUS_ID_MAX || id[0] == '.' || id[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '+' || c == '-'))
            return false;
    }
    return true;
}

int appmenus_sanitize(const char *in, size_t n, char *out, size_t outsz)
{
    const uint8_t *s = (const uint8_t *)in;
    size_t o = 0, i = 0;

    out[0] = '\0';
    while (n && in[0] == ' ')
        in++, s++, n--;
    while (n && in[n - 1] == ' ')
        n--;
    while (i < n) {
        uint32_t cp;
        size_t l = text_utf8_decode(s + i, n - i, &cp);
        if (l == 0) {
            out[0] = '\0';
            return -1;
        }
        if (text_cp_unsafe(cp) || cp == 0x2028 || cp == 0x2029) {
            /* line and paragraph separators break a menu line too */
            if (o + 1 >= outsz)
                break;
            out[o++] = ' ';
        } else {
            if (o + l >= outsz)
                break;
            memcpy(out + o, s + i, l);
            o += l;
        }
        i += l;
    }
    /* a replaced character at either end leaves a space there */
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    if (out[0] == ' ') {
        size_t lead = strspn(out, " ");
        memmove(out, out + lead, o - lead + 1);
    }
    return 0;
}

/* Categories: words of [A-Za-z0-9_-] (what the menu specification's
 * category names are), the others dropped; ';' after each. */
static void take_categories(const char *v, size_t n, char *out, size_t outsz)
{
    size_t o = 0, i = 0;

    out[0] = '\0';
    while (i < n) {
        size_t start = i, wl;
        bool ok = true;
        while (i < n && v[i] != ';') {
            char c = v[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-'))
                ok = false;
            i++;
        }
        wl = i - start;
        if (i < n)
            i++; /* the ';' */
        if (!ok || wl == 0 || o + wl + 2 > outsz)
            continue;
        memcpy(out + o, v + start, wl);
        o += wl;
        out[o++] = ';';
        out[o] = '\0';
    }
}

static bool parse_bool(const char *v, size_t n)
{
    return (n == 4 && memcmp(v, "true", 4) == 0) || (n == 1 && v[0] == '1');
}

static struct appmenus_app *find_or_add(const char *id, size_t idlen, struct appmenus_app *apps,
                                        size_t *napps, size_t max, struct appmenus_stats *st)
{
    for (size_t i = 0; i < *napps; i++)
        if (strlen(apps[i].id) == idlen && memcmp(apps[i].id, id, idlen) == 0)
            return &apps[i];
    if (*napps >= max) {
        st->truncated = true;
        return NULL;
    }
    struct appmenus_app *a = &apps[(*napps)++];
    memset(a, 0, sizeof(*a));
    memcpy(a->id, id, idlen);
    a->id[idlen] = '\0';
    return a;
}

/* One line (without '\n'); false if it broke a rule. */
static bool take_line(const char *l, size_t n, struct appmenus_app *apps, size_t *napps, size_t max,
                      struct appmenus_stats *st)
{
    const char *colon = memchr(l, ':', n), *eq, *key, *val;
    size_t idlen, keylen, vallen;
    struct appmenus_app *a;
    char *field = NULL;

    if (!colon)
        return false;
    idlen = (size_t)(colon - l);
    if (idlen <= SUFFIX_LEN || memcmp(colon - SUFFIX_LEN, SUFFIX, SUFFIX_LEN) != 0)
        return false;
    idlen -= SUFFIX_LEN;
    if (!appmenus_id_ok(l, idlen))
        return false;
    key = colon + 1;
    eq = memchr(key, '=', n - (size_t)(key - l));
    if (!eq)
        return false;
    keylen = (size_t)(eq - key);
    val = eq + 1;
    vallen = n - (size_t)(val - l);
#define KEY_IS(k) (keylen == sizeof(k) - 1 && memcmp(key, k, keylen) == 0)
    /* Exec and Icon are the qube's to know: dom0 builds the command itself
     * and draws no qube-supplied image; they are accepted and dropped */
    if (KEY_IS("Exec") || KEY_IS("Icon"))
        return true;
    if (!KEY_IS("Name") && !KEY_IS("GenericName") && !KEY_IS("Comment") && !KEY_IS("Categories") &&
        !KEY_IS("NoDisplay") && !KEY_IS("Terminal"))
        return false;
    a = find_or_add(l, idlen, apps, napps, max, st);
    if (!a)
        return true; /* over the limit: counted as truncated, not as broken */
    if (KEY_IS("NoDisplay")) {
        a->no_display = a->no_display || parse_bool(val, vallen);
        return true;
    }
    if (KEY_IS("Terminal")) {
        a->terminal = a->terminal || parse_bool(val, vallen);
        return true;
    }
    if (KEY_IS("Categories")) {
        if (!a->categories[0])
            take_categories(val, vallen, a->categories, sizeof(a->categories));
        return true;
    }
    field = KEY_IS("Name") ? a->name : KEY_IS("GenericName") ? a->generic_name : a->comment;
#undef KEY_IS
    if (field[0])
        return true; /* the first value wins */
    return appmenus_sanitize(val, vallen, field, APPMENUS_VALUE_MAX + 1) == 0;
}

size_t appmenus_parse(const char *text, size_t len, struct appmenus_app *apps, size_t max,
                      struct appmenus_stats *st)
{
    size_t pos = 0, napps = 0, kept = 0;

    memset(st, 0, sizeof(*st));
    while (pos < len) {
        const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (st->lines >= APPMENUS_MAX_LINES) {
            st->truncated = true;
            break;
        }
        st->lines++;
        if (n && l[n - 1] == '\r')
            n--;
        if (n == 0)
            continue;
        if (n > APPMENUS_MAX_LINE || memchr(l, '\0', n) || !take_line(l, n, apps, &napps, max, st))
            st->skipped++;
    }
    /* entries that cannot be shown go: no name, or hidden on purpose */
    for (size_t i = 0; i < napps; i++)
        if (apps[i].name[0] && !apps[i].no_display) {
            if (kept != i)
                apps[kept] = apps[i];
            kept++;
        }
    return kept;
}
