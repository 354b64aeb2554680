/* Kernel directories installed by qvm-template; see template_kernel.h. */
#include "dom0/tools/template_kernel.h"

#include "dom0/tools/lib/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const files[] = {"vmlinuz", "initramfs"};

int tkernel_dir(char *out, size_t outsz)
{
    struct qadmin_result res;
    struct qadmin_prop prop;
    char pool[80], driver[40] = "";
    bool ok;

    if (cli_call("admin.property.Get", "default_pool_kernel", "dom0", NULL, &res) < 0)
        return -1;
    ok = qadmin_parse_prop(res.data, false, &prop) == 0 && prop.value.len &&
         prop.value.len < sizeof(pool);
    if (ok) {
        memcpy(pool, prop.value.p, prop.value.len);
        pool[prop.value.len] = 0;
    }
    qadmin_result_free(&res);
    if (!ok) {
        cli_err("the global default_pool_kernel names no pool (see qubes-prefs)");
        return -1;
    }
    if (cli_call("admin.pool.Info", pool, "dom0", NULL, &res) < 0)
        return -1;
    ok = qadmin_kv_get(res.data, "driver", driver, sizeof(driver)) &&
         !strcmp(driver, "linux-kernel") && qadmin_kv_get(res.data, "dir_path", out, outsz) &&
         out[0] == '/';
    qadmin_result_free(&res);
    if (!ok) {
        cli_err("pool %s (default_pool_kernel) is not a linux-kernel pool with a dir_path", pool);
        return -1;
    }
    return 0;
}

int tkernel_sha256(const char *path, uint8_t out[32])
{
    static unsigned char buf[1 << 16];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

    if (fd < 0 || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        r = fd < 0 ? -errno : -ENOMEM;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            goto out;
        }
        if (n == 0)
            break;
        EVP_DigestUpdate(md, buf, (size_t)n);
    }
    if (!EVP_DigestFinal_ex(md, out, NULL))
        r = -EIO;
out:
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(md);
    return r;
}

int tkernel_check(const char *dir, const char *version, const uint8_t vmlinuz[32],
                  const uint8_t initramfs[32])
{
    const uint8_t *want[] = {vmlinuz, initramfs};
    char p[4200];
    struct stat st;

    snprintf(p, sizeof(p), "%s/%s", dir, version);
    if (lstat(p, &st) < 0 && errno == ENOENT)
        return 0;
    for (int i = 0; i < 2; i++) {
        uint8_t got[32];
        snprintf(p, sizeof(p), "%s/%s/%s", dir, version, files[i]);
        if (tkernel_sha256(p, got) < 0 || memcmp(got, want[i], 32)) {
            cli_err("kernel %s is already installed in %s/%s with a different %s; remove it "
                    "first if no qube uses it",
                    version, dir, version, files[i]);
            return -1;
        }
    }
    return 1;
}

int tkernel_tmp(const char *dir, char *out, size_t outsz)
{
    /* a dot-name: never a kernel version (qvmd skips such entries) */
    if ((size_t)snprintf(out, outsz, "%s/.qvm-template.XXXXXX", dir) >= outsz) {
        cli_err("%s: path too long", dir);
        return -1;
    }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        cli_err("%s: %s", dir, strerror(errno));
        return -1;
    }
    if (!mkdtemp(out)) {
        cli_err("%s: %s", out, strerror(errno));
        out[0] = 0;
        return -1;
    }
    chmod(out, 0755); /* mkdtemp makes 0700; qvmd runs as root anyway */
    return 0;
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

    if (fd < 0)
        return -errno;
    r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return r;
}

int tkernel_commit(const char *tmp, const char *dir, const char *version)
{
    char dst[4200];

    snprintf(dst, sizeof(dst), "%s/%s", dir, version);
    fsync_path(tmp);
    /* RENAME_NOREPLACE: a version installed meanwhile is never replaced */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) < 0) {
        cli_err("installing kernel %s in %s: %s", version, dir, strerror(errno));
        return -1;
    }
    fsync_path(dir);
    return 0;
}

/* 1 if path holds nothing but vmlinuz and initramfs, 0 if it holds more,
 * -ENOENT if it is not there, another negative errno. */
static int only_ours(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int r = 1;

    if (!d)
        return -errno;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, files[0]) &&
            strcmp(de->d_name, files[1]))
            r = 0;
    closedir(d);
    return r;
}

int tkernel_remove(const char *path)
{
    int r = only_ours(path);

    if (r == -ENOENT)
        return 0;
    if (r < 0) {
        cli_err("%s: %s", path, strerror(-r));
        return -1;
    }
    if (r == 0) {
        cli_err("left %s in place: it holds more than vmlinuz and initramfs", path);
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        char p[4200];
        snprintf(p, sizeof(p), "%s/%s", path, files[i]);
        if (unlink(p) < 0 && errno != ENOENT) {
            cli_err("%s: %s", p, strerror(errno));
            return -1;
        }
    }
    if (rmdir(path) < 0) {
        cli_err("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int tkernel_remove_version(const char *dir, const char *version)
{
    char src[4200], tmp[4200];
    int r;

    snprintf(src, sizeof(src), "%s/%s", dir, version);
    snprintf(tmp, sizeof(tmp), "%s/.qvm-template-rm.%s", dir, version);
    r = only_ours(src);
    if (r == -ENOENT)
        return 0;
    if (r <= 0)
        return tkernel_remove(src); /* says why it is left */
    /* gone at once for qvmd (a dot-name is never a version), then deleted */
    if (rename(src, tmp) < 0) {
        cli_err("%s: %s", src, strerror(errno));
        return -1;
    }
    r = tkernel_remove(tmp);
    fsync_path(dir);
    return r;
}
