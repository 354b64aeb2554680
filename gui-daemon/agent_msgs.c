/* Messages from the agent: read without blocking into a bounded buffer,
 * framed by gui_parse_hdr (the header is checked as soon as its 12 bytes
 * are in, so a huge length is refused before anything waits for it), each
 * body through its pure parser, then to windows.c's sanitize step. A
 * partial message stays in the buffer until the rest arrives. */
#include "gui-daemon/daemon.h"

#include "lib/log.h"
#include "lib/vchan.h"

#include <errno.h>
#include <string.h>

#define READ_CHUNK 65536

/* Each parser is pure; a failure is the agent's fault. */
#define PARSE(fn, body, len, out)                                                                  \
    do {                                                                                           \
        if (fn((body), (len), (out)))                                                              \
            protocol_error(d, "malformed %s for window 0x%x", gui_msg_name(hdr->type),             \
                           hdr->window);                                                           \
    } while (0)

static void dispatch(struct gui_daemon *d, const struct gui_hdr *hdr, const uint8_t *body)
{
    struct gui_window *w = NULL;

    if (hdr->window && hdr->type != GUI_CREATE)
        w = windows_get(d, hdr->window, gui_msg_name(hdr->type));
    switch (hdr->type) {
    case GUI_CREATE: {
        struct gui_create untrusted_c;
        PARSE(gui_parse_create, body, hdr->len, &untrusted_c);
        windows_create(d, hdr->window, &untrusted_c);
        break;
    }
    case GUI_DESTROY:
        windows_destroy(d, w);
        break;
    case GUI_MAP: {
        struct gui_map untrusted_m;
        PARSE(gui_parse_map, body, hdr->len, &untrusted_m);
        windows_map(d, w, &untrusted_m);
        break;
    }
    case GUI_UNMAP:
        windows_unmap(d, w);
        break;
    case GUI_CONFIGURE: {
        struct gui_configure untrusted_c;
        PARSE(gui_parse_configure, body, hdr->len, &untrusted_c);
        windows_configure(d, w, &untrusted_c);
        break;
    }
    case GUI_TITLE: {
        struct gui_title untrusted_t;
        PARSE(gui_parse_title, body, hdr->len, &untrusted_t);
        windows_title(d, w, &untrusted_t);
        break;
    }
    case GUI_CLASS: {
        struct gui_class untrusted_c;
        PARSE(gui_parse_class, body, hdr->len, &untrusted_c);
        windows_class(d, w, &untrusted_c);
        break;
    }
    case GUI_HINTS: {
        struct gui_hints untrusted_h;
        PARSE(gui_parse_hints, body, hdr->len, &untrusted_h);
        windows_hints(d, w, &untrusted_h);
        break;
    }
    case GUI_FLAGS: {
        struct gui_flags untrusted_f;
        PARSE(gui_parse_flags, body, hdr->len, &untrusted_f);
        windows_flags(d, w, &untrusted_f);
        break;
    }
    case GUI_CURSOR: {
        struct gui_cursor untrusted_c;
        PARSE(gui_parse_cursor, body, hdr->len, &untrusted_c);
        windows_cursor(d, w, &untrusted_c);
        break;
    }
    case GUI_BUFFER: {
        struct gui_buffer untrusted_b;
        PARSE(gui_parse_buffer, body, hdr->len, &untrusted_b);
        draw_buffer(d, w, &untrusted_b);
        /* taken: the agent may now free this window's older buffers */
        gui_send(d, GUI_BUFFER_ACK, w->id, NULL, 0);
        break;
    }
    case GUI_DAMAGE: {
        struct gui_rect untrusted_r;
        PARSE(gui_parse_damage, body, hdr->len, &untrusted_r);
        draw_damage(d, w, &untrusted_r);
        break;
    }
    case GUI_FRAME: {
        struct gui_frame untrusted_f;
        PARSE(gui_parse_frame, body, hdr->len, &untrusted_f);
        draw_gui_frame(d, w, &untrusted_f);
        break;
    }
    case GUI_CLIPBOARD_DATA: {
        struct gui_clipboard untrusted_c;
        if (gui_parse_clipboard(body, hdr->len, d->opt.clipboard_max, &untrusted_c))
            protocol_error(d, "malformed GUI_CLIPBOARD_DATA");
        clipboard_copy_data(d, &untrusted_c);
        break;
    }
    case GUI_HELLO:
        protocol_error(d, "a second GUI_HELLO");
    default:
        /* gui_parse_hdr let through only types an agent sends */
        protocol_error(d, "unexpected message type %u", hdr->type);
    }
}

/* Handles every whole message at the start of d->in. */
static void handle_buffered(struct gui_daemon *d)
{
    size_t pos = 0;

    while (d->in.len - pos >= GUI_HDR_SIZE) {
        struct gui_hdr hdr;
        const uint8_t *p = d->in.data + pos;

        if (gui_parse_hdr(p, GUI_FROM_AGENT, d->opt.clipboard_max, &hdr)) {
            uint32_t t, wid, len;
            memcpy(&t, p, 4);
            memcpy(&wid, p + 4, 4);
            memcpy(&len, p + 8, 4);
            protocol_error(d, "bad message header (type %u%s%s, window 0x%x, length %u)", t,
                           gui_msg_name(t) ? " " : "", gui_msg_name(t) ? gui_msg_name(t) : "", wid,
                           len);
        }
        if (d->in.len - pos - GUI_HDR_SIZE < hdr.len)
            break; /* the rest of the body has not arrived yet */
        dispatch(d, &hdr, p + GUI_HDR_SIZE);
        pos += GUI_HDR_SIZE + (size_t)hdr.len;
    }
    buf_consume(&d->in, pos);
}

int agent_msgs_read(struct gui_daemon *d)
{
    for (;;) {
        size_t room = d->in.max - d->in.len;
        uint8_t *p;
        ssize_t n;

        if (room > READ_CHUNK)
            room = READ_CHUNK;
        /* the header check bounds a message to in.max, and whole ones are
         * consumed, so there is always room for the rest of one */
        p = room ? buf_reserve(&d->in, room) : NULL;
        if (!p)
            fatalx("out of memory for the agent's messages");
        n = vchan_read_nb(d->vchan, p, room);
        if (n < 0) {
            if (d->in.len)
                protocol_error(d, "the channel closed inside a message (%zu bytes of it)",
                               d->in.len);
            return -EPIPE;
        }
        if (n == 0)
            return 0;
        buf_commit(&d->in, (size_t)n);
        handle_buffered(d);
    }
}
