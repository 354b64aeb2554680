/* qvm-open-in-vm [--view-only] QUBE FILE|URL, and qvm-open-in-dvm
 * [--view-only] FILE|URL (the same program under another name; the target
 * is then @dispvm): opens a link or a file in another qube. A URL (as
 * svc_check_url() accepts: http, https, ftp, mailto) goes to qubes.OpenURL
 * on the call's stdin; anything else is a local file and goes to
 * qubes.OpenInVM through qopen-in-vm, which also saves the edits made in
 * the other qube unless --view-only.
 *
 * For tests, BULKHEAD_QREXEC_CLIENT_VM and BULKHEAD_QOPEN_IN_VM replace the
 * paths of qrexec-client-vm and qopen-in-vm.
 *
 * Exit: qrexec-client-vm's (0 done, 126 refused by policy, 125 a qrexec
 * problem, else the service's status); 1 no such file; 2 usage. */
#include "vm-agent/services/validate.h"

#include "lib/io.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define QREXEC_CLIENT_VM "/usr/bin/qrexec-client-vm"
#define QOPEN_IN_VM      "/usr/lib/qubes/qopen-in-vm"

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static void usage(FILE *f, bool dvm)
{
    if (dvm)
        fprintf(f, "usage: qvm-open-in-dvm [--view-only] FILE|URL\n"
                   "Opens FILE or URL in a new disposable qube.\n");
    else
        fprintf(f, "usage: qvm-open-in-vm [--view-only] QUBE FILE|URL\n"
                   "Opens FILE or URL in QUBE (or where policy sends @default).\n");
    fprintf(f, "  --view-only  do not take back the changes made to FILE\n"
               "  -h, --help   this text\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"view-only", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *me = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    bool dvm = strcmp(me, "qvm-open-in-dvm") == 0, view_only = false;
    const char *client = env_or("BULKHEAD_QREXEC_CLIENT_VM", QREXEC_CLIENT_VM);
    const char *target = "@dispvm";
    size_t url_len;
    int o;

    while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (o) {
        case 'v':
            view_only = true;
            break;
        case 'h':
            usage(stdout, dvm);
            return 0;
        default:
            usage(stderr, dvm);
            return 2;
        }
    }
    if (argc - optind != (dvm ? 1 : 2)) {
        usage(stderr, dvm);
        return 2;
    }
    if (!dvm)
        target = argv[optind++];
    const char *what = argv[optind];

    if (svc_check_url(what, strlen(what), &url_len) == 0 && url_len == strlen(what)) {
        /* the URL goes on the call's stdin, one line */
        int fd = memfd_create("url", MFD_CLOEXEC);
        if (fd < 0 || io_write_full(fd, what, url_len) < 0 || io_write_full(fd, "\n", 1) < 0 ||
            lseek(fd, 0, SEEK_SET) < 0 || dup2(fd, 0) < 0) {
            perror("qvm-open-in-vm");
            return 1;
        }
        execl(client, client, target, "qubes.OpenURL", (char *)NULL);
    } else {
        struct stat st;
        errno = 0;
        if (stat(what, &st) < 0 || !S_ISREG(st.st_mode)) {
            fprintf(stderr, "%s: %s: %s (neither a file nor an http, https, ftp or mailto URL)\n",
                    me, what, errno ? strerror(errno) : "not a regular file");
            return 1;
        }
        const char *qopen = env_or("BULKHEAD_QOPEN_IN_VM", QOPEN_IN_VM);
        if (view_only)
            execl(client, client, target, "qubes.OpenInVM", qopen, "--view-only", "--", what,
                  (char *)NULL);
        else
            execl(client, client, target, "qubes.OpenInVM", qopen, "--", what, (char *)NULL);
    }
    fprintf(stderr, "%s: cannot run %s: %s\n", me, client, strerror(errno));
    return 125;
}
