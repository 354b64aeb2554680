/* backend-ctl: drive a hypervisor backend (dom0/backend/) from the command
 * line, for tests and for trying a backend by hand.
 *
 *   backend-ctl [--kind local|xen] [--state-dir D] [--vchan-dir D] [--init PATH]
 *               create NAME [--disk VDEV:FILE:rw|ro]... [--virt-mode M] [--kernel K]
 *                           [--initramfs I] [--cmdline C] [--memory MIB] [--maxmem MIB]
 *                           [--vcpus N] [--console-log FILE] [--unpause]
 *             | unpause ID | pause ID | shutdown ID | destroy ID | list | wait-death [ID]
 *
 * create prints the new domid; list prints "domid name state" lines;
 * wait-death prints "watching" once every running domain is watched, then
 * "gone ID" for each domain that ends, and returns after
 * the first report, or once ID is reported when given. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdnoreturn.h>

#include "dom0/backend/backend.h"
#include "lib/log.h"

static noreturn void usage(void)
{
    fprintf(stderr,
            "usage: backend-ctl [--kind local|xen] [--state-dir D] [--vchan-dir D] [--init PATH]\n"
            "         create NAME [--disk VDEV:FILE:rw|ro]... [--virt-mode M] [--kernel K]\n"
            "                [--initramfs I] [--cmdline C] [--memory MIB] [--maxmem MIB]\n"
            "                [--vcpus N] [--console-log FILE] [--unpause]\n"
            "       | unpause ID | pause ID | shutdown ID | destroy ID | list | wait-death [ID]\n");
    exit(2);
}

static int parse_id(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 0x7fff)
        usage();
    return (int)v;
}

static void copy(char *dst, size_t n, const char *src)
{
    if (snprintf(dst, n, "%s", src) >= (int)n) {
        fprintf(stderr, "backend-ctl: too long: %s\n", src);
        exit(2);
    }
}

static int add_disk(struct be_spec *s, const char *arg)
{
    char buf[4200];
    copy(buf, sizeof(buf), arg);
    char *vdev = buf, *file = strchr(buf, ':'), *mode;
    if (!file || s->ndisks == BE_MAX_DISKS)
        return -1;
    *file++ = 0;
    mode = strrchr(file, ':');
    if (!mode || (strcmp(mode + 1, "rw") && strcmp(mode + 1, "ro")))
        return -1;
    *mode++ = 0;
    struct be_disk *d = &s->disks[s->ndisks++];
    copy(d->vdev, sizeof(d->vdev), vdev);
    copy(d->target, sizeof(d->target), file);
    d->rw = !strcmp(mode, "rw");
    return 0;
}

static int do_create(struct backend *b, int argc, char **argv)
{
    static struct be_spec s;
    static const struct option opts[] = {{"disk", required_argument, NULL, 'd'},
                                         {"virt-mode", required_argument, NULL, 'v'},
                                         {"kernel", required_argument, NULL, 'k'},
                                         {"initramfs", required_argument, NULL, 'i'},
                                         {"cmdline", required_argument, NULL, 'c'},
                                         {"memory", required_argument, NULL, 'm'},
                                         {"maxmem", required_argument, NULL, 'M'},
                                         {"vcpus", required_argument, NULL, 'n'},
                                         {"console-log", required_argument, NULL, 'l'},
                                         {"unpause", no_argument, NULL, 'u'},
                                         {NULL, 0, NULL, 0}};
    char err[512];
    int c, unpause = 0, domid;

    if (argc < 2)
        usage();
    copy(s.name, sizeof(s.name), argv[1]);
    copy(s.virt_mode, sizeof(s.virt_mode), "pvh");
    s.memory_mib = 400;
    s.vcpus = 2;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (add_disk(&s, optarg) < 0)
                usage();
            break;
        case 'v':
            copy(s.virt_mode, sizeof(s.virt_mode), optarg);
            break;
        case 'k':
            copy(s.kernel, sizeof(s.kernel), optarg);
            break;
        case 'i':
            copy(s.initramfs, sizeof(s.initramfs), optarg);
            break;
        case 'c':
            copy(s.cmdline, sizeof(s.cmdline), optarg);
            break;
        case 'm':
            s.memory_mib = parse_id(optarg);
            break;
        case 'M':
            s.maxmem_mib = parse_id(optarg);
            break;
        case 'n':
            s.vcpus = parse_id(optarg);
            break;
        case 'l':
            copy(s.console_log, sizeof(s.console_log), optarg);
            break;
        case 'u':
            unpause = 1;
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();
    if (backend_create_paused(b, &s, &domid, err, sizeof(err)) < 0) {
        fprintf(stderr, "backend-ctl: create %s: %s\n", s.name, err);
        return 1;
    }
    if (unpause && backend_unpause(b, domid, err, sizeof(err)) < 0) {
        fprintf(stderr, "backend-ctl: unpause %d: %s\n", domid, err);
        return 1;
    }
    printf("%d\n", domid);
    return 0;
}

static int do_list(struct backend *b)
{
    static const char *const names[] = {"running", "paused", "shutting-down", "gone"};
    struct be_dom d[256];
    char err[512];
    int n = backend_list(b, d, 256, err, sizeof(err));
    if (n < 0) {
        fprintf(stderr, "backend-ctl: list: %s\n", err);
        return 1;
    }
    for (int i = 0; i < n; i++)
        printf("%d %s %s\n", d[i].domid, d[i].name, names[d[i].state]);
    return 0;
}

static int do_wait(struct backend *b, int want)
{
    struct pollfd p = {.fd = backend_event_fd(b), .events = POLLIN};
    /* Every domain running now is watched from here on. */
    printf("watching\n");
    fflush(stdout);
    for (;;) {
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("backend-ctl: poll");
            return 1;
        }
        int ids[64], n = backend_reap(b, ids, 64), seen = 0;
        for (int i = 0; i < n; i++) {
            printf("gone %d\n", ids[i]);
            seen |= want < 0 || ids[i] == want;
        }
        fflush(stdout);
        if (seen)
            return 0;
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"kind", required_argument, NULL, 'k'},
                                         {"state-dir", required_argument, NULL, 's'},
                                         {"vchan-dir", required_argument, NULL, 'v'},
                                         {"init", required_argument, NULL, 'i'},
                                         {NULL, 0, NULL, 0}};
    struct be_opts o = {0};
    const char *kind = "local";
    char err[512];
    int c;

    log_init("backend-ctl"); /* the xen backend logs libxl's messages */
    /* "+": options after the command belong to the command. */
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            kind = optarg;
            break;
        case 's':
            o.state_dir = optarg;
            break;
        case 'v':
            o.vchan_dir = optarg;
            break;
        case 'i':
            o.local_init = optarg;
            break;
        default:
            usage();
        }
    }
    if (optind >= argc)
        usage();
    char **av = argv + optind;
    int ac = argc - optind;
    struct backend *b = backend_open(kind, &o, err, sizeof(err));
    if (!b) {
        fprintf(stderr, "backend-ctl: %s\n", err);
        return 1;
    }
    int rc = 0;
    const char *cmd = av[0];
    if (!strcmp(cmd, "create")) {
        rc = do_create(b, ac, av);
    } else if (!strcmp(cmd, "list") && ac == 1) {
        rc = do_list(b);
    } else if (!strcmp(cmd, "wait-death") && ac <= 2) {
        rc = do_wait(b, ac == 2 ? parse_id(av[1]) : -1);
    } else if (ac == 2) {
        int id = parse_id(av[1]);
        int (*fn)(struct backend *, int, char *, size_t) =
            !strcmp(cmd, "unpause")    ? backend_unpause
            : !strcmp(cmd, "pause")    ? backend_pause
            : !strcmp(cmd, "shutdown") ? backend_shutdown
            : !strcmp(cmd, "destroy")  ? backend_destroy
                                       : NULL;
        if (!fn)
            usage();
        if (fn(b, id, err, sizeof(err)) < 0) {
            fprintf(stderr, "backend-ctl: %s %d: %s\n", cmd, id, err);
            rc = 1;
        }
    } else {
        usage();
    }
    backend_close(b);
    return rc;
}
