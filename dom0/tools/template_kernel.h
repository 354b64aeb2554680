/* The kernels qvm-template installs: `<dir>/<version>/{vmlinuz,initramfs}`
 * in the linux-kernel pool's directory, where qvmd boots a qube's
 * `kernel` property from (dom0/qvmd/start_plan.c). A version directory
 * appears whole (written under a temporary dot-name, which qvmd never
 * lists, then renamed) and disappears whole (renamed away, then deleted). */
#ifndef BULKHEAD_DOM0_TEMPLATE_KERNEL_H
#define BULKHEAD_DOM0_TEMPLATE_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* The directory of the pool named by the global default_pool_kernel (a
 * linux-kernel pool). 0, or -1 with the reason printed. */
int tkernel_dir(char *out, size_t outsz);

/* The SHA-256 of a file's content. 0 or a negative errno. */
int tkernel_sha256(const char *path, uint8_t out[32]);

/* Whether <dir>/<version> is installed: 0 absent, 1 present with exactly
 * these two files (it may be reused), -1 present with other content (the
 * reason printed). */
int tkernel_check(const char *dir, const char *version, const uint8_t vmlinuz[32],
                  const uint8_t initramfs[32]);

/* A new empty temporary directory under dir for a version being written
 * (its path in out). 0, or -1 printed. */
int tkernel_tmp(const char *dir, char *out, size_t outsz);

/* Puts the written tmp directory in place as <dir>/<version> (after
 * fsyncing it); refuses if the version appeared meanwhile. 0, or -1
 * printed. */
int tkernel_commit(const char *tmp, const char *dir, const char *version);

/* Deletes a directory holding only vmlinuz and initramfs (a tmp one, or
 * <dir>/<version> after renaming it away). 0, 1 if it was left alone
 * because it holds other files too (printed), -1 on an error (printed). */
int tkernel_remove(const char *path);
int tkernel_remove_version(const char *dir, const char *version);

#endif
