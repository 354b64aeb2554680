/* Reading a template file (a pax tar, maybe zstd-compressed as a whole;
 * docs/templates.md) in one streaming pass, member by member in the
 * contract's order, hashing each member with SHA-256 as it goes by.
 * libarchive does the tar and zstd parsing (docs/dependencies.md says
 * why); only the tar formats and the zstd filter are enabled. */
#ifndef BULKHEAD_DOM0_TEMPLATE_FILE_H
#define BULKHEAD_DOM0_TEMPLATE_FILE_H

#include <stdint.h>
#include <stdio.h>

struct tfile;

/* Called as a member is copied: bytes done of total. Returns 0 to go on,
 * -1 to stop the copy (it then fails with "interrupted"). */
typedef int tfile_progress_fn(void *ctx, uint64_t done, uint64_t total);

/* Opens path (or stdin for "-"). NULL with the reason in err. */
struct tfile *tfile_open(const char *path, char *err, size_t errsz);
void tfile_close(struct tfile *tf);

/* Why the last call failed: one printable line. */
const char *tfile_error(const struct tfile *tf);

/* Moves to the next member, which must be a regular file named want (or
 * "./want"); its size in *size. 0, or -1 (a different member, the end
 * of the file, a truncated or malformed file). */
int tfile_next(struct tfile *tf, const char *want, uint64_t *size);

/* The current member whole into buf (at most max bytes, else -1). */
int tfile_read_all(struct tfile *tf, char *buf, size_t max, size_t *len);

/* Copies the current member of size bytes into fd at its offsets (fd < 0:
 * only hashes it). Blocks of zeros, and the holes of a sparse member, are
 * not written: fd must read as zeros where nothing is written (a new
 * sparse file, a fresh thin volume). A regular file shorter than size is
 * extended to it. sha256 gets the digest of the whole content, holes
 * included. 0, or -1. */
int tfile_copy(struct tfile *tf, int fd, uint64_t size, uint8_t sha256[32],
               tfile_progress_fn *progress, void *ctx);

/* 0 if no member follows, else -1. */
int tfile_end(struct tfile *tf);

/* Bytes of the member actually written by tfile_copy (its data, not its
 * holes or zero blocks): for the summary. */
uint64_t tfile_written(const struct tfile *tf);

#endif
