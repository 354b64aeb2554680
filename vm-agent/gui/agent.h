/* gui-agent (VM): what its files share. The agent is an X11 client of the
 * qube's own X server; it shows the qube's top-level windows on dom0's
 * desktop through the GUI protocol (gui-daemon/proto/gui_proto.h) and
 * injects the input dom0 sends back. One session per daemon connection:
 * everything in struct agent except the X connection is rebuilt each time.
 *
 * Files: main.c (options, vchan, handshake, loop, daemon messages),
 * windows.c (which windows exist and what they look like), props.c (its
 * pure conversions, unit-tested), buffers.c
 * (window pixels into shared memory), zerocopy.c (or the X server's own,
 * when it runs the bulkheadshm module), frames.c (windows whose pixmap has
 * several slots: GUI_FRAME), input.c (XTest injection), clipboard.c
 * (the qube's CLIPBOARD selection), screen.c (RandR). */
#ifndef BULKHEAD_GUI_AGENT_H
#define BULKHEAD_GUI_AGENT_H

#include "gui-daemon/proto/gui_proto.h"
#include "lib/shm.h"
#include "vm-agent/services/xsel.h"

#include <X11/Xlib.h>
#include <X11/extensions/Xdamage.h>
#include <stdbool.h>
#include <stdint.h>
#include <xcb/xcb.h>

/* Buffers sent for one window whose ack has not let them go yet; a daemon
 * that stops acknowledging ends the session rather than our memory. */
#define AGENT_MAX_PENDING_BUFFERS 16

/* How window pixels get into a buffer (docs/gui-agent.md, "Copies"). */
enum copy_path {
    COPY_ZERO,     /* no copy: the window pixmap is the shared memory */
    COPY_DIRECT,   /* the X server copies into the shared memory itself */
    COPY_PRIVATE,  /* the X server copies into our own memfd, we copy on */
    COPY_GETIMAGE, /* GetImage through the X socket, we copy it in */
};

struct abuf {
    struct shm_export shm;
    uint32_t width, height, stride;
    uint32_t seg;    /* MIT-SHM segment the X server copies into, 0 if none */
    uint32_t pixmap; /* MIT-SHM pixmap of the segment, 0 if none */
    void *priv;      /* COPY_PRIVATE: our mapping of that segment's memfd */
    bool zero;       /* the window pixmap's own memory (zerocopy.c) */
    uint64_t serial; /* zero: which pixmap (the module's name for it) */
    /* zero: the copies of the pixmap the module keeps (more than 1:
     * GUI_FRAME), and the descriptors of slots 1.. (slot 0's is shm.fd);
     * shm.refs holds every slot's references */
    unsigned slots;
    int slot_fds[GUI_MAX_SLOTS - 1];
};

/* A frame of a window (frames.c): asked the module to lock its slot
 * (locked false: the rectangle waits for the answer), or sent to dom0 as
 * GUI_FRAME and not answered yet. */
struct aframe {
    uint32_t seq, slot;
    uint64_t serial, ticket;
    struct gui_rect rect;
    bool locked;
};
struct xorg_shm_reply;

/* LOCK requests the module has not answered, in the order sent (it
 * answers in order): whose they were, even if the window went since. */
#define AGENT_MAX_LOCKS 64
struct alock {
    Window win;
    uint64_t serial, ticket;
};

struct awin {
    Window id;
    int x, y;
    unsigned width, height, depth;
    bool mapped, override_redirect, input_only;
    Damage damage;
    bool dirty; /* bounding box of damage since the last flush */
    int dx0, dy0, dx1, dy1;
    /* sent in order; [0, acked) are taken by the daemon: only the newest of
     * those is still in use by it */
    struct abuf *bufs[AGENT_MAX_PENDING_BUFFERS];
    unsigned nbufs, acked;
    uint32_t flags; /* GUI_FLAG_* last sent */
    /* frames asked for or out, oldest first (our LOCKs: at most
     * GUI_FRAMES_OUT; the module's own locks may add one), the last seq,
     * and the module's count of drawings in the newest whole-window frame
     * sent (it shows everything drawn up to then) */
    struct aframe out[GUI_MAX_SLOTS];
    unsigned nout;
    uint32_t frame_seq;
    uint64_t sent_draws;
    bool sent_whole; /* such a frame was sent for this pixmap: sent_draws holds */
};

struct agent {
    Display *dpy;
    xcb_connection_t *xc;
    Window root, helper; /* helper: our own window (selections, timestamps) */
    int damage_event, damage_error, fixes_event;
    bool have_fixes, have_randr;
    enum copy_path path;         /* the best copying path left; a failure moves it down */
    int zero_fd;                 /* the bulkheadshm module's socket; -1: none, copy */
    bool zero_used, zero_missed; /* logged once each */
    unsigned zero_slots;         /* copies of a window to ask the module for */
    struct alock locks[AGENT_MAX_LOCKS];
    unsigned lock_head, nlocks;
    uint64_t next_ticket;
    struct xsel_atoms sel;
    Atom a_net_wm_name, a_wm_name, a_wm_class, a_wm_normal_hints, a_wm_hints, a_net_wm_state,
        a_fullscreen, a_wm_protocols, a_wm_delete, a_primary, a_paste_prop, a_ts_prop;

    /* the session */
    struct vchan *vc;
    int gui_domid;
    bool up;           /* handshake done, windows announced */
    bool failed;       /* the session must end (write failed, protocol error) */
    uint32_t buf_kind; /* GUI_BUF_* both sides can use */
    uint32_t daemon_clip_max;
    bool frames; /* the daemon speaks 1.1: slots and GUI_FRAME */
    struct awin **wins;
    size_t nwins, wcap;
    Window pointer_win; /* the window the last pointer event went to */

    /* clipboard */
    Window clip_req_win; /* a GUI_CLIPBOARD_REQ is waiting for the owner; 0 if none */
    long long clip_deadline_ms;
    char *paste; /* text pasted from dom0 that we own the selections with */
    size_t paste_len;
    Time paste_ts;
};

/* main.c */
void agent_send(struct agent *a, uint32_t type, uint32_t window, const void *body, uint32_t len);
void agent_fail(struct agent *a, const char *what);
long long agent_now_ms(void);

/* windows.c */
void windows_init(struct agent *a);
void windows_announce_all(struct agent *a);
void windows_free_all(struct agent *a);
struct awin *windows_find(struct agent *a, Window id);
void windows_handle_event(struct agent *a, XEvent *ev);
void windows_flush_damage(struct agent *a);

/* buffers.c */
void buffers_init(struct agent *a);
const char *buffers_path_name(enum copy_path p);
/* Gives the window a buffer of its current pixels unless the one it has
 * still is: 1 a new one was sent, 0 the current one stays, -1 none. */
int buffers_update(struct agent *a, struct awin *w);
void buffers_ack(struct agent *a, struct awin *w);
void buffers_free_all(struct agent *a, struct awin *w);
/* Copies the rectangle of the window into its current buffer: asks the X
 * server for it; buffers_copied() after an XSync finishes it. */
void buffers_copy(struct agent *a, struct awin *w, const struct gui_rect *r);
void buffers_copied(struct agent *a, struct awin *w, const struct gui_rect *r);

/* zerocopy.c */
void zero_init(struct agent *a);
/* Fills b with the window pixmap's own shared memory: 0; 1 if that is
 * still the pixmap of serial cur_serial (b untouched); a negative errno
 * if it cannot (then copy). */
int zero_buffer(struct agent *a, struct awin *w, struct abuf *b, uint64_t cur_serial);
/* Asks the module to lock the slot the window's pixmap (serial) is drawn
 * in now; the answer comes to frames_locked() (zero_read) with *ticket.
 * 0, or -1 if it cannot be asked now (too many questions out, no module). */
int zero_lock(struct agent *a, Window win, uint64_t serial, uint64_t *ticket);
void zero_release(struct agent *a, Window win, uint64_t serial, uint32_t slot);
/* Reads the module's answers that have come (its socket is readable). */
void zero_read(struct agent *a);

/* frames.c: windows with slots send GUI_FRAME (docs/gui-agent.md, "Frames") */
/* The window's damage box r as a frame, if a frame may go out now: true
 * if it was taken (the box is the frame's now). */
bool frames_take(struct agent *a, struct awin *w, struct abuf *b, const struct gui_rect *r);
/* The module locked a slot for a whole-window drawing (XORG_SHM_FRAME). */
void frames_pushed(struct agent *a, const struct xorg_shm_reply *rp);
/* The module's answer to LOCK number ticket for win's pixmap serial. */
void frames_locked(struct agent *a, Window win, uint64_t serial, uint64_t ticket,
                   const struct xorg_shm_reply *rp);
void frames_done(struct agent *a, struct awin *w, const struct gui_frame_done *d);
/* The window's buffer changed or it went: dom0 dropped its frames. */
void frames_forget(struct agent *a, struct awin *w);

/* input.c */
void input_key(struct agent *a, struct awin *w, const struct gui_key *k);
void input_button(struct agent *a, struct awin *w, const struct gui_button *b);
void input_motion(struct agent *a, struct awin *w, const struct gui_motion *m);
void input_focus(struct agent *a, struct awin *w, const struct gui_focus *f);
void input_crossing(struct agent *a, struct awin *w, const struct gui_crossing *c);
void input_keymap(struct agent *a, const struct gui_keymap *k);
void input_close(struct agent *a, struct awin *w);
void input_configure(struct agent *a, struct awin *w, const struct gui_configure *c);

/* clipboard.c */
void clipboard_request(struct agent *a, Window for_win);
void clipboard_paste(struct agent *a, const struct gui_clipboard *c);
/* true if it was a selection event of ours */
bool clipboard_handle_event(struct agent *a, XEvent *ev);
void clipboard_check_timeout(struct agent *a);
void clipboard_end_session(struct agent *a);

/* screen.c */
void screen_init(struct agent *a);
void screen_resize(struct agent *a, const struct gui_screen *s);

#endif
