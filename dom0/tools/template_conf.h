/* template.conf, the metadata that opens a template file (docs/templates.md,
 * "Installing templates"): parsed by one pure function, because a template
 * file may come from anywhere and this runs in dom0. Every key is known,
 * appears at most once and has a strict rule; anything else is refused
 * with one line saying which line and why. */
#ifndef BULKHEAD_DOM0_TEMPLATE_CONF_H
#define BULKHEAD_DOM0_TEMPLATE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The only format this reader knows. */
#define TCONF_FORMAT 1
/* A larger template.conf is refused before it is read. */
#define TCONF_SIZE_MAX 16384
/* root_size bounds: a few MiB of ext4 is the least that boots, and 1 TiB
 * is far beyond any template; a multiple of 512 so that block devices
 * (LVM) take it as it is. */
#define TCONF_ROOT_MIN (1ull << 20)
#define TCONF_ROOT_MAX (1ull << 40)

#define TCONF_VERSION_MAX     64
#define TCONF_DESCRIPTION_MAX 512 /* bytes of UTF-8 */
#define TCONF_KERNEL_MAX      64  /* qvmd's limit for the kernel property */

struct tconf {
    char name[32];                               /* a valid qube name */
    char version[TCONF_VERSION_MAX + 1];         /* [A-Za-z0-9._+~-], starts alnum */
    char description[TCONF_DESCRIPTION_MAX + 1]; /* UTF-8, no control characters; may be "" */
    char built[21];                              /* YYYY-MM-DDTHH:MM:SSZ, or "" when absent */
    char kernel_version[TCONF_KERNEL_MAX + 1];   /* see tconf_kernel_version_ok */
    uint64_t root_size;                          /* bytes */
    uint8_t root_sha256[32], vmlinuz_sha256[32], initramfs_sha256[32];
    char label[8];         /* one of the eight labels; "black" when absent */
    char default_user[33]; /* [a-z_][a-z0-9_-]*; "user" when absent */
};

/* Parses len bytes of template.conf (not NUL-terminated; a NUL anywhere is
 * refused) into out, which is zeroed first. 0, or -EINVAL with one
 * printable line in err ("line 3: kernel_version: ..."). An unknown
 * format= is reported as such before any other problem, so a newer file
 * says "unsupported format" rather than "unknown key". Pure. */
int tconf_parse(const char *untrusted_buf, size_t len, struct tconf *out, char *err, size_t errsz);

/* The canonical text of c (keys in the contract's order, optional ones
 * only when set): what `qvm-template info FILE --raw` prints and what the
 * fuzz target parses back. Returns the length it needs (like snprintf). */
size_t tconf_format(const struct tconf *c, char *out, size_t outsz);

/* A kernel version as a directory name under the kernels directory: 1 to
 * 64 of [A-Za-z0-9._+-], not starting with '.' or '-', no "..". */
bool tconf_kernel_version_ok(const char *s, size_t n);

/* 64 lower-case hex digits and a NUL. */
void tconf_hex(const uint8_t digest[32], char out[65]);

#endif
