/* xsel: the X selection work shared by qubes-clipboard (qubes.ClipboardCopy
 * and qubes.ClipboardPaste) and the gui-agent (the Ctrl+Shift+C/V path):
 * reading a converted selection out of a property, and answering another
 * client's request for text we own. One copy of the ICCCM details. */
#ifndef BULKHEAD_VM_XSEL_H
#define BULKHEAD_VM_XSEL_H

#include <X11/Xlib.h>
#include <stdbool.h>
#include <stddef.h>

struct xsel_atoms {
    Atom clipboard, utf8, targets, incr, text, timestamp;
};

void xsel_atoms_init(Display *dpy, struct xsel_atoms *a);

/* Appends the value of prop on win to buf (deleting the property). *type
 * gets the property's type; an INCR type appends nothing. -1 if the value
 * does not fit in max - *len bytes or is not 8-bit data. */
int xsel_take_property(Display *dpy, Window win, Atom prop, char *buf, size_t *len, size_t max,
                       Atom incr, Atom *type);

/* Answers one SelectionRequest with text (owned since ts): TARGETS,
 * TIMESTAMP, UTF8_STRING, TEXT, and STRING when the text is ASCII. Other
 * targets, and text larger than one request, are refused (property None). */
void xsel_answer(Display *dpy, const struct xsel_atoms *a, const XSelectionRequestEvent *rq,
                 const char *text, size_t len, bool ascii, Time ts);

#endif
