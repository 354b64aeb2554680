/* Reading bytes another domain sent.
 *
 * A struct umsg walks one received message. Every accessor checks against
 * the number of bytes actually received (never a length the peer claimed),
 * fails cleanly with -EBADMSG, and the failure is sticky: once any read
 * fails, every later read fails too, so a parser can read all fields and
 * check once with umsg_end(). Nothing here allocates, logs or touches
 * globals, so parsers built on it stay pure functions.
 *
 * Convention: values read from a umsg are named untrusted_* until a visible
 * sanitize step has checked them and copied them into trusted variables. */
#ifndef BULKHEAD_LIB_UNTRUSTED_H
#define BULKHEAD_LIB_UNTRUSTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct umsg {
    const uint8_t *untrusted_data;
    size_t received;
    size_t off;
    bool failed;
};

void umsg_init(struct umsg *m, const void *untrusted_data, size_t received);
/* Little-endian integers, as every Qubes wire format uses. */
int umsg_u32(struct umsg *m, uint32_t *untrusted_out);
int umsg_u16(struct umsg *m, uint16_t *untrusted_out);
int umsg_u8(struct umsg *m, uint8_t *untrusted_out);
/* Exactly n bytes, or NULL. */
const uint8_t *umsg_bytes(struct umsg *m, size_t n);
/* A fixed-size field of field_size bytes holding a string: it must contain
 * a NUL, and (if strict_padding) only NULs after it. Returns the string
 * (inside the message) and its length in *len, or NULL. */
const char *umsg_fixed_string(struct umsg *m, size_t field_size, bool strict_padding, size_t *len);
/* The rest of the message as one string: at most max_len characters, then
 * exactly one NUL which is the message's last byte. */
const char *umsg_tail_string(struct umsg *m, size_t max_len, size_t *len);
size_t umsg_remaining(const struct umsg *m);
/* 0 if every read succeeded and the whole message was consumed. */
int umsg_end(const struct umsg *m);

/* 0 if got == want, else -EBADMSG: the exact-length check for fixed-size
 * messages. */
int untrusted_size_exact(size_t got, size_t want);
/* True if s[0..n) holds only ASCII letters, digits and bytes from extra. */
bool untrusted_chars_ok(const char *s, size_t n, const char *extra);

#endif
