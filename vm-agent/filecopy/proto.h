/* The Qubes file-copy stream (qubes.Filecopy): a push parser for the
 * receiver, and builders for the sender.
 *
 * Stream: repeated { struct file_header (32 bytes, little-endian); name
 * (namelen bytes, NUL-terminated); data (filelen bytes) }, ended by a
 * header with namelen 0. Regular files carry their contents, directories
 * no data (their header comes again after their contents, to set their
 * times), symlinks their target. The receiver answers with a result header
 * { u32 error_code; u32 pad; u64 crc32 } and a result_header_ext
 * { u32 last_namelen; last_name }. CRC-32 (zlib's polynomial) covers every byte of
 * the stream, end marker included.
 *
 * The parser is pure: fed arbitrary chunks, it checks every rule
 * (names.h, the mode type, sizes, limits, that each entry's folder came
 * first) and hands back one event at a time. Nothing is allocated per
 * entry; data events point into the caller's chunk. */
#ifndef BULKHEAD_FILECOPY_PROTO_H
#define BULKHEAD_FILECOPY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FC_MAX_PATH_LENGTH   16384
#define FC_LEGAL_EOF         31415926 /* error code: the stream ended early */
#define FC_VMNAME_SIZE       32
#define FC_HEADER_SIZE       32
#define FC_RESULT_SIZE       16
#define FC_RESULT_EXT_SIZE   4
#define FC_DEFAULT_MAX_BYTES (UINT64_C(1) << 40) /* 1 TiB */
#define FC_DEFAULT_MAX_FILES 1000000

/* One header, decoded (trusted only once the parser returned it). */
struct fc_header {
    uint32_t namelen; /* including the NUL */
    uint32_t mode;
    uint64_t filelen;
    uint32_t atime, atime_nsec, mtime, mtime_nsec;
};

enum fc_kind { FC_FILE, FC_DIR, FC_SYMLINK };

/* An entry the parser accepted. */
struct fc_entry {
    enum fc_kind kind;
    const char *name; /* NUL-terminated, inside the parser */
    size_t name_len;
    uint32_t perm;      /* mode & 07777 as sent */
    uint64_t size;      /* FC_FILE: bytes of data that follow */
    const char *target; /* FC_SYMLINK: NUL-terminated */
    size_t target_len;
    struct fc_header hdr;
};

enum fc_event {
    FC_EV_NEED_MORE,  /* the chunk is used up */
    FC_EV_FILE_BEGIN, /* a regular file: FC_EV_DATA events then FC_EV_FILE_END */
    FC_EV_DATA,       /* data of the current file: ev_data, ev_len */
    FC_EV_FILE_END,
    FC_EV_DIR_OPEN,  /* a folder, first time: create it */
    FC_EV_DIR_CLOSE, /* a folder's header again, after its contents: its times */
    FC_EV_SYMLINK,
    FC_EV_END, /* the end marker: nothing may follow */
};

enum fc_pstate { FC_S_HEADER, FC_S_NAME, FC_S_DATA, FC_S_LINK, FC_S_DONE, FC_S_FAILED };

struct fc_limits {
    uint64_t max_bytes; /* file data, all files together */
    uint64_t max_files; /* entries (a folder counts once) */
    bool allow_all_names;
};

struct fc_parser {
    struct fc_limits lim;
    enum fc_pstate state;
    uint8_t hdr_buf[FC_HEADER_SIZE];
    size_t got; /* bytes of the header, name or link target so far */
    struct fc_header hdr;
    char name[FC_MAX_PATH_LENGTH];
    char target[FC_MAX_PATH_LENGTH];
    /* the deepest folder still open: every folder on the way to it is open
     * too, so this one path is the whole stack of open folders */
    char open_dir[FC_MAX_PATH_LENGTH];
    size_t open_len;
    uint64_t data_left;
    bool in_file; /* between FILE_BEGIN and FILE_END */
    uint64_t bytes, files;
    uint32_t crc;
    int error; /* errno-style code once FC_S_FAILED */
    struct fc_entry entry;
    const uint8_t *ev_data;
    size_t ev_len;
};

void fc_parser_init(struct fc_parser *p, const struct fc_limits *lim);
/* Consumes a prefix of buf (len bytes) and returns the next event, with
 * *used set to the bytes consumed; call again with the rest. A negative
 * errno on a rule broken (EINVAL: a malformed stream or name; ENAMETOOLONG;
 * EDQUOT: a limit): the parser then stays failed. The CRC is updated over
 * exactly the consumed bytes. */
int fc_parser_feed(struct fc_parser *p, const uint8_t *buf, size_t len, size_t *used);
/* The name of the entry in progress or last seen ("" if none), for the
 * result header's last_name. */
const char *fc_parser_last_name(const struct fc_parser *p);

/* CRC-32 as zlib's crc32() computes and chains it (crc = 0 to start). */
uint32_t fc_crc32(uint32_t crc, const void *buf, size_t len);

/* Builders (sender side). fc_build_header writes a header and the name
 * with its NUL into out (room for FC_HEADER_SIZE + strlen(name) + 1 bytes)
 * and returns the bytes written, or -ENAMETOOLONG. */
ssize_t fc_build_header(uint8_t *out, size_t outsz, const struct fc_header *h, const char *name);
/* The end marker: FC_HEADER_SIZE zero bytes. */
void fc_build_end(uint8_t out[FC_HEADER_SIZE]);
/* Result header + ext with name (may be NULL): returns bytes written, or
 * -ENAMETOOLONG if out is too small. */
ssize_t fc_build_result(uint8_t *out, size_t outsz, uint32_t error_code, uint32_t crc,
                        const char *last_name);
/* Decodes a result header; 0, or -EBADMSG. */
int fc_parse_result(const uint8_t *buf, size_t len, uint32_t *error_code, uint64_t *crc);
/* Decodes a result_header_ext that follows it: copies last_name (made
 * NUL-terminated, at most namesz - 1 bytes kept) and returns the bytes
 * the ext takes, 0 if buf does not hold a whole one yet, -EBADMSG if its
 * length is over FC_MAX_PATH_LENGTH (-EINVAL if namesz is 0). */
ssize_t fc_parse_result_ext(const uint8_t *buf, size_t len, char *name, size_t namesz);

#endif
