/* filecopy-craft: writes file-copy streams, well-formed or hostile, from a
 * simple description, and decodes result headers; for the file-copy tests.
 *
 *   filecopy-craft stream < DESCRIPTION > STREAM
 *   filecopy-craft result < RESULT          prints "error=N crc=HEX name=NAME"
 *   filecopy-craft crc < BYTES              prints the CRC-32 of BYTES in hex
 *   filecopy-craft pattern N SEED           writes N bytes of a pattern that
 *                                           depends on SEED (test data, fast)
 *   filecopy-craft pair PROG1 [ARGS] -- PROG2 [ARGS]
 *                    runs both, each with stdin and stdout on its end of
 *                    one stream socket pair; prints "EXIT1 EXIT2"
 *
 * DESCRIPTION: one item per line, fields separated by spaces; in NAME and
 * TARGET, %XX stands for the byte XX (so names may hold anything):
 *   file NAME [PERM [SIZE [SENT]]]   a regular file (PERM octal, default
 *                                    644) declaring SIZE bytes (default 0)
 *                                    and carrying SENT of them (default SIZE)
 *   dir NAME [PERM]                  a folder header (send it again to close)
 *   link NAME TARGET                 a symlink
 *   node NAME MODE [SIZE]            a header with any MODE (octal, type
 *                                    bits included) and SIZE data bytes
 *   raw NAMELEN MODE FILELEN NAME    a header with any namelen, then NAME
 *                                    bytes as given (no NUL added)
 *   end                              the end marker
 * Data bytes are a pattern: byte i of a file is (i * 7 + 3) & 0xff. Times:
 * mtime 1000000000.5, atime 1100000000. */
#include "vm-agent/filecopy/proto.h"

#include "lib/io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static uint32_t crc;

static void emit(const void *p, size_t n)
{
    crc = fc_crc32(crc, p, n);
    if (io_write_full(1, p, n) < 0)
        exit(3);
}

/* Decodes %XX escapes in place; returns the length. */
static size_t unescape(char *s)
{
    char *o = s, *i = s;

    while (*i) {
        if (i[0] == '%' && i[1] && i[2]) {
            char hex[3] = {i[1], i[2], 0};
            *o++ = (char)strtoul(hex, NULL, 16);
            i += 3;
        } else {
            *o++ = *i++;
        }
    }
    *o = '\0';
    return (size_t)(o - s);
}

static void header(uint32_t namelen, uint32_t mode, uint64_t filelen, const char *name,
                   size_t name_bytes)
{
    uint8_t h[FC_HEADER_SIZE];
    struct fc_header fh = {.mode = mode,
                           .filelen = filelen,
                           .atime = 1100000000,
                           .mtime = 1000000000,
                           .mtime_nsec = 500000000};
    static uint8_t tmp[FC_HEADER_SIZE + FC_MAX_PATH_LENGTH];

    /* build with the real builder, then patch namelen for hostile cases */
    if (fc_build_header(tmp, sizeof(tmp), &fh, "") < 0)
        exit(3);
    memcpy(h, tmp, FC_HEADER_SIZE);
    h[0] = (uint8_t)namelen;
    h[1] = (uint8_t)(namelen >> 8);
    h[2] = (uint8_t)(namelen >> 16);
    h[3] = (uint8_t)(namelen >> 24);
    emit(h, sizeof(h));
    emit(name, name_bytes);
}

static void pattern(uint64_t n)
{
    static uint8_t buf[1 << 16];
    uint64_t i = 0, k;

    while (i < n) {
        k = n - i < sizeof(buf) ? n - i : sizeof(buf);
        for (uint64_t j = 0; j < k; j++)
            buf[j] = (uint8_t)(((i + j) * 7 + 3) & 0xff);
        emit(buf, (size_t)k);
        i += k;
    }
}

/* Test data: 64-bit words of an xorshift sequence (not compressible, not
 * sparse, a different file for every seed). */
static int pattern_out(uint64_t n, uint64_t seed)
{
    static uint64_t buf[1 << 14];
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    size_t k;

    while (n > 0) {
        for (size_t i = 0; i < sizeof(buf) / 8; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = x;
        }
        k = n < sizeof(buf) ? (size_t)n : sizeof(buf);
        if (io_write_full(1, buf, k) < 0)
            return 3;
        n -= k;
    }
    return 0;
}

static int stream(void)
{
    char line[70000], *kw, *a, *b, *c, *d, *save;

    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = '\0';
        kw = strtok_r(line, " ", &save);
        if (!kw || kw[0] == '#')
            continue;
        a = strtok_r(NULL, " ", &save);
        b = strtok_r(NULL, " ", &save);
        c = strtok_r(NULL, " ", &save);
        d = strtok_r(NULL, " ", &save);
        if (!strcmp(kw, "end")) {
            uint8_t e[FC_HEADER_SIZE];
            fc_build_end(e);
            emit(e, sizeof(e));
        } else if (!strcmp(kw, "file") && a) {
            size_t n = unescape(a);
            uint64_t size = c ? strtoull(c, NULL, 0) : 0;
            uint64_t sent = d ? strtoull(d, NULL, 0) : size;
            header((uint32_t)n + 1, S_IFREG | (b ? (uint32_t)strtoul(b, NULL, 8) : 0644), size, a,
                   n + 1);
            pattern(sent);
        } else if (!strcmp(kw, "dir") && a) {
            size_t n = unescape(a);
            header((uint32_t)n + 1, S_IFDIR | (b ? (uint32_t)strtoul(b, NULL, 8) : 0755), 0, a,
                   n + 1);
        } else if (!strcmp(kw, "link") && a && b) {
            size_t n = unescape(a), t = unescape(b);
            header((uint32_t)n + 1, S_IFLNK | 0777, t, a, n + 1);
            emit(b, t);
        } else if (!strcmp(kw, "node") && a && b) {
            size_t n = unescape(a);
            uint64_t size = c ? strtoull(c, NULL, 0) : 0;
            header((uint32_t)n + 1, (uint32_t)strtoul(b, NULL, 8), size, a, n + 1);
            pattern(size);
        } else if (!strcmp(kw, "raw") && a && b && c && d) {
            size_t n = unescape(d);
            header((uint32_t)strtoul(a, NULL, 0), (uint32_t)strtoul(b, NULL, 8),
                   strtoull(c, NULL, 0), d, n);
        } else {
            fprintf(stderr, "filecopy-craft: bad line: %s\n", kw);
            return 2;
        }
    }
    return 0;
}

static int result(void)
{
    static uint8_t buf[FC_RESULT_SIZE + FC_RESULT_EXT_SIZE + FC_MAX_PATH_LENGTH + 1];
    char name[FC_MAX_PATH_LENGTH];
    size_t len = 0;
    ssize_t n;
    uint32_t code;
    uint64_t rcrc;

    while (len < sizeof(buf) && (n = read(0, buf + len, sizeof(buf) - len)) > 0)
        len += (size_t)n;
    if (fc_parse_result(buf, len, &code, &rcrc) < 0) {
        printf("no-result\n");
        return 1;
    }
    name[0] = '\0';
    if (len > FC_RESULT_SIZE &&
        fc_parse_result_ext(buf + FC_RESULT_SIZE, len - FC_RESULT_SIZE, name, sizeof(name)) <= 0)
        printf("bad-ext ");
    printf("error=%u crc=%08llx name=%s\n", code, (unsigned long long)rcrc, name);
    return 0;
}

static int crc_of_stdin(void)
{
    static uint8_t buf[1 << 16];
    ssize_t n;

    while ((n = read(0, buf, sizeof(buf))) > 0)
        crc = fc_crc32(crc, buf, (size_t)n);
    printf("%08x\n", crc);
    return 0;
}

static pid_t run_on(int fd, char **argv)
{
    pid_t pid = fork();

    if (pid == 0) {
        if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static int pair(int argc, char **argv)
{
    int sv[2], i, st[2];
    pid_t pid[2];
    char **second = NULL;

    for (i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            argv[i] = NULL;
            second = argv + i + 1;
        }
    if (!second || !argv[0] || !second[0] || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    fflush(stdout);
    pid[0] = run_on(sv[0], argv);
    pid[1] = run_on(sv[1], second);
    close(sv[0]);
    close(sv[1]);
    for (i = 0; i < 2; i++) {
        if (waitpid(pid[i], &st[i], 0) < 0)
            st[i] = 255 << 8;
        st[i] = WIFEXITED(st[i]) ? WEXITSTATUS(st[i]) : 128 + WTERMSIG(st[i]);
    }
    printf("%d %d\n", st[0], st[1]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "pair"))
        return pair(argc - 2, argv + 2);
    if (argc == 4 && !strcmp(argv[1], "pattern"))
        return pattern_out(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
    if (argc == 2 && !strcmp(argv[1], "stream"))
        return stream();
    if (argc == 2 && !strcmp(argv[1], "result"))
        return result();
    if (argc == 2 && !strcmp(argv[1], "crc"))
        return crc_of_stdin();
    fprintf(stderr, "usage: filecopy-craft stream|result|crc\n");
    return 2;
}
