/* What qrexec-policy-agent reads from one connection (dom0): the service
 * descriptor qrexec puts in front of a socket service's data, then the JSON
 * object qrexec-policy-daemon sends for policy.Ask or policy.Notify.
 *
 * Both parsers are pure functions of the bytes: they are the one place
 * where the agent's untrusted input becomes trusted values. Everything they
 * accept has been checked against the qrexec naming rules, so the dialog
 * and the notification can show it as is. */
#ifndef BULKHEAD_POLICY_AGENT_REQUEST_H
#define BULKHEAD_POLICY_AGENT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define AGENT_MAX_REQUEST   (64 * 1024) /* JSON bytes after the descriptor */
#define AGENT_MAX_DESC      512         /* "SERVICE[+ARG] SOURCE" with its NUL */
#define AGENT_MAX_TARGETS   256
#define AGENT_NAME_MAX      48  /* a target: "@dispvm:" + a 31-byte qube name */
#define AGENT_SERVICE_MAX   128 /* a service name */
#define AGENT_ARGUMENT_MAX  128 /* an argument, with its leading '+' */
#define AGENT_ICON_NAME_MAX 64

enum agent_kind { AGENT_ASK, AGENT_NOTIFY };

/* The eight qube labels, in their Qubes index order; AGENT_LABEL_NONE when
 * the icon is missing or not one of them (no colour is drawn then). */
enum agent_label {
    AGENT_LABEL_NONE,
    AGENT_LABEL_RED,
    AGENT_LABEL_ORANGE,
    AGENT_LABEL_YELLOW,
    AGENT_LABEL_GREEN,
    AGENT_LABEL_GRAY,
    AGENT_LABEL_BLUE,
    AGENT_LABEL_PURPLE,
    AGENT_LABEL_BLACK,
};

enum agent_resolution { AGENT_RES_ALLOW, AGENT_RES_DENY, AGENT_RES_FAIL };

struct agent_request {
    enum agent_kind kind;
    char source[AGENT_NAME_MAX];
    char service[AGENT_SERVICE_MAX];
    char argument[AGENT_ARGUMENT_MAX]; /* starts with '+'; "+" for none */
    /* policy.Ask */
    char targets[AGENT_MAX_TARGETS][AGENT_NAME_MAX];
    enum agent_label target_labels[AGENT_MAX_TARGETS];
    size_t target_count; /* at least 1 */
    int default_index;   /* into targets, or -1: nothing preselected */
    enum agent_label source_label;
    /* policy.Notify */
    enum agent_resolution resolution;
    char target[AGENT_NAME_MAX];
};

/* The descriptor "policy.Ask[+ARG] SOURCE" or "policy.Notify[+ARG] SOURCE"
 * (len bytes, without its NUL). Only dom0 may ask: a qube that could open
 * these dialogs could forge prompts. Returns 0 and the kind, or -EINVAL
 * with a reason in err. */
int agent_parse_descriptor(const char *untrusted, size_t len, enum agent_kind *kind, char *err,
                           size_t errsz);

/* The JSON body (len bytes, need not be NUL-terminated) of a request of
 * this kind into *out. Returns 0, or -EINVAL with a one-line reason in err
 * (which never quotes the input). */
int agent_parse_request(enum agent_kind kind, const char *untrusted, size_t len,
                        struct agent_request *out, char *err, size_t errsz);

/* A label from an icon name: "red" or "KIND-red" (e.g. "appvm-red",
 * "dispvm-blue"); AGENT_LABEL_NONE for anything else. */
enum agent_label agent_label_from_icon(const char *icon);
/* The label's name ("red") and colour (0xRRGGBB); "" and 0 for NONE. */
const char *agent_label_name(enum agent_label l);
unsigned agent_label_rgb(enum agent_label l);

const char *agent_resolution_name(enum agent_resolution r);

#endif
