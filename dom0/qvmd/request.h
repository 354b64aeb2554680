/* The Admin API request header: "METHOD+ARG SOURCE TYPE DEST\0", where
 * TYPE is "name" (DEST a qube name, or dom0) or "keyword" (DEST adminvm or
 * @adminvm). qrexec's socket services write only "METHOD+ARG SOURCE\0"
 * (the call already reached dom0); that form means DEST dom0. Pure: the
 * parser and its fuzz target share this code. (dom0.) */
#ifndef BULKHEAD_QVMD_REQUEST_H
#define BULKHEAD_QVMD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define ADMIN_HEADER_MAX  512
#define ADMIN_PAYLOAD_MAX (256 * 1024 + 64)

struct admin_request {
    char method[64];  /* admin.vm.List: [A-Za-z0-9_.]+ */
    char arg[128];    /* [A-Za-z0-9_.+-]*, may be empty */
    char source[32];  /* "dom0" or a qube name */
    bool source_dom0; /* came from dom0 (the CLI), not through qrexec */
    char dest[32];    /* "dom0" or a qube name */
    bool dest_dom0;
};

/* Where the header ends (one past its NUL) in the first len bytes, 0 if
 * no NUL yet. */
size_t admin_header_end(const char *buf, size_t len);
/* Parses the header (hdr[0..len), NUL excluded). 0 or -EINVAL with a
 * reason in err. */
int admin_parse_header(const char *hdr, size_t len, struct admin_request *out, char *err,
                       size_t errsz);

#endif
