/* Checks of what the everyday RPC services receive (VM side). Every input
 * here comes from another domain: a URL or a file name from another qube,
 * an application name dom0 passes on from a menu, the time dom0 sends.
 * Each check is a pure function (no globals, no allocation, no I/O), unit
 * tested (tests/unit/test_vm_services.c) and fuzzed
 * (tests/fuzz/fuzz_vm_services.c). They return 0 or -EINVAL. */
#ifndef BULKHEAD_VM_SERVICES_VALIDATE_H
#define BULKHEAD_VM_SERVICES_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* qubes.GetDate's reply, as `date -u -Iseconds` prints it:
 * "YYYY-MM-DDTHH:MM:SS+00:00", optionally followed by one '\n', nothing
 * else. Years 2000-9999; days checked against the month (leap years too).
 * *out: seconds since the epoch. */
#define SVC_DATE_LEN 25
int svc_parse_date(const char *untrusted_buf, size_t len, int64_t *out);

/* qubes.OpenURL's input: one URL, optionally ended by one '\n', of 1 to
 * SVC_URL_MAX bytes, only printable ASCII without spaces (0x21-0x7e), with
 * a scheme from the allowlist: http:// https:// ftp:// (a host must follow
 * the "//") or mailto: (something must follow). Schemes compare without
 * case. *url_len: the URL's length without the newline. */
#define SVC_URL_MAX 65536
int svc_check_url(const char *untrusted_buf, size_t len, size_t *url_len);

/* qubes.StartApp's argument: a desktop file ID without ".desktop", 1 to
 * SVC_APP_NAME_MAX bytes of [A-Za-z0-9._-], not starting with '.' or '-'. */
#define SVC_APP_NAME_MAX 200
int svc_check_app_name(const char *untrusted_name, size_t len);

/* qubes.OpenInVM's file name: 1 to SVC_FILE_NAME_MAX bytes of valid UTF-8
 * with no '/', no control characters (C0, DEL, C1), and not "." or "..". */
#define SVC_FILE_NAME_MAX 255
int svc_check_file_name(const char *untrusted_name, size_t len);
/* The sanitize step for the name: copies a valid name into out (outsz
 * bytes, at least SVC_FILE_NAME_MAX + 1), else SVC_DEFAULT_FILE_NAME.
 * Returns true if the name was used as sent. */
#define SVC_DEFAULT_FILE_NAME "file"
bool svc_file_name_or_default(const char *untrusted_name, size_t len, char *out, size_t outsz);

/* Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
 * NUL bytes are allowed here (callers that must exclude them do). */
bool svc_utf8_ok(const char *s, size_t len);

#endif
