#include "vm-agent/services/validate.h"
#include "lib/text.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- qubes.GetDate ---- */

/* n decimal digits at s, or -1 */
static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar
 * (y >= 1970): whole years, then whole months of y, then days. */
static int64_t days_since_epoch(int y, int m, int d)
{
    static const int before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t days = 0;

    /* leap days between 1970 and y: count the multiples in [1970, y) */
    int64_t span = y - 1970;
    int64_t leaps =
        ((y - 1) / 4 - 1969 / 4) - ((y - 1) / 100 - 1969 / 100) + ((y - 1) / 400 - 1969 / 400);
    days = span * 365 + leaps;
    days += before_month[m - 1] + (m > 2 && leap_year(y) ? 1 : 0);
    return days + d - 1;
}

int svc_parse_date(const char *untrusted_buf, size_t len, int64_t *out)
{
    static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *s = untrusted_buf;

    /* sanitize start: the exact shape first, then each field's range */
    if (len == SVC_DATE_LEN + 1 && s[SVC_DATE_LEN] == '\n')
        len--;
    if (len != SVC_DATE_LEN)
        return -EINVAL;
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        memcmp(s + 19, "+00:00", 6) != 0)
        return -EINVAL;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 2000 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
        sec > 59)
        return -EINVAL;
    if (d > month_days[mo - 1] + (mo == 2 && leap_year(y) ? 1 : 0))
        return -EINVAL;
    /* sanitize end */
    *out = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

/* ---- qubes.OpenURL ---- */

static bool scheme_is(const char *s, size_t n, const char *want)
{
    if (n != strlen(want))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != want[i])
            return false;
    }
    return true;
}

int svc_check_url(const char *untrusted_buf, size_t len, size_t *url_len)
{
    const char *s = untrusted_buf;
    const char *colon;
    size_t n = len, scheme_len;

    /* sanitize start */
    if (n > 0 && s[n - 1] == '\n')
        n--;
    if (n == 0 || n > SVC_URL_MAX)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return -EINVAL; /* controls, spaces, a second line, non-ASCII */
    colon = memchr(s, ':', n);
    if (!colon)
        return -EINVAL;
    scheme_len = (size_t)(colon - s);
    const char *rest = colon + 1;
    size_t rest_len = n - scheme_len - 1;
    if (scheme_is(s, scheme_len, "http") || scheme_is(s, scheme_len, "https") ||
        scheme_is(s, scheme_len, "ftp")) {
        if (rest_len < 3 || rest[0] != '/' || rest[1] != '/' || strchr("/?#", rest[2]))
            return -EINVAL;
    } else if (scheme_is(s, scheme_len, "mailto")) {
        if (rest_len == 0)
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    /* sanitize end */
    *url_len = n;
    return 0;
}

/* ---- qubes.StartApp ---- */

int svc_check_app_name(const char *untrusted_name, size_t len)
{
    if (len == 0 || len > SVC_APP_NAME_MAX || untrusted_name[0] == '.' || untrusted_name[0] == '-')
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        char c = untrusted_name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return -EINVAL;
    }
    return 0;
}

/* ---- qubes.OpenInVM ---- */

bool svc_utf8_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;

    for (size_t i = 0; i < len;) {
        size_t k = text_utf8_decode(p + i, len - i, &cp);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

int svc_check_file_name(const char *untrusted_name, size_t len)
{
    const unsigned char *p = (const unsigned char *)untrusted_name;
    uint32_t cp;

    if (len == 0 || len > SVC_FILE_NAME_MAX)
        return -EINVAL;
    if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
        return -EINVAL;
    for (size_t i = 0; i < len;) {
        size_t k = text_utf8_decode(p + i, len - i, &cp);
        if (k == 0 || cp == '/' || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return -EINVAL;
        i += k;
    }
    return 0;
}

bool svc_file_name_or_default(const char *untrusted_name, size_t len, char *out, size_t outsz)
{
    bool ok = svc_check_file_name(untrusted_name, len) == 0 && len < outsz;

    if (ok) {
        memcpy(out, untrusted_name, len);
        out[len] = '\0';
    } else {
        snprintf(out, outsz, "%s", SVC_DEFAULT_FILE_NAME);
    }
    return ok;
}
