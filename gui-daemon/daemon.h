/* gui-daemon (dom0): one process per qube with a GUI. It connects to the
 * qube's gui-agent over a vchan, shows the qube's windows on dom0's X
 * server inside a frame in the qube's label colour, forwards input to the
 * focused window and mediates the clipboard (docs/gui-daemon.md).
 *
 * Everything the agent sends is hostile: it goes through the protocol's
 * pure parsers (proto/gui_proto.h), then through the sanitize step in
 * windows.c, before anything reaches X. A protocol violation ends this
 * process (status 2) and nothing else.
 *
 * One private header for the daemon's files, prototypes grouped by file. */
#ifndef BULKHEAD_GUI_DAEMON_H
#define BULKHEAD_GUI_DAEMON_H

#include "gui-daemon/proto/gui_proto.h"
#include "gui-daemon/sanitize.h"
#include "lib/buf.h"
#include "lib/shm.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <xcb/randr.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>

#define GUI_DEFAULT_MAXWIN    500
#define GUI_DEFAULT_TIMEOUT_S 45
#define GUI_EXIT_PROTOCOL     2 /* exit status after a protocol violation */
/* All of a qube's window buffers together: dom0 maps them, and on the copy
 * path holds a copy of each. 30 full screens of 4K. */
#define GUI_BUFFERS_MAX_BYTES (1024ull << 20)

struct gui_options {
    int domid;
    const char *name;
    uint32_t label_color; /* 0xRRGGBB */
    const char *label;    /* a number (label index) or a label name */
    uint32_t max_windows;
    uint32_t clipboard_max;
    bool allow_utf8_titles;
    bool allow_fullscreen;
    int connect_timeout_s;
    bool foreground;
};

#define GUI_COPY_DEPTH 2 /* puts of a window in flight on the copy path (2+ slots) */

/* A window buffer the agent shared, as dom0's X server sees it: one to
 * GUI_MAX_SLOTS slots, each a whole copy of the window (protocol 1.1). */
struct gui_buf {
    bool valid;
    uint32_t width, height, stride;
    uint32_t slots;
    struct shm_import im[GUI_MAX_SLOTS];
    uint64_t bytes;                   /* of all slots: what GUI_BUFFERS_MAX_BYTES counts */
    xcb_shm_seg_t seg[GUI_MAX_SLOTS]; /* each slot's memfd attached to X (not on the copy path) */
    bool copy;                        /* a rectangle is copied into a copy segment before drawing */
    /* the copy path's segments attached to X, each serving all slots: one
     * per put in flight, used in turn; copy_segs of them (GUI_COPY_DEPTH,
     * or 1 for a 1-slot buffer: dom0 copies no more than the limit counts) */
    uint32_t copy_segs;
    xcb_shm_seg_t copy_seg[GUI_COPY_DEPTH];
    void *copy_addr[GUI_COPY_DEPTH];
    size_t copy_bytes;
    uint32_t copy_next; /* the segment the next put copies into */
};

/* Puts of one window and the GUI_FRAMEs not yet answered (frames.c: pure,
 * no X). Up to depth MIT-SHM puts per window are in flight (1; 2 on the
 * copy path); what arrives meanwhile is held as one box, put when the X
 * server says one is done. A frame is answered (GUI_FRAME_DONE) once no
 * put in flight or held reads its slot. */
#define GUI_NO_SLOT     GUI_MAX_SLOTS /* a put that reads no slot of the buffer */
#define GUI_EXPOSE_SLOT UINT32_MAX    /* frames_request: the slot last shown */
#define GUI_FRAMES_MAX  8             /* unanswered frames a window may have */
struct gui_frames {
    uint32_t depth;     /* puts allowed in flight (0 counts as 1) */
    uint32_t busy;      /* puts in flight (MIT-SHM, completion asked for) */
    uint32_t busy_slot; /* the slot they read, or GUI_NO_SLOT (copy path, old buffer) */
    bool held;          /* a box waits for the put in flight */
    uint32_t held_slot; /* the slot it will be put from */
    uint32_t hx1, hy1, hx2, hy2;
    uint32_t shown_slot; /* of the last put: what exposes repaint from */
    uint32_t n;          /* unanswered frames, oldest first */
    struct gui_frame_done pending[GUI_FRAMES_MAX];
};

/* One of the qube's windows. Geometry is the content's, in the qube's
 * screen coordinates (which are dom0's: the agent sizes its screen to ours). */
struct gui_window {
    uint32_t id;      /* the agent's X window id */
    xcb_window_t xid; /* our dom0 window (content + frame) */
    int32_t x, y;     /* content position */
    uint32_t w, h;    /* content size */
    bool mapped;
    bool override_redirect;
    bool fullscreen;
    uint32_t transient_for; /* a known window of this qube, or 0 */
    struct gui_buf buf;
    unsigned conf_seq;                /* X sequence number of our last ConfigureWindow of it */
    uint32_t pending_acks;            /* GUI_BUFFER taken, ack not yet queued */
    struct gui_frames frames;         /* puts in flight and held, frames to answer (draw.c) */
    uint32_t put_seq[GUI_COPY_DEPTH]; /* X sequence numbers of the puts in flight, oldest first */
    uint32_t nputs;
};

struct gui_daemon {
    struct gui_options opt;
    struct vchan *vchan;
    struct buf in;  /* bytes read from the agent, not yet a whole message */
    struct buf out; /* bytes for the agent the vchan did not take yet */
    uint32_t agent_clipboard_max;
    uint32_t agent_kinds;
    int peer_pid;

    xcb_connection_t *x;
    xcb_screen_t *screen;
    uint16_t screen_w, screen_h; /* dom0's screen now: RandR may change it (main.c) */
    bool have_randr;
    uint8_t randr_event; /* RandR's first event code */
    xcb_visualid_t visual;
    xcb_gcontext_t gc;
    xcb_atom_t atoms[16];
    bool shm_fd_ok;                   /* the X server takes MIT-SHM descriptors */
    uint8_t shm_event;                /* MIT-SHM's first event code (ShmCompletion) */
    bool force_copy;                  /* BULKHEAD_GUI_FORCE_COPY=1 */
    xcb_keycode_t key_c[8], key_v[8]; /* keycodes of c/C and v/V */
    bool trapped[256];                /* key presses we kept from the agent (their release too) */

    struct gui_window **win;
    uint32_t nwin;
    uint64_t buf_bytes;          /* sum of the mapped buffers' sizes */
    uint32_t focused;            /* the agent's id of our focused window, or 0 */
    uint32_t clipboard_requests; /* GUI_CLIPBOARD_REQ sent, not yet answered */
};

/* atoms[] indexes */
enum {
    ATOM_WM_PROTOCOLS,
    ATOM_WM_DELETE_WINDOW,
    ATOM_NET_WM_NAME,
    ATOM_UTF8_STRING,
    ATOM_QUBES_VMNAME,
    ATOM_QUBES_LABEL,
    ATOM_QUBES_LABEL_COLOR,
    ATOM_QUBES_VMWINDOWID,
    ATOM_NET_WM_STATE,
    ATOM_NET_WM_STATE_FULLSCREEN,
    ATOM_NET_WM_STATE_DEMANDS_ATTENTION,
    ATOM_WM_CHANGE_STATE,
    ATOM_COUNT
};

/* main.c */
/* Queues a message for the agent and sends what the channel takes now. */
void gui_send(struct gui_daemon *d, uint32_t type, uint32_t window, const void *body, uint32_t len);

/* agent_msgs.c */
/* Reads what the agent sent and handles every whole message. 0, or -EPIPE
 * when the agent closed the channel. A violation does not return. */
int agent_msgs_read(struct gui_daemon *d);

/* windows.c: the table, and the sanitize step between the parsers and X */
struct gui_window *windows_find(struct gui_daemon *d, uint32_t id);
struct gui_window *windows_find_x(struct gui_daemon *d, xcb_window_t xid);
/* The window the message names: a protocol error if it does not exist. */
struct gui_window *windows_get(struct gui_daemon *d, uint32_t id, const char *what);
void windows_create(struct gui_daemon *d, uint32_t id, const struct gui_create *untrusted_c);
void windows_destroy(struct gui_daemon *d, struct gui_window *w);
void windows_destroy_all(struct gui_daemon *d);
void windows_map(struct gui_daemon *d, struct gui_window *w, const struct gui_map *untrusted_m);
void windows_unmap(struct gui_daemon *d, struct gui_window *w);
void windows_configure(struct gui_daemon *d, struct gui_window *w,
                       const struct gui_configure *untrusted_c);
void windows_title(struct gui_daemon *d, struct gui_window *w, const struct gui_title *untrusted_t);
void windows_class(struct gui_daemon *d, struct gui_window *w, const struct gui_class *untrusted_c);
void windows_hints(struct gui_daemon *d, struct gui_window *w, const struct gui_hints *untrusted_h);
void windows_flags(struct gui_daemon *d, struct gui_window *w, const struct gui_flags *untrusted_f);
void windows_cursor(struct gui_daemon *d, struct gui_window *w,
                    const struct gui_cursor *untrusted_c);
/* dom0's screen changed size (screen_w, screen_h): every frame is clamped
 * to the new one; the agent hears of each move as of any other. */
void windows_screen_changed(struct gui_daemon *d);

/* draw.c */
/* Maps a GUI_BUFFER's memory and attaches it to X; replaces the window's
 * previous buffer. A buffer that cannot be mapped is a protocol error. */
void draw_buffer(struct gui_daemon *d, struct gui_window *w, const struct gui_buffer *untrusted_b);
void draw_buffer_free(struct gui_daemon *d, struct gui_buf *b);
/* Draws a rectangle of the buffer (checked inside it) into the window. */
void draw_damage(struct gui_daemon *d, struct gui_window *w, const struct gui_rect *r);
/* Repaints an exposed area of our window: frame and content. */
void draw_expose(struct gui_daemon *d, struct gui_window *w, int x, int y, int width, int height);
/* Checks once whether the X server has MIT-SHM with descriptor passing. */
void draw_init(struct gui_daemon *d);
/* An X event: true if it was MIT-SHM's ShmCompletion of one of our puts
 * (the held box is put, due GUI_FRAME_DONEs are sent). An X error of one
 * of our puts counts as its completion too, and returns false (logged). */
bool draw_completion(struct gui_daemon *d, const xcb_generic_event_t *ev);
/* GUI_FRAME (1.1): checked against the window's buffer (a protocol error
 * otherwise), the rectangle put from its slot, answered when due. */
void draw_gui_frame(struct gui_daemon *d, struct gui_window *w,
                    const struct gui_frame *untrusted_f);

/* frames.c: the puts-in-flight and frame-answer rules (pure) */
/* A rectangle to put from slot (GUI_EXPOSE_SLOT: the slot last shown).
 * True: put it now, from *slot_out; false: merged into the held box, whose
 * slot becomes this one (a newer frame's: that slot holds the whole
 * window; an expose keeps the held box's slot). */
bool frames_request(struct gui_frames *f, uint32_t slot, uint32_t x, uint32_t y, uint32_t w,
                    uint32_t h, uint32_t *slot_out);
/* A put from slot was sent; async: its completion will come; reads_slot:
 * the X server reads the slot until then (false on the copy path; true
 * only with depth 1). */
void frames_sent(struct gui_frames *f, uint32_t slot, bool async, bool reads_slot);
/* The oldest put in flight completed. True if a held box is to be put now
 * (*x1..*y2 and *slot; the caller cuts it to the buffer and window). */
bool frames_completed(struct gui_frames *f, uint32_t *slot, uint32_t *x1, uint32_t *y1,
                      uint32_t *x2, uint32_t *y2);
/* Records a frame to answer; -1 if GUI_FRAMES_MAX are already waiting. */
int frames_add(struct gui_frames *f, uint32_t seq, uint32_t slot);
/* Takes the frames whose slot no put in flight or held reads, oldest
 * first, into out (room for GUI_FRAMES_MAX); returns how many. */
uint32_t frames_due(struct gui_frames *f, struct gui_frame_done *out);
/* A new buffer, whose puts may have depth in flight: unanswered frames
 * and the held box are forgotten (the agent forgets its frames of older
 * buffers); puts in flight read the old buffer, no slot of the new one. */
void frames_new_buffer(struct gui_frames *f, uint32_t depth);

/* input.c */
void input_init(struct gui_daemon *d);
/* Handles one X event on our windows. */
void input_event(struct gui_daemon *d, xcb_generic_event_t *ev);

/* clipboard.c */
/* The user pressed the copy shortcut in w: ask the agent for its clipboard. */
void clipboard_copy_request(struct gui_daemon *d, struct gui_window *w);
/* GUI_CLIPBOARD_DATA from the agent: dom0's clipboard from now on. */
void clipboard_copy_data(struct gui_daemon *d, const struct gui_clipboard *untrusted_c);
/* The user pressed the paste shortcut in w: policy, then the data to the agent. */
void clipboard_paste(struct gui_daemon *d, struct gui_window *w);

/* notice.c */
/* Tells the user (a notification if notify-send exists; always the log). */
void notice_show(const char *summary, const char *body);
/* Logs "gui-daemon[NAME]: protocol error: ...", shows it, removes the
 * qube's windows, exits with GUI_EXIT_PROTOCOL. */
noreturn void protocol_error(struct gui_daemon *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
