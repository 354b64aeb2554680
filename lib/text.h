/* Reading line-oriented text (config files, policy files) safely. */
#ifndef BULKHEAD_LIB_TEXT_H
#define BULKHEAD_LIB_TEXT_H

#include <stddef.h>

/* Copies the line at *pos of text (len bytes) into buf (bufsz bytes)
 * without its '\n', NUL-terminated, and moves *pos past it. Returns 1 for a
 * line, 0 when the text is used up, -EINVAL for a line that does not fit or
 * contains a NUL (*pos still moves past it). Pure. */
int text_next_line(const char *text, size_t len, size_t *pos, char *buf, size_t bufsz);

#endif
