/* The naming rules of qrexec: service descriptors, targets, qube names,
 * request ids and command lines. Pure functions; used by dom0 to turn what
 * a VM sent into trusted values, and by VMs to check what dom0 asks. */
#ifndef BULKHEAD_QREXEC_NAMES_H
#define BULKHEAD_QREXEC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* The daemon's sanitizer for a service descriptor (SERVICE[+ARG]) a VM
 * sent: copies it into dst, replacing every byte outside [A-Za-z0-9_.+-]
 * by '_'. Fails (-EINVAL) on an empty descriptor or one starting with '+',
 * -ENAMETOOLONG if it does not fit. */
int qrexec_sanitize_service(char *dst, size_t dstsz, const char *untrusted, size_t len);
/* The same for a target: bytes outside [A-Za-z0-9_.@:-] become '_'. */
int qrexec_sanitize_target(char *dst, size_t dstsz, const char *untrusted, size_t len);

/* A descriptor split for policy: name is [A-Za-z0-9_.-]+, then optionally
 * '+' and an argument of [A-Za-z0-9_.+-]* ("" when absent or empty). */
struct qrexec_service_name {
    const char *name;
    size_t name_len;
    const char *arg; /* after the '+' */
    size_t arg_len;
    bool has_arg;    /* a '+' was present */
};
int qrexec_split_service(const char *desc, struct qrexec_service_name *out);

/* A qube name: 1 to 31 characters, a letter then [A-Za-z0-9_.-]; not
 * "Domain-0", "none" or "default", and not ending in "-dm". */
bool qrexec_valid_vm_name(const char *s);
/* A UUID in its 8-4-4-4-12 hex form. */
bool qrexec_valid_uuid(const char *s);

enum qrexec_target_kind {
    QREXEC_TARGET_INVALID,
    QREXEC_TARGET_NAME,      /* a qube name */
    QREXEC_TARGET_ADMINVM,   /* @adminvm or dom0 */
    QREXEC_TARGET_DEFAULT,   /* @default (or empty: the same) */
    QREXEC_TARGET_DISPVM,    /* @dispvm */
    QREXEC_TARGET_DISPVM_VM, /* @dispvm:NAME; *detail = NAME */
    QREXEC_TARGET_UUID,      /* uuid:UUID; *detail = UUID */
};
/* What a target a VM asked for means; detail (may be NULL) receives the
 * part after the keyword's colon. The legacy '$' tokens are refused. */
enum qrexec_target_kind qrexec_classify_target(const char *s, const char **detail);

/* A command line in EXEC_CMDLINE, split (pointers into the string). */
struct qrexec_cmdline {
    const char *user; /* VM form only: before the first ':' */
    size_t user_len;
    bool nogui;
    bool rpc;            /* QUBESRPC ...; otherwise a shell command */
    const char *command; /* non-RPC: the command */
    const char *service; /* RPC: SERVICE+ARG */
    size_t service_len;
    const char *source; /* RPC: the calling qube */
    size_t source_len;
    const char *target_type; /* dom0 form: "name" or "keyword" */
    size_t target_type_len;
    const char *target; /* dom0 form */
    size_t target_len;
};
/* "USER:[nogui:]QUBESRPC SERVICE+ARG SOURCE" or "USER:[nogui:]COMMAND". */
int qrexec_parse_vm_cmdline(const char *cmd, size_t len, struct qrexec_cmdline *out);
/* "[nogui:]QUBESRPC SERVICE+ARG SOURCE name|keyword TARGET": a call to dom0. */
int qrexec_parse_dom0_cmdline(const char *cmd, size_t len, struct qrexec_cmdline *out);

/* Copies a counted string into dst (dstsz bytes), cut to fit, always
 * NUL-terminated: for fields qrexec_parse_*_cmdline() points at. */
void qrexec_copy_field(char *dst, size_t dstsz, const char *src, size_t len);

#endif
