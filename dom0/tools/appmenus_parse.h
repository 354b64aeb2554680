/* The output of qubes.GetAppmenus, parsed in dom0: "ID.desktop:Key=Value"
 * lines (vm-agent/services/get-appmenus.c writes them; docs/vm-services.md).
 * The qube wrote every byte, so this is a pure function over hostile text:
 * bounded in lines, line length and applications; only known keys; Exec
 * and Icon are never taken (dom0 builds the command itself); desktop-file
 * ids are safe file-name parts; values become printable UTF-8 without
 * control or bidirectional-formatting characters. A line that breaks a
 * rule is skipped and counted, not fatal: one bad entry does not cost the
 * qube its whole menu. */
#ifndef BULKHEAD_DOM0_APPMENUS_PARSE_H
#define BULKHEAD_DOM0_APPMENUS_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define APPMENUS_MAX_LINES 20000 /* lines read at most; the rest is ignored */
#define APPMENUS_MAX_LINE  4096  /* longer lines are skipped */
#define APPMENUS_MAX_APPS  1000  /* applications kept at most */
#define APPMENUS_ID_MAX    128   /* bytes of an id, without ".desktop" */
#define APPMENUS_VALUE_MAX 256   /* bytes of a sanitized value (longer: cut at a character) */

struct appmenus_app {
    char id[APPMENUS_ID_MAX + 1]; /* without ".desktop" */
    char name[APPMENUS_VALUE_MAX + 1];
    char generic_name[APPMENUS_VALUE_MAX + 1];
    char comment[APPMENUS_VALUE_MAX + 1];
    char categories[APPMENUS_VALUE_MAX + 1]; /* only [A-Za-z0-9_-] words, ';'-separated */
    bool no_display, terminal;
};

struct appmenus_stats {
    size_t lines;   /* lines looked at */
    size_t skipped; /* lines that broke a rule */
    bool truncated; /* more lines or applications than the limits */
};

/* Parses len bytes of text into apps[0..max) (in order of first
 * appearance; the first value of a key wins). Applications without a Name
 * or marked NoDisplay are dropped. Returns the number of applications. */
size_t appmenus_parse(const char *text, size_t len, struct appmenus_app *apps, size_t max,
                      struct appmenus_stats *st);

/* Whether id (n bytes) is a safe desktop-file id: 1..APPMENUS_ID_MAX of
 * [A-Za-z0-9._+-], not starting with '.' or '-' (so never "..", never a
 * path, never an option). */
bool appmenus_id_ok(const char *id, size_t n);

/* Copies n bytes of a value into out (outsz >= 1) as printable UTF-8:
 * leading and trailing spaces dropped, each unsafe character (controls,
 * bidi formatting, noncharacters; lib/text.h) replaced by a space, output
 * cut at a character boundary when it does not fit. -1 (out empty) if the
 * bytes are not valid UTF-8. */
int appmenus_sanitize(const char *in, size_t n, char *out, size_t outsz);

#endif
