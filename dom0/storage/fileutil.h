/* File helpers of the file-based drivers: directories, sparse images,
 * reflink copies. 0 or -errno. (dom0, trusted.) */
#ifndef BULKHEAD_STORAGE_FILEUTIL_H
#define BULKHEAD_STORAGE_FILEUTIL_H

#include <stdbool.h>
#include <stdint.h>

/* mkdir -p (0700 for what it creates: images hold qubes' data). */
int fu_mkdir_p(const char *dir);
/* mkdir -p of path's directory. */
int fu_mkdir_parent(const char *path);
/* A new sparse file of size bytes (O_EXCL), synced. */
int fu_make_sparse(const char *path, int64_t size);
/* dst (new, O_EXCL) as a copy of src: FICLONE, else, if allow_copy, a
 * sparse copy (holes stay holes). -EOPNOTSUPP when a reflink was refused
 * and copies are not allowed. Nothing left at dst on failure. */
int fu_clone_file(const char *src, const char *dst, bool allow_copy);
/* Whether the filesystem of dir makes reflinks (a probe with two
 * temporary files): 0 yes, -EOPNOTSUPP no, other -errno. */
int fu_reflink_probe(const char *dir);
/* Grows path to size bytes (never shrinks: -EINVAL). */
int fu_grow(const char *path, int64_t size);
/* fsync of path's directory: a rename or unlink is durable after it. */
int fu_sync_parent(const char *path);
bool fu_exists(const char *path);

#endif
