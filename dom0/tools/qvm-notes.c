/* qvm-notes: a qube's free-text notes (admin.vm.notes.Get/Set). */
#include "dom0/tools/lib/cli.h"

#include "lib/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* qvmd's limit is its own; this only keeps a mistaken --file of a huge
 * file from being read whole into memory. */
#define NOTES_MAX (1u << 20)

static void usage(FILE *f)
{
    fprintf(f, "usage: qvm-notes [options] QUBE\n"
               "Print a qube's notes, or replace them.\n"
               "  -s, --set TEXT    replace the notes with TEXT ('' clears them)\n"
               "  -f, --file FILE   replace the notes with FILE's content ('-': stdin)\n"
               "  -h, --help        this text\n"
               "Exit: 0 done, 1 qvmd refused or FILE unreadable, 2 usage.\n");
}

static int read_file(const char *path, struct buf *b)
{
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    int r = 0;

    if (fd < 0)
        return -errno;
    for (;;) {
        uint8_t *p = buf_reserve(b, 65536 + 1);
        ssize_t got;
        if (!p) {
            r = -errno;
            break;
        }
        got = read(fd, p, 65536);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            r = got < 0 ? -errno : 0;
            break;
        }
        buf_commit(b, (size_t)got);
    }
    if (fd)
        close(fd);
    if (r == 0 && memchr(b->data, '\0', b->len))
        r = -EINVAL; /* the payload ends at qvmd's first NUL otherwise */
    return r;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"set", required_argument, NULL, 's'},
                                         {"file", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *text = NULL, *file = NULL, *vm;
    struct qadmin_result res;
    int c;

    cli_prog = "qvm-notes";
    while ((c = getopt_long(argc, argv, "s:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            text = optarg;
            break;
        case 'f':
            file = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_OK;
        default:
            cli_usage("unknown option (see qvm-notes --help)");
        }
    }
    if (optind + 1 != argc)
        cli_usage("expected one QUBE (see qvm-notes --help)");
    if (text && file)
        cli_usage("--set and --file exclude each other");
    vm = argv[optind];
    cli_check_vm_name(vm);
    if (file) {
        struct buf b;
        int r;
        buf_init(&b, NOTES_MAX + 1);
        r = read_file(file, &b);
        if (r < 0) {
            cli_err("cannot read %s: %s", file,
                    r == -EINVAL ? "it holds a NUL byte" : strerror(-r));
            buf_fini(&b);
            return CLI_FAIL;
        }
        struct qadmin_req req = {"admin.vm.notes.Set", NULL, vm, b.data, b.len};
        if (qadmin_call(&req, &res) != 0)
            cli_err("%s", res.msg);
        qadmin_result_free(&res);
        buf_fini(&b);
        return res.status ? CLI_FAIL : CLI_OK;
    }
    if (text)
        return cli_do("admin.vm.notes.Set", NULL, vm, text) < 0 ? CLI_FAIL : CLI_OK;
    if (cli_call("admin.vm.notes.Get", NULL, vm, NULL, &res) < 0)
        return CLI_FAIL;
    cli_put(res.data);
    /* notes usually end in a newline; one is added only when missing */
    if (res.data.len && res.data.p[res.data.len - 1] != '\n')
        putchar('\n');
    qadmin_result_free(&res);
    return CLI_OK;
}
