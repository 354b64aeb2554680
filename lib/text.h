/* Reading line-oriented text (config files, policy files) safely. */
#ifndef BULKHEAD_LIB_TEXT_H
#define BULKHEAD_LIB_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies the line at *pos of text (len bytes) into buf (bufsz bytes)
 * without its '\n', NUL-terminated, and moves *pos past it. Returns 1 for a
 * line, 0 when the text is used up, -EINVAL for a line that does not fit or
 * contains a NUL (*pos still moves past it). Pure. */
int text_next_line(const char *text, size_t len, size_t *pos, char *buf, size_t bufsz);

/* Decodes one UTF-8 sequence at s (n >= 1 bytes left): its length, and the
 * code point in *cp; 0 if it is not the shortest form of a code point up to
 * U+10FFFF, or encodes a surrogate. Pure. */
size_t text_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
/* Code points that have no place in text a person reads from another
 * domain: C0, DEL, C1, noncharacters, U+FEFF, and the bidirectional
 * embeddings, overrides and isolates that make text display differently from
 * its bytes. */
bool text_cp_unsafe(uint32_t cp);

#endif
