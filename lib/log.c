#include "lib/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static const char *log_ident = "bulkhead";
static enum log_level log_threshold = LOG_LEVEL_INFO;
static int log_to_journal;

/* systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected to
 * stderr; only then does a "<N>" prefix mean a priority. */
static int stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
        return 0;
    if (fstat(STDERR_FILENO, &st) < 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident)
{
    const char *lvl = getenv("BULKHEAD_LOG_LEVEL");

    if (ident && *ident) {
        const char *slash = strrchr(ident, '/');
        log_ident = slash ? slash + 1 : ident;
    }
    log_to_journal = stderr_is_journal();
    if (!lvl)
        return;
    if (!strcmp(lvl, "debug"))
        log_threshold = LOG_LEVEL_DEBUG;
    else if (!strcmp(lvl, "info"))
        log_threshold = LOG_LEVEL_INFO;
    else if (!strcmp(lvl, "warning"))
        log_threshold = LOG_LEVEL_WARNING;
    else if (!strcmp(lvl, "err"))
        log_threshold = LOG_LEVEL_ERR;
}

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

/* backslashes are doubled in untrusted text (so "\\x0a" typed by a VM cannot
 * pass for an escape) but left alone in the final pass over whole lines,
 * which would otherwise double them again */
static char *escape(char *dst, size_t dstsz, const void *src, size_t len, int backslash)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = src;
    size_t o = 0, i;

    if (dstsz == 0)
        return dst;
    for (i = 0; i < len; i++) {
        unsigned char c = s[i];
        size_t need = (c == '\\' && backslash) ? 2 : (c >= 0x20 && c < 0x7f) ? 1 : 4;

        /* keep room for "..." and the NUL */
        if (o + need + 4 > dstsz)
            break;
        if (c == '\\' && backslash) {
            dst[o++] = '\\';
            dst[o++] = '\\';
        } else if (need == 1) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    if (i < len && o + 4 <= dstsz) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return dst;
}

char *log_printable(char *dst, size_t dstsz, const void *src, size_t len)
{
    return escape(dst, dstsz, src, len, 1);
}

size_t log_format_line(char *out, size_t outsz, const char *ident, const char *msg)
{
    int n = snprintf(out, outsz, "%s: ", ident);

    if (n < 0 || (size_t)n >= outsz)
        return 0;
    escape(out + n, outsz - (size_t)n - 1, msg, strlen(msg), 0);
    n += (int)strlen(out + n);
    out[n++] = '\n';
    out[n] = '\0';
    return (size_t)n;
}

static void log_vemit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
    char msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 8];
    size_t off = 0, n;

    if (level > log_threshold)
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (errnum) {
        size_t m = strlen(msg);
        snprintf(msg + m, sizeof(msg) - m, ": %s", strerror(errnum));
    }
    if (log_to_journal)
        off = (size_t)snprintf(line, sizeof(line), "<%d>", (int)level);
    n = log_format_line(line + off, sizeof(line) - off, log_ident, msg);
    /* one write per line keeps lines from concurrent processes whole */
    if (write(STDERR_FILENO, line, off + n) < 0) {
        /* nowhere left to report it */
    }
}

#define LOG_BODY(level, errnum)                                                                    \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        log_vemit(level, errnum, fmt, ap);                                                         \
        va_end(ap);                                                                                \
    } while (0)

void log_warn(const char *fmt, ...)
{
    int saved = errno;
    LOG_BODY(LOG_LEVEL_WARNING, saved);
    errno = saved;
}

void log_warnx(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_WARNING, 0);
}

void log_info(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_INFO, 0);
}

void log_debug(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_DEBUG, 0);
}

noreturn void fatal(const char *fmt, ...)
{
    int saved = errno;
    LOG_BODY(LOG_LEVEL_ERR, saved);
    exit(1);
}

noreturn void fatalx(const char *fmt, ...)
{
    LOG_BODY(LOG_LEVEL_ERR, 0);
    exit(1);
}
