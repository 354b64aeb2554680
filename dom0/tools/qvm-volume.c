/* qvm-volume: the volumes of qubes (admin.vm.volume.*): list, info,
 * resize, revert, revisions, import and config. */
#include "dom0/storage/names.h"
#include "dom0/tools/lib/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-volume [options] [COMMAND] [ARGS...]\n"
               "  list [QUBE...]               volumes of every qube, or of these (the default)\n"
               "  info QUBE:VOLUME [PROP]      a volume's settings (or one of them)\n"
               "  resize QUBE:VOLUME SIZE      grow a volume (SIZE: bytes or with k/M/G/T)\n"
               "  revert QUBE:VOLUME [REV]     back to a revision (default: the newest)\n"
               "  revisions QUBE:VOLUME        the revisions kept, oldest first\n"
               "  import QUBE:VOLUME FILE      replace a volume's data with an image file\n"
               "  config QUBE:VOLUME PROP VALUE  set rw or revisions_to_keep\n"
               "  -h, --help                   this text\n"
               "Exit: 0 done, 1 qvmd refused or FILE unreadable, 2 usage.\n");
}

/* "QUBE:VOLUME" into its parts (exits 2 when malformed). */
static void split(const char *arg, char *vm, size_t vmsz, char *vol, size_t volsz)
{
    const char *colon = strchr(arg, ':');

    if (!colon || (size_t)(colon - arg) >= vmsz || strlen(colon + 1) >= volsz || !colon[1])
        cli_usage("expected QUBE:VOLUME, got '%s'", arg);
    memcpy(vm, arg, (size_t)(colon - arg));
    vm[colon - arg] = 0;
    strcpy(vol, colon + 1);
    cli_check_vm_name(vm);
    cli_check_word("volume", vol);
}

static int info(const char *vm, const char *vol, const char *prop)
{
    struct qadmin_result res, revs;
    struct qadmin_str line;
    size_t pos = 0;
    char v[4200];

    if (cli_call("admin.vm.volume.Info", vol, vm, NULL, &res) < 0)
        return CLI_FAIL;
    if (cli_call("admin.vm.volume.ListSnapshots", vol, vm, NULL, &revs) < 0) {
        qadmin_result_free(&res);
        return CLI_FAIL;
    }
    if (prop && !strcmp(prop, "revisions")) {
        cli_put(revs.data);
    } else if (prop) {
        if (!qadmin_kv_get(res.data, prop, v, sizeof(v))) {
            cli_err("volume %s:%s has no property %s", vm, vol, prop);
            qadmin_result_free(&res);
            qadmin_result_free(&revs);
            return CLI_FAIL;
        }
        cli_put((struct qadmin_str){v, strlen(v)});
        putchar('\n');
    } else {
        while (qadmin_next_line(res.data, &pos, &line)) {
            const char *eq = memchr(line.p, '=', line.len);
            size_t kl = eq ? (size_t)(eq - line.p) : line.len;
            cli_put((struct qadmin_str){line.p, kl});
            printf("%*s", kl < 20 ? (int)(20 - kl) : 1, "");
            cli_put((struct qadmin_str){eq ? eq + 1 : "", eq ? line.len - kl - 1 : 0});
            putchar('\n');
        }
        printf("revisions%11s", "");
        pos = 0;
        if (!revs.data.len)
            printf("(none)");
        while (qadmin_next_line(revs.data, &pos, &line)) {
            cli_put(line);
            putchar(' ');
        }
        putchar('\n');
    }
    qadmin_result_free(&res);
    qadmin_result_free(&revs);
    return CLI_OK;
}

/* "POOL:VID" as Qubes lists volumes ("-" for an empty vid: a qube
 * without a dom0 kernel). */
static const char *pool_vid(const char *pool, const char *vid)
{
    static char b[400];
    snprintf(b, sizeof(b), "%s:%s", pool, vid[0] ? vid : "-");
    return b;
}

static int list_qube(const char *vm)
{
    struct qadmin_result vols, res;
    struct qadmin_str line;
    size_t pos = 0;
    int rc = CLI_OK;

    if (cli_call("admin.vm.volume.List", NULL, vm, NULL, &vols) < 0)
        return CLI_FAIL;
    while (qadmin_next_line(vols.data, &pos, &line)) {
        char vol[32], pool[80] = "", vid[300] = "", revs[8] = "";
        if (!line.len || line.len >= sizeof(vol))
            continue;
        memcpy(vol, line.p, line.len);
        vol[line.len] = 0;
        if (cli_call("admin.vm.volume.Info", vol, vm, NULL, &res) < 0) {
            rc = CLI_FAIL;
            continue;
        }
        qadmin_kv_get(res.data, "pool", pool, sizeof(pool));
        qadmin_kv_get(res.data, "vid", vid, sizeof(vid));
        qadmin_result_free(&res);
        if (cli_call("admin.vm.volume.ListSnapshots", vol, vm, NULL, &res) == 0) {
            snprintf(revs, sizeof(revs), "%s", res.data.len ? "Yes" : "No");
            qadmin_result_free(&res);
        }
        printf("%-48s %-20s %-10s %s\n", pool_vid(pool, vid), vm, vol, revs);
    }
    qadmin_result_free(&vols);
    return rc;
}

static int list(char **qubes, int n)
{
    struct qadmin_result res;
    struct qadmin_str line;
    size_t pos = 0;
    int rc = CLI_OK;

    for (int i = 0; i < n; i++)
        cli_check_vm_name(qubes[i]);
    printf("%-48s %-20s %-10s %s\n", "POOL:VOLUME", "QUBE", "VOLUME", "REVERT POSSIBLE");
    if (n) {
        for (int i = 0; i < n; i++)
            if (list_qube(qubes[i]) != CLI_OK)
                rc = CLI_FAIL;
        return rc;
    }
    if (cli_call("admin.vm.List", NULL, "dom0", NULL, &res) < 0)
        return CLI_FAIL;
    while (qadmin_next_line(res.data, &pos, &line)) {
        struct qadmin_vm vm;
        if (qadmin_parse_vm_line(line, &vm) < 0 || !strcmp(vm.name, "dom0"))
            continue;
        if (list_qube(vm.name) != CLI_OK)
            rc = CLI_FAIL;
    }
    qadmin_result_free(&res);
    return rc;
}

static int revert(const char *vm, const char *vol, const char *rev)
{
    struct qadmin_result res;
    struct qadmin_str line, last = {NULL, 0};
    char r[32];
    size_t pos = 0;
    int rc;

    if (rev) {
        if (!rev[0] || strspn(rev, "0123456789") != strlen(rev) || strlen(rev) > 18)
            cli_usage("REVISION must be a revision's number (see qvm-volume revisions)");
        return cli_do("admin.vm.volume.Revert", vol, vm, rev) < 0 ? CLI_FAIL : CLI_OK;
    }
    if (cli_call("admin.vm.volume.ListSnapshots", vol, vm, NULL, &res) < 0)
        return CLI_FAIL;
    while (qadmin_next_line(res.data, &pos, &line))
        if (line.len)
            last = line;
    if (!last.len || last.len >= sizeof(r)) {
        cli_err("volume %s:%s has no revision to revert to", vm, vol);
        qadmin_result_free(&res);
        return CLI_FAIL;
    }
    memcpy(r, last.p, last.len);
    r[last.len] = 0;
    qadmin_result_free(&res);
    rc = cli_do("admin.vm.volume.Revert", vol, vm, r) < 0 ? CLI_FAIL : CLI_OK;
    return rc;
}

/* Copies in to out (data only where the file has holes). */
static int copy_data(int in, int out)
{
    static char block[1 << 20];
    off_t pos = 0;

    for (;;) {
        ssize_t n = pread(in, block, sizeof(block), pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return fsync(out) < 0 && errno != EINVAL ? -errno : 0;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = pwrite(out, block + off, (size_t)(n - off), pos + off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return w < 0 ? -errno : -EIO;
            off += w;
        }
        pos += n;
    }
}

/* Large images do not fit in a request: qvmd makes the import target
 * (internal.vm.volume.ImportBegin), this command writes the file into it,
 * and ImportEnd commits it (or drops it on failure). */
static int import(const char *vm, const char *vol, const char *file)
{
    struct qadmin_result res;
    struct stat st;
    char size[32] = "", cur[32] = "", path[4200];
    int in, out, r;

    in = open(file, O_RDONLY | O_CLOEXEC);
    if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
        cli_err("%s: %s", file, in < 0 ? strerror(errno) : "not a regular file");
        if (in >= 0)
            close(in);
        return CLI_FAIL;
    }
    if (cli_call("admin.vm.volume.Info", vol, vm, NULL, &res) < 0) {
        close(in);
        return CLI_FAIL;
    }
    qadmin_kv_get(res.data, "size", cur, sizeof(cur));
    qadmin_result_free(&res);
    /* a larger image grows the volume; a smaller one keeps its size */
    if (st.st_size > atoll(cur))
        snprintf(size, sizeof(size), "%lld", (long long)st.st_size);
    if (cli_call("internal.vm.volume.ImportBegin", vol, vm, size[0] ? size : NULL, &res) < 0) {
        close(in);
        return CLI_FAIL;
    }
    snprintf(path, sizeof(path), "%.*s", (int)res.data.len, res.data.p);
    qadmin_result_free(&res);
    out = open(path, O_WRONLY | O_CLOEXEC);
    r = out < 0 ? -errno : copy_data(in, out);
    if (out >= 0)
        close(out);
    close(in);
    if (r < 0) {
        cli_err("writing %s: %s", path, strerror(-r));
        cli_do("internal.vm.volume.ImportEnd", vol, vm, "fail");
        return CLI_FAIL;
    }
    return cli_do("internal.vm.volume.ImportEnd", vol, vm, "ok") < 0 ? CLI_FAIL : CLI_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    char vm[64], vol[64];
    const char *cmd = "list";
    char **args;
    int c, n;

    cli_prog = "qvm-volume";
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return CLI_OK;
        }
        cli_usage("unknown option (see qvm-volume --help)");
    }
    args = &argv[optind];
    n = argc - optind;
    if (n > 0) {
        cmd = args[0];
        args++;
        n--;
    }
    if (!strcmp(cmd, "ls"))
        cmd = "list";
    if (!strcmp(cmd, "list"))
        return list(args, n);
    if (n < 1)
        cli_usage("%s needs QUBE:VOLUME (see qvm-volume --help)", cmd);
    split(args[0], vm, sizeof(vm), vol, sizeof(vol));
    if (!strcmp(cmd, "info") || !strcmp(cmd, "i")) {
        if (n > 2)
            cli_usage("info takes QUBE:VOLUME [PROP]");
        return info(vm, vol, n == 2 ? args[1] : NULL);
    }
    if (!strcmp(cmd, "revisions")) {
        struct qadmin_result res;
        if (n != 1)
            cli_usage("revisions takes QUBE:VOLUME");
        if (cli_call("admin.vm.volume.ListSnapshots", vol, vm, NULL, &res) < 0)
            return CLI_FAIL;
        cli_put(res.data);
        qadmin_result_free(&res);
        return CLI_OK;
    }
    if (!strcmp(cmd, "resize") || !strcmp(cmd, "extend")) {
        int64_t bytes;
        char b[32];
        if (n != 2)
            cli_usage("resize takes QUBE:VOLUME SIZE");
        if (stor_parse_size(args[1], &bytes) < 0)
            cli_usage("SIZE must be a number of bytes, or with a k, M, G or T suffix: '%s'",
                      args[1]);
        snprintf(b, sizeof(b), "%lld", (long long)bytes);
        return cli_do("admin.vm.volume.Resize", vol, vm, b) < 0 ? CLI_FAIL : CLI_OK;
    }
    if (!strcmp(cmd, "revert")) {
        if (n > 2)
            cli_usage("revert takes QUBE:VOLUME [REVISION]");
        return revert(vm, vol, n == 2 ? args[1] : NULL);
    }
    if (!strcmp(cmd, "import")) {
        if (n != 2)
            cli_usage("import takes QUBE:VOLUME FILE");
        return import(vm, vol, args[1]);
    }
    if (!strcmp(cmd, "config") || !strcmp(cmd, "set")) {
        char m[64];
        if (n != 3)
            cli_usage("config takes QUBE:VOLUME PROP VALUE");
        if (strcmp(args[1], "rw") && strcmp(args[1], "revisions_to_keep"))
            cli_usage("PROP must be rw or revisions_to_keep");
        if (!strcmp(args[1], "rw")) {
            int b = cli_parse_bool(args[2]);
            if (b < 0)
                cli_usage("rw must be True or False");
            args[2] = b ? "True" : "False";
        }
        snprintf(m, sizeof(m), "admin.vm.volume.Set.%s", args[1]);
        return cli_do(m, vol, vm, args[2]) < 0 ? CLI_FAIL : CLI_OK;
    }
    cli_usage("unknown command '%s' (see qvm-volume --help)", cmd);
}
