/* The file-copy naming rules: which names and symlink targets a receiving
 * qube accepts. Pure functions, shared by the receiver (which enforces
 * them) and the sender (which checks before sending). docs/filecopy.md
 * lists the rules. */
#ifndef BULKHEAD_FILECOPY_NAMES_H
#define BULKHEAD_FILECOPY_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* Longest component a file system takes (NAME_MAX). */
#define FC_NAME_MAX 255

/* 0 if s[0..len) is an acceptable relative path: not empty, no leading
 * '/', no empty, "." or ".." component, no component over FC_NAME_MAX
 * bytes, no NUL; and unless allow_all_names, valid UTF-8 within the safe
 * subset (fc_text_ok). -EINVAL, or -ENAMETOOLONG for a long component. */
int fc_name_check(const char *s, size_t len, bool allow_all_names);

/* True if s[0..len) is UTF-8 that holds no C0 or C1 control, DEL,
 * surrogate, noncharacter, bidi override or isolate (U+202A-202E,
 * U+2066-2069) or U+FEFF; overlong forms and code points past U+10FFFF are
 * invalid UTF-8. */
bool fc_text_ok(const char *s, size_t len);

/* 0 if a symlink named name (already checked with fc_name_check) may point
 * at target[0..len): relative, no empty components, only leading ".."
 * components (then none), "." allowed anywhere as a no-op, and the leading
 * ".." never climb out of the transfer's top-level folder (the link's
 * first name component). So a symlink at the top level is never accepted.
 * The text rules of fc_name_check apply unless allow_all_names. -EINVAL. */
int fc_symlink_check(const char *name, size_t name_len, const char *target, size_t len,
                     bool allow_all_names);

#endif
