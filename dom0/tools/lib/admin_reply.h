/* The Admin API's replies, parsed: pure functions over the bytes qvmd sent
 * (no I/O, no allocation), so they can be unit-tested and fuzzed. qvmd is
 * trusted, but its replies still end up on a terminal, so nothing here
 * assumes a reply is well formed or NUL-terminated. */
#ifndef BULKHEAD_DOM0_ADMIN_REPLY_H
#define BULKHEAD_DOM0_ADMIN_REPLY_H

#include <stdbool.h>
#include <stddef.h>

enum qadmin_kind {
    QADMIN_OK = 0x30,        /* '0' 0x00 DATA */
    QADMIN_EVENT = 0x31,     /* '1' 0x00 SUBJECT\0 EVENT\0 (KEY\0 VALUE\0)* \0 */
    QADMIN_EXCEPTION = 0x32, /* '2' 0x00 TYPE\0 TRACEBACK\0 FMT\0 (ARG\0)* */
};

/* A counted string pointing into a reply. */
struct qadmin_str {
    const char *p;
    size_t len;
};

/* What the first frame of a reply is. OK: data is what follows the two
 * marker bytes. EXCEPTION: data is the fields (TYPE onwards). EVENT: data
 * is the event stream from its first frame on. 0, or -EPROTO if the reply
 * is empty, has an unknown marker or lacks the 0x00 after it. */
int qadmin_parse_reply(const char *buf, size_t len, enum qadmin_kind *kind,
                       struct qadmin_str *data);

/* The exception's type ("QubesVMNotFoundError") copied to type, and its
 * message as one printable line in msg: FMT with each %s / %d replaced by
 * the next ARG and %r by 'ARG'; %% is a '%'. fields is what
 * qadmin_parse_reply gave for an EXCEPTION. Both outputs are always
 * NUL-terminated; anything outside printable ASCII is escaped. */
void qadmin_format_exception(struct qadmin_str fields, char *type, size_t typesz, char *msg,
                             size_t msgsz);

/* One event of an admin.Events stream. */
#define QADMIN_EVENT_KV_MAX 16
struct qadmin_event {
    struct qadmin_str subject, name;
    struct qadmin_str key[QADMIN_EVENT_KV_MAX], value[QADMIN_EVENT_KV_MAX];
    size_t nkv;
};
/* Parses the frame at the start of buf ("1\0SUBJECT\0EVENT\0(K\0V\0)*\0").
 * Returns the bytes it took (> 0), 0 if the frame is not complete yet, or
 * -EPROTO if it is malformed (or has more than QADMIN_EVENT_KV_MAX pairs). */
long qadmin_parse_event(const char *buf, size_t len, struct qadmin_event *ev);

/* The next '\n'-terminated line of data from *pos (a last line without
 * '\n' counts too); false at the end. The line excludes the '\n'. */
bool qadmin_next_line(struct qadmin_str data, size_t *pos, struct qadmin_str *line);

/* The value of key in data's "key=value" lines (volume and pool info),
 * copied into out; false if there is none or it does not fit. */
bool qadmin_kv_get(struct qadmin_str data, const char *key, char *out, size_t outsz);

/* A line of admin.vm.List: "NAME class=CLASS state=STATE" (more key=value
 * words may follow and are ignored). Copies into the fixed fields; -EPROTO
 * if the name is not a valid qube name or class/state are missing or too
 * long. */
#define QADMIN_NAME_MAX 32
#define QADMIN_WORD_MAX 32
struct qadmin_vm {
    char name[QADMIN_NAME_MAX];
    char klass[QADMIN_WORD_MAX];
    char state[QADMIN_WORD_MAX];
};
int qadmin_parse_vm_line(struct qadmin_str line, struct qadmin_vm *vm);

/* A property value: "default=True|False type=TYPE VALUE" (Get) or, with
 * has_name, "NAME default=... type=... VALUE" (a GetAll line). VALUE is
 * the rest of the line, possibly empty or with spaces. -EPROTO if the
 * shape is wrong. */
struct qadmin_prop {
    struct qadmin_str name; /* has_name only */
    bool is_default;
    char type[QADMIN_WORD_MAX];
    struct qadmin_str value;
};
int qadmin_parse_prop(struct qadmin_str s, bool has_name, struct qadmin_prop *p);

/* True if the counted string equals the C string z. */
bool qadmin_str_eq(struct qadmin_str s, const char *z);

#endif
