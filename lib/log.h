/* Logging for daemons and tools: one line per message to stderr, with the
 * journal's priority prefix when stderr is connected to journald.
 *
 * Every message is made printable before it is written, so text a VM sent
 * can never forge extra log lines or terminal escapes. */
#ifndef BULKHEAD_LIB_LOG_H
#define BULKHEAD_LIB_LOG_H

#include <stddef.h>
#include <stdnoreturn.h>

enum log_level {
    LOG_LEVEL_ERR = 3,
    LOG_LEVEL_WARNING = 4,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7,
};

/* ident: the program name shown before each message. Reads
 * $BULKHEAD_LOG_LEVEL (err, warning, info, debug) and $JOURNAL_STREAM. */
void log_init(const char *ident);
void log_set_level(enum log_level level);

/* _warn variants append ": strerror(errno)"; _x variants do not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For broken invariants and unrecoverable start-up errors only. */
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies at most len bytes of src into dst (size dstsz, always
 * NUL-terminated), escaping anything outside printable ASCII as \xHH and a
 * backslash as \\. Output that does not fit is cut and ends in "...".
 * Returns dst. */
char *log_printable(char *dst, size_t dstsz, const void *src, size_t len);

/* Formats one line exactly as the logger would (without the journal
 * prefix); for tests. Returns the number of bytes written to out. */
size_t log_format_line(char *out, size_t outsz, const char *ident, const char *msg);

#define LOG_PRINTABLE_MAX 256
/* A printable copy of untrusted bytes, valid until the end of the enclosing
 * full expression's block: log_warnx("bad name %s", LOG_UNTRUSTED(p, n)); */
#define LOG_UNTRUSTED(p, n) log_printable((char[LOG_PRINTABLE_MAX]){0}, LOG_PRINTABLE_MAX, (p), (n))

#endif
