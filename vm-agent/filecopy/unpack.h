/* The receiver's file-system side: creates what the parser accepted,
 * every operation relative to one folder descriptor (the transfer's root)
 * and never following a symlink on the way (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS, or a component-by-component O_NOFOLLOW walk where
 * openat2 is missing). Regular files are written under a hidden temporary
 * name and renamed into place (never over an existing name) only when
 * complete. Functions return 0 or a negative errno. */
#ifndef BULKHEAD_FILECOPY_UNPACK_H
#define BULKHEAD_FILECOPY_UNPACK_H

#include "vm-agent/filecopy/names.h"
#include "vm-agent/filecopy/proto.h"

#include <stddef.h>

struct fc_unpack {
    int root_fd;
    int parent_fd; /* the folder of the last entry (root_fd or owned) */
    char parent[FC_MAX_PATH_LENGTH];
    size_t parent_len;
    int file_fd;      /* the regular file being written, or -1 */
    const char *base; /* its final name, inside the parser's entry */
    char tmp[FC_NAME_MAX + 1];
    struct fc_header hdr;
};

void fc_unpack_init(struct fc_unpack *u, int root_fd);
void fc_unpack_fini(struct fc_unpack *u); /* removes a partial file */

int fc_unpack_file_begin(struct fc_unpack *u, const struct fc_entry *e);
int fc_unpack_write(struct fc_unpack *u, const void *data, size_t len);
int fc_unpack_file_end(struct fc_unpack *u);
int fc_unpack_dir_open(struct fc_unpack *u, const struct fc_entry *e);
int fc_unpack_dir_close(struct fc_unpack *u, const struct fc_entry *e);
int fc_unpack_symlink(struct fc_unpack *u, const struct fc_entry *e);

/* Removes the partial file, if any: async-signal-safe, for a signal
 * handler (uses only the state the last fc_unpack_file_begin set). */
void fc_unpack_remove_partial(struct fc_unpack *u);

#endif
