/* gui-fake-agent: plays a qube's gui-agent, possibly a hostile one, toward
 * a real gui-daemon, from a script read on stdin (one command a line). It
 * offers the GUI vchan (port 6000) to domain 0 like the real agent (own
 * domid from $VCHAN_DOMAIN), and prints every message the daemon sends as
 * "GOT NAME win=0xW len=N [fields]", then "CLOSED" when the daemon goes.
 *
 * Commands (WIN and numbers in C syntax: 0x10 or 16):
 *   hello [VERSION [KINDS [CLIPMAX]]]   GUI_HELLO (default 0x10000 2 64000)
 *   create WIN X Y W H [OR [PARENT]]    GUI_CREATE
 *   destroy WIN | unmap WIN
 *   map WIN [TRANSIENT_FOR [OR]]        GUI_MAP
 *   configure WIN X Y W H [OR]          GUI_CONFIGURE
 *   title WIN TEXT                      GUI_TITLE, TEXT with \xHH escapes
 *   class WIN CLASS NAME                GUI_CLASS
 *   hints WIN FLAGS MINW MINH MAXW MAXH
 *   flags WIN SET UNSET | cursor WIN N
 *   buffer WIN W H [RRGGBB [FLAW]]      a memfd of W x H pixels of colour
 *                                       RRGGBB, sent as GUI_BUFFER; FLAW:
 *                                       unsealed, small, closedfd, stride=N,
 *                                       nrefs=N, kind=N; or nofill (sparse)
 *   buffer2 WIN W H RGB0 RGB1 [FLAW]    a 2-slot buffer (protocol 1.1): two
 *                                       memfds, slot 0 of colour RGB0, slot 1
 *                                       RGB1; FLAW: nrefs=N (N-2 more memfds),
 *                                       kind=1 (a 2-slot grant buffer's count
 *                                       of references, all bogus)
 *   fill WIN RRGGBB [SLOT]              repaints (a slot of) the window's
 *                                       last buffer
 *   damage WIN X Y W H                  GUI_DAMAGE
 *   frame WIN SEQ SLOT X Y W H          GUI_FRAME
 *   expect-done SEQ SLOT [MS]           waits (MS, default 10000) for the
 *                                       oldest GUI_FRAME_DONE not yet taken;
 *                                       exit 1 if none comes or it says
 *                                       another seq or slot
 *   take-dones N [MS]                   waits for the next N GUI_FRAME_DONEs,
 *                                       in any order
 *   clipboard TEXT | clipboard-size N   GUI_CLIPBOARD_DATA
 *   raw TYPE WIN LEN [HEX]              a header claiming LEN, then HEX as is
 *   begin ... end                       the messages between, in one write
 *   expect NAME                         waits (10 s) for a message of type
 *                                       NAME from the daemon; exit 1 if none
 *   sleep MS
 *   hold                                reads and prints until the daemon
 *                                       closes or a signal comes
 * At the end of the script it exits, which closes the channel. */
#include "gui-daemon/proto/gui_proto.h"
#include "lib/shm.h"
#include "lib/vchan.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_EXPORTS 64

static struct vchan *v;
static struct {
    uint32_t win;
    struct shm_export e, slot1; /* slot1: of a 2-slot buffer (e is slot 0) */
    uint32_t w, h;
} exports[MAX_EXPORTS];
/* GUI_FRAME_DONEs received, not yet taken by an expect-done */
#define MAX_DONE 256
static struct gui_frame_done dones[MAX_DONE];
static unsigned ndone;
static int nexports;
/* messages read (and printed) but not yet taken by an expect, by type */
static unsigned unexpected[64];

static uint32_t num(const char *s)
{
    return s ? (uint32_t)strtoll(s, NULL, 0) : 0;
}

/* between "begin" and "end", messages are kept and then written at once,
 * so that the daemon reads them together */
static bool batching;
static uint8_t batch[GUI_VCHAN_RING / 2];
static size_t batch_len;

static void write_all(const void *p, size_t len)
{
    if (vchan_write(v, p, len) < 0) {
        printf("CLOSED\n");
        exit(0);
    }
}

static void send_msg(uint32_t type, uint32_t win, const void *body, uint32_t len)
{
    static uint8_t msg[GUI_HDR_SIZE + GUI_CLIPBOARD_HARD_MAX + 64];
    size_t n;

    if (len > sizeof(msg) - GUI_HDR_SIZE) {
        fprintf(stderr, "gui-fake-agent: message too long\n");
        exit(2);
    }
    n = gui_msg_put(msg, type, win, body, len);
    if (batching && batch_len + n <= sizeof(batch)) {
        memcpy(batch + batch_len, msg, n);
        batch_len += n;
        return;
    }
    write_all(msg, n);
}

static void print_msg(const struct gui_hdr *h, const uint8_t *body)
{
    const char *name = gui_msg_name(h->type);

    printf("GOT %s win=0x%x len=%u", name ? name : "?", h->window, h->len);
    if (h->type == GUI_HELLO) {
        struct gui_hello m;
        if (!gui_parse_hello(body, h->len, &m))
            printf(" version=0x%x kinds=%u clipmax=%u", m.version, m.buffer_kinds, m.clipboard_max);
    } else if (h->type == GUI_SCREEN) {
        struct gui_screen m;
        if (!gui_parse_screen(body, h->len, &m))
            printf(" %ux%u depth=%u", m.width, m.height, m.depth);
    } else if (h->type == GUI_CONFIGURE) {
        struct gui_configure m;
        if (!gui_parse_configure(body, h->len, &m))
            printf(" %ux%u+%d+%d or=%u", m.width, m.height, m.x, m.y, m.override_redirect);
    } else if (h->type == GUI_KEY) {
        struct gui_key m;
        if (!gui_parse_key(body, h->len, &m))
            printf(" type=%u keycode=%u state=0x%x", m.type, m.keycode, m.state);
    } else if (h->type == GUI_BUTTON) {
        struct gui_button m;
        if (!gui_parse_button(body, h->len, &m))
            printf(" type=%u button=%u at=%d,%d", m.type, m.button, m.x, m.y);
    } else if (h->type == GUI_FRAME_DONE) {
        struct gui_frame_done m;
        if (!gui_parse_frame_done(body, h->len, &m)) {
            printf(" seq=%u slot=%u", m.seq, m.slot);
            if (ndone < MAX_DONE)
                dones[ndone++] = m;
        }
    } else if (h->type == GUI_CLIPBOARD_DATA) {
        printf(" data=%.*s", (int)(h->len > 200 ? 200 : h->len), (const char *)body);
    }
    printf("\n");
}

/* Reads one message from the daemon, waiting at most timeout_ms (-1: no
 * limit). The type, 0 on timeout; exits at close. */
static uint32_t read_one(int timeout_ms)
{
    static uint8_t body[GUI_MAX_BODY];
    uint8_t hdr_bytes[GUI_HDR_SIZE];
    struct gui_hdr h;

    while (vchan_data_ready(v) < GUI_HDR_SIZE && vchan_is_open(v) != VCHAN_CLOSED) {
        struct pollfd p = {.fd = vchan_fd(v), .events = POLLIN};
        int r = poll(&p, 1, timeout_ms);
        if (r == 0)
            return 0;
        if (r > 0)
            vchan_wait(v);
    }
    if (vchan_read(v, hdr_bytes, sizeof(hdr_bytes)) < 0) {
        printf("CLOSED\n");
        exit(0);
    }
    if (gui_parse_hdr(hdr_bytes, GUI_FROM_DAEMON, GUI_CLIPBOARD_HARD_MAX, &h)) {
        printf("BADMSG from the daemon\n");
        exit(3);
    }
    if (vchan_read(v, body, h.len) < 0) {
        printf("CLOSED\n");
        exit(0);
    }
    print_msg(&h, body);
    if (h.type < 64)
        unexpected[h.type]++;
    return h.type;
}

static void drain(void)
{
    while (vchan_is_open(v) == VCHAN_CONNECTED && read_one(0))
        ;
}

static uint32_t type_named(const char *s)
{
    for (uint32_t t = 1; t < 64; t++)
        if (gui_msg_name(t) && (!strcmp(gui_msg_name(t), s) || !strcmp(gui_msg_name(t) + 4, s)))
            return t;
    return num(s);
}

static void expect(const char *name)
{
    uint32_t want = type_named(name);
    struct timespec t0, t;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (want < 64 && unexpected[want]) {
            unexpected[want]--;
            return;
        }
        long left;
        clock_gettime(CLOCK_MONOTONIC, &t);
        left = 10000 - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0 || vchan_is_open(v) == VCHAN_CLOSED) {
            printf("TIMEOUT waiting for %s\n", name);
            exit(1);
        }
        read_one((int)left);
    }
}

/* Waits (ms) until count GUI_FRAME_DONEs are queued; exit 1 if they do not
 * come. what: for the message. */
static void wait_dones(uint32_t count, long ms, const char *what)
{
    struct timespec t0, t;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (ndone < count) {
        long left;
        clock_gettime(CLOCK_MONOTONIC, &t);
        left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0 || vchan_is_open(v) == VCHAN_CLOSED) {
            printf("TIMEOUT waiting for %s\n", what);
            exit(1);
        }
        read_one((int)left);
    }
}

/* expect-done SEQ SLOT [MS] */
static void expect_done(uint32_t seq, uint32_t slot, long ms)
{
    char what[64];
    struct gui_frame_done got;

    snprintf(what, sizeof(what), "GUI_FRAME_DONE seq=%u slot=%u", seq, slot);
    wait_dones(1, ms, what);
    got = dones[0];
    memmove(dones, dones + 1, --ndone * sizeof(dones[0]));
    if (got.seq != seq || got.slot != slot) {
        printf("WRONG GUI_FRAME_DONE seq=%u slot=%u, expected seq=%u slot=%u\n", got.seq, got.slot,
               seq, slot);
        exit(1);
    }
}

/* take-dones N [MS]: the next N answers, in whatever order they come (each
 * was printed as it came) */
static void take_dones(uint32_t count, long ms)
{
    wait_dones(count, ms, "GUI_FRAME_DONEs");
    memmove(dones, dones + count, (ndone - count) * sizeof(dones[0]));
    ndone -= count;
}

static void fill(struct shm_export *e, uint32_t w, uint32_t h, uint32_t rgb)
{
    uint32_t *p = e->addr;

    for (size_t i = 0; i < (size_t)w * h; i++)
        p[i] = rgb;
}

/* buffer WIN W H [RRGGBB [FLAW]] */
static void buffer(char **a, int n)
{
    uint32_t win = num(a[1]), w = num(a[2]), h = num(a[3]);
    uint32_t rgb = n > 4 ? (uint32_t)strtoul(a[4], NULL, 16) : 0x808080;
    const char *flaw = n > 5 ? a[5] : "";
    uint32_t body[5 + 1] = {GUI_BUF_MEMFD, w, h, w * 4, 1, 0};
    size_t bytes = ((size_t)w * 4 * h + SHM_PAGE_SIZE - 1) / SHM_PAGE_SIZE * SHM_PAGE_SIZE;
    struct shm_export *e;

    if (nexports == MAX_EXPORTS) {
        fprintf(stderr, "gui-fake-agent: too many buffers\n");
        exit(2);
    }
    e = &exports[nexports].e;
    if (!strcmp(flaw, "small"))
        bytes = SHM_PAGE_SIZE;
    if (!strcmp(flaw, "unsealed")) {
        /* a memfd that can still shrink under the daemon's mapping */
        e->fd = memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (e->fd < 0 || ftruncate(e->fd, (off_t)bytes) < 0) {
            perror("memfd");
            exit(2);
        }
        e->addr = NULL;
    } else if (shm_export_create(e, SHM_MEMFD, 0, bytes) < 0) {
        perror("shm_export_create");
        exit(2);
    } else if (strcmp(flaw, "small") && strcmp(flaw, "nofill")) {
        fill(e, w, h, rgb);
    }
    body[5] = strcmp(flaw, "closedfd") ? (uint32_t)e->fd : 999;
    if (!strncmp(flaw, "stride=", 7))
        body[3] = num(flaw + 7);
    if (!strncmp(flaw, "nrefs=", 6))
        body[4] = num(flaw + 6);
    if (!strncmp(flaw, "kind=", 5))
        body[0] = num(flaw + 5);
    exports[nexports].win = win;
    exports[nexports].w = w;
    exports[nexports].h = h;
    nexports++;
    send_msg(GUI_BUFFER, win, body, sizeof(body));
}

static struct shm_export *new_export(uint32_t win, uint32_t w, uint32_t h)
{
    if (nexports == MAX_EXPORTS) {
        fprintf(stderr, "gui-fake-agent: too many buffers\n");
        exit(2);
    }
    exports[nexports].win = win;
    exports[nexports].w = w;
    exports[nexports].h = h;
    return &exports[nexports++].e;
}

static void export_memfd(struct shm_export *e, size_t bytes)
{
    if (shm_export_create(e, SHM_MEMFD, 0, bytes) < 0) {
        perror("shm_export_create");
        exit(2);
    }
}

/* buffer2 WIN W H RGB0 RGB1 [FLAW] */
static void buffer2(char **a, int n)
{
    uint32_t win = num(a[1]), w = num(a[2]), h = num(a[3]);
    const char *flaw = n > 6 ? a[6] : "";
    size_t bytes = ((size_t)w * 4 * h + SHM_PAGE_SIZE - 1) / SHM_PAGE_SIZE * SHM_PAGE_SIZE;
    uint32_t nrefs = 2, kind = GUI_BUF_MEMFD;
    struct shm_export *e = new_export(win, w, h), *e1 = &exports[nexports - 1].slot1;
    static struct shm_export extra[GUI_MAX_SLOTS + 1];
    static uint32_t body[5 + 2 * GUI_MAX_BUFFER_PAGES];

    export_memfd(e, bytes);
    export_memfd(e1, bytes);
    fill(e, w, h, n > 4 ? (uint32_t)strtoul(a[4], NULL, 16) : 0x808080);
    fill(e1, w, h, n > 5 ? (uint32_t)strtoul(a[5], NULL, 16) : 0x404040);
    body[5] = (uint32_t)e->fd;
    body[6] = (uint32_t)e1->fd;
    if (!strncmp(flaw, "nrefs=", 6)) {
        nrefs = num(flaw + 6);
        if (nrefs < 2 || nrefs > 2 + GUI_MAX_SLOTS + 1) {
            fprintf(stderr, "gui-fake-agent: buffer2 nrefs=2..%d\n", 3 + GUI_MAX_SLOTS);
            exit(2);
        }
        /* kept open to the end: the daemon may look */
        for (uint32_t i = 2; i < nrefs; i++) {
            export_memfd(&extra[i - 2], bytes);
            body[5 + i] = (uint32_t)extra[i - 2].fd;
        }
    } else if (!strcmp(flaw, "kind=1")) {
        kind = GUI_BUF_GRANT;
        nrefs = 2 * (uint32_t)(bytes / SHM_PAGE_SIZE);
        for (uint32_t i = 0; i < nrefs; i++)
            body[5 + i] = 8 + i;
    }
    body[0] = kind, body[1] = w, body[2] = h, body[3] = w * 4, body[4] = nrefs;
    send_msg(GUI_BUFFER, win, body, (uint32_t)(GUI_BUFFER_FIXED + 4 * nrefs));
}

static size_t unescape(const char *s, char *out, size_t max)
{
    size_t n = 0;

    while (*s && n < max) {
        unsigned x;
        if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &x) == 1) {
            out[n++] = (char)x;
            s += 4;
        } else {
            out[n++] = *s++;
        }
    }
    return n;
}

static void command(char *line)
{
    char *a[16], *rest = NULL, *save;
    int n = 0;

    line[strcspn(line, "\n")] = 0;
    for (char *tok = strtok_r(line, " ", &save); tok && n < 16; tok = strtok_r(NULL, " ", &save)) {
        a[n++] = tok;
        if (n == 2 && (!strcmp(a[0], "title") || !strcmp(a[0], "clipboard"))) {
            rest = save;
            break;
        }
        if (n == 1 && !strcmp(a[0], "clipboard")) {
            rest = save;
            break;
        }
    }
    if (n == 0 || a[0][0] == '#')
        return;
    for (int i = n; i < 16; i++)
        a[i] = NULL;
#define IS(s) (!strcmp(a[0], s))
    if (IS("hello")) {
        struct gui_hello m = {n > 1 ? num(a[1]) : GUI_PROTO_VERSION,
                              n > 2 ? num(a[2]) : GUI_BUF_MEMFD,
                              n > 3 ? num(a[3]) : GUI_CLIPBOARD_DEFAULT};
        send_msg(GUI_HELLO, 0, &m, sizeof(m));
    } else if (IS("create")) {
        struct gui_create m = {(int32_t)num(a[2]), (int32_t)num(a[3]), num(a[4]),
                               num(a[5]),          num(a[7]),          num(a[6])};
        send_msg(GUI_CREATE, num(a[1]), &m, sizeof(m));
    } else if (IS("destroy")) {
        send_msg(GUI_DESTROY, num(a[1]), NULL, 0);
    } else if (IS("unmap")) {
        send_msg(GUI_UNMAP, num(a[1]), NULL, 0);
    } else if (IS("map")) {
        struct gui_map m = {num(a[2]), num(a[3])};
        send_msg(GUI_MAP, num(a[1]), &m, sizeof(m));
    } else if (IS("configure")) {
        struct gui_configure m = {(int32_t)num(a[2]), (int32_t)num(a[3]), num(a[4]), num(a[5]),
                                  num(a[6])};
        send_msg(GUI_CONFIGURE, num(a[1]), &m, sizeof(m));
    } else if (IS("title")) {
        char t[4096];
        size_t len = unescape(rest ? rest : "", t, sizeof(t));
        send_msg(GUI_TITLE, num(a[1]), t, (uint32_t)len);
    } else if (IS("class")) {
        struct gui_class m = {{0}, {0}};
        snprintf(m.res_class, sizeof(m.res_class), "%s", a[2] ? a[2] : "");
        snprintf(m.res_name, sizeof(m.res_name), "%s", a[3] ? a[3] : "");
        send_msg(GUI_CLASS, num(a[1]), &m, sizeof(m));
    } else if (IS("hints")) {
        struct gui_hints m = {num(a[2]), num(a[3]), num(a[4]), num(a[5]), num(a[6]), 0, 0, 0, 0};
        send_msg(GUI_HINTS, num(a[1]), &m, sizeof(m));
    } else if (IS("flags")) {
        struct gui_flags m = {num(a[2]), num(a[3])};
        send_msg(GUI_FLAGS, num(a[1]), &m, sizeof(m));
    } else if (IS("cursor")) {
        struct gui_cursor m = {num(a[2])};
        send_msg(GUI_CURSOR, num(a[1]), &m, sizeof(m));
    } else if (IS("buffer")) {
        buffer(a, n);
    } else if (IS("fill")) {
        for (int i = nexports - 1; i >= 0; i--) {
            if (exports[i].win == num(a[1]) && exports[i].e.addr) {
                fill(num(a[3]) == 1 && exports[i].slot1.addr ? &exports[i].slot1 : &exports[i].e,
                     exports[i].w, exports[i].h, (uint32_t)strtoul(a[2], NULL, 16));
                break;
            }
        }
    } else if (IS("buffer2")) {
        buffer2(a, n);
    } else if (IS("frame")) {
        struct gui_frame m = {
            num(a[2]), num(a[3]), {(int32_t)num(a[4]), (int32_t)num(a[5]), num(a[6]), num(a[7])}};
        send_msg(GUI_FRAME, num(a[1]), &m, sizeof(m));
    } else if (IS("expect-done")) {
        expect_done(num(a[1]), num(a[2]), a[3] ? (long)num(a[3]) : 10000);
    } else if (IS("take-dones")) {
        take_dones(num(a[1]), a[2] ? (long)num(a[2]) : 10000);
    } else if (IS("damage")) {
        struct gui_rect m = {(int32_t)num(a[2]), (int32_t)num(a[3]), num(a[4]), num(a[5])};
        send_msg(GUI_DAMAGE, num(a[1]), &m, sizeof(m));
    } else if (IS("clipboard")) {
        char t[4096];
        size_t len = unescape(rest ? rest : "", t, sizeof(t));
        send_msg(GUI_CLIPBOARD_DATA, 0, t, (uint32_t)len);
    } else if (IS("clipboard-size")) {
        static char big[GUI_CLIPBOARD_HARD_MAX + 16];
        uint32_t len = num(a[1]) > sizeof(big) ? (uint32_t)sizeof(big) : num(a[1]);
        memset(big, 'a', len);
        send_msg(GUI_CLIPBOARD_DATA, 0, big, len);
    } else if (IS("raw")) {
        /* the header says LEN; what follows is exactly the HEX bytes */
        static uint8_t msg[GUI_HDR_SIZE + 65536];
        uint32_t hdr[3] = {type_named(a[1]), num(a[2]), num(a[3])};
        size_t len = GUI_HDR_SIZE;
        memcpy(msg, hdr, sizeof(hdr));
        for (const char *s = a[4] ? a[4] : ""; s[0] && s[1] && len < sizeof(msg); s += 2) {
            unsigned x;
            if (sscanf(s, "%2x", &x) != 1)
                break;
            msg[len++] = (uint8_t)x;
        }
        if (vchan_write(v, msg, len) < 0) {
            printf("CLOSED\n");
            exit(0);
        }
    } else if (IS("begin")) {
        batching = true;
    } else if (IS("end")) {
        batching = false;
        write_all(batch, batch_len);
        batch_len = 0;
    } else if (IS("expect")) {
        expect(a[1] ? a[1] : "");
    } else if (IS("sleep")) {
        struct timespec ts = {num(a[1]) / 1000, (long)(num(a[1]) % 1000) * 1000000};
        nanosleep(&ts, NULL);
    } else if (IS("hold")) {
        for (;;)
            read_one(-1);
    } else {
        fprintf(stderr, "gui-fake-agent: unknown command %s\n", a[0]);
        exit(2);
    }
#undef IS
    drain();
}

int main(void)
{
    char line[8192];

    setvbuf(stdout, NULL, _IOLBF, 0);
    v = vchan_server_init(0, GUI_VCHAN_PORT, GUI_VCHAN_RING, GUI_VCHAN_RING);
    if (!v) {
        perror("gui-fake-agent: vchan_server_init");
        return 2;
    }
    printf("LISTENING\n");
    while (fgets(line, sizeof(line), stdin))
        command(line);
    vchan_close(v);
    return 0;
}
