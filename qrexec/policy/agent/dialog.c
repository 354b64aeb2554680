/* The policy.Ask dialog; see dialog.h. (dom0.)
 *
 * Every string shown here was checked by request.c against the qrexec
 * naming rules (letters, digits and a few punctuation marks), and is still
 * escaped for Pango markup so the dialog never depends on that. */
#include "qrexec/policy/agent/dialog.h"

#include <gtk/gtk.h>
#include <stdio.h>
#include <string.h>

/* A fixed layout: the buttons sit at known places (bottom right, OK last),
 * which keeps the dialog predictable for the user and for the test driver
 * (docs/policy-agent.md gives the geometry). */
#define WIN_W    480
#define WIN_H    200
#define BORDER   10
#define BUTTON_W 100
#define BUTTON_H 34

struct dialog {
    struct agent_request req;
    agent_answer_fn fn;
    void *opaque;
    GtkWidget *window, *combo, *ok;
    guint timeout_id, delay_id;
    gboolean delay_over, answered;
};

void agent_dialog_title(const struct agent_request *req, char *out, size_t outsz)
{
    snprintf(out, outsz, "qrexec: %s wants %s", req->source, req->service);
}

/* Answers once, then takes the window down; later signals are ignored. */
static void answer(struct dialog *d, const char *target)
{
    if (d->answered)
        return;
    d->answered = TRUE;
    if (d->timeout_id)
        g_source_remove(d->timeout_id);
    if (d->delay_id)
        g_source_remove(d->delay_id);
    d->timeout_id = d->delay_id = 0;
    d->fn(d->opaque, target);
    gtk_widget_destroy(d->window);
}

/* OK is usable only after the delay and with a target chosen. */
static void update_ok(struct dialog *d)
{
    int i = gtk_combo_box_get_active(GTK_COMBO_BOX(d->combo));
    gtk_widget_set_sensitive(d->ok, d->delay_over && i >= 0);
}

static gboolean on_delay(gpointer p)
{
    struct dialog *d = p;

    d->delay_id = 0;
    d->delay_over = TRUE;
    update_ok(d);
    return G_SOURCE_REMOVE;
}

static gboolean on_timeout(gpointer p)
{
    struct dialog *d = p;

    d->timeout_id = 0;
    answer(d, NULL);
    return G_SOURCE_REMOVE;
}

/* The delay starts when the window is really on screen, not when it was
 * built: a slow X server must not eat into it. */
static void on_map(GtkWidget *w, gpointer p)
{
    struct dialog *d = p;
    (void)w;

    if (!d->delay_id && !d->delay_over)
        d->delay_id = g_timeout_add(AGENT_OK_DELAY_MS, on_delay, d);
}

static void on_changed(GtkComboBox *c, gpointer p)
{
    (void)c;
    update_ok(p);
}

static void on_ok(GtkButton *b, gpointer p)
{
    struct dialog *d = p;
    int i = gtk_combo_box_get_active(GTK_COMBO_BOX(d->combo));
    (void)b;

    /* the same conditions as the button's sensitivity, checked again */
    if (d->delay_over && i >= 0 && (size_t)i < d->req.target_count)
        answer(d, d->req.targets[i]);
}

static void on_deny(GtkButton *b, gpointer p)
{
    (void)b;
    answer(p, NULL);
}

static gboolean on_delete(GtkWidget *w, GdkEvent *e, gpointer p)
{
    (void)w;
    (void)e;
    answer(p, NULL);
    return TRUE; /* answer() destroyed it already */
}

static void on_destroy(GtkWidget *w, gpointer p)
{
    struct dialog *d = p;
    (void)w;

    answer(d, NULL); /* no-op unless something else destroyed the window */
    g_free(d);
}

static GtkWidget *message_label(const struct agent_request *req)
{
    GtkWidget *l = gtk_label_new(NULL);
    char colour[16] = "";
    gchar *src, *text;

    if (req->source_label != AGENT_LABEL_NONE)
        snprintf(colour, sizeof(colour), "#%06x", agent_label_rgb(req->source_label));
    if (colour[0])
        src = g_markup_printf_escaped("<span foreground=\"%s\"><b>%s</b></span>", colour,
                                      req->source);
    else
        src = g_markup_printf_escaped("<b>%s</b>", req->source);
    if (req->argument[1])
        text = g_markup_printf_escaped(" wants to call <b>%s</b> (argument <b>%s</b>)",
                                       req->service, req->argument + 1);
    else
        text = g_markup_printf_escaped(" wants to call <b>%s</b>", req->service);
    gchar *all = g_strconcat(src, text, NULL);
    gtk_label_set_markup(GTK_LABEL(l), all);
    gtk_label_set_line_wrap(GTK_LABEL(l), TRUE);
    gtk_label_set_xalign(GTK_LABEL(l), 0);
    g_free(all);
    g_free(src);
    g_free(text);
    return l;
}

static GtkWidget *target_row(struct dialog *d)
{
    GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
    GtkWidget *label = gtk_label_new_with_mnemonic("_Target:");

    d->combo = gtk_combo_box_text_new();
    for (size_t i = 0; i < d->req.target_count; i++) {
        const char *lname = agent_label_name(d->req.target_labels[i]);
        gchar *shown = lname[0] ? g_strdup_printf("%s (%s)", d->req.targets[i], lname)
                                : g_strdup(d->req.targets[i]);
        gtk_combo_box_text_append_text(GTK_COMBO_BOX_TEXT(d->combo), shown);
        g_free(shown);
    }
    gtk_combo_box_set_active(GTK_COMBO_BOX(d->combo), d->req.default_index);
    gtk_label_set_mnemonic_widget(GTK_LABEL(label), d->combo);
    g_signal_connect(d->combo, "changed", G_CALLBACK(on_changed), d);
    gtk_box_pack_start(GTK_BOX(row), label, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(row), d->combo, TRUE, TRUE, 0);
    return row;
}

void agent_dialog_show(const struct agent_request *req, unsigned timeout_s, agent_answer_fn fn,
                       void *opaque)
{
    struct dialog *d = g_new0(struct dialog, 1);
    GtkWidget *box, *buttons, *deny;
    char title[256];

    d->req = *req;
    d->fn = fn;
    d->opaque = opaque;
    d->window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
    agent_dialog_title(req, title, sizeof(title));
    gtk_window_set_title(GTK_WINDOW(d->window), title);
    gtk_window_set_default_size(GTK_WINDOW(d->window), WIN_W, WIN_H);
    gtk_window_set_resizable(GTK_WINDOW(d->window), FALSE);
    gtk_window_set_keep_above(GTK_WINDOW(d->window), TRUE);
    gtk_window_set_position(GTK_WINDOW(d->window), GTK_WIN_POS_CENTER);
    gtk_container_set_border_width(GTK_CONTAINER(d->window), BORDER);

    box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
    gtk_box_pack_start(GTK_BOX(box), message_label(req), FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), target_row(d), FALSE, FALSE, 0);

    buttons = gtk_button_box_new(GTK_ORIENTATION_HORIZONTAL);
    gtk_button_box_set_layout(GTK_BUTTON_BOX(buttons), GTK_BUTTONBOX_END);
    gtk_box_set_spacing(GTK_BOX(buttons), BORDER);
    deny = gtk_button_new_with_mnemonic("_Deny");
    d->ok = gtk_button_new_with_mnemonic("_OK");
    gtk_widget_set_size_request(deny, BUTTON_W, BUTTON_H);
    gtk_widget_set_size_request(d->ok, BUTTON_W, BUTTON_H);
    /* OK is never the default widget, and starts insensitive */
    gtk_widget_set_can_default(d->ok, FALSE);
    gtk_widget_set_sensitive(d->ok, FALSE);
    gtk_container_add(GTK_CONTAINER(buttons), deny);
    gtk_container_add(GTK_CONTAINER(buttons), d->ok);
    gtk_box_pack_end(GTK_BOX(box), buttons, FALSE, FALSE, 0);
    gtk_container_add(GTK_CONTAINER(d->window), box);

    g_signal_connect(deny, "clicked", G_CALLBACK(on_deny), d);
    g_signal_connect(d->ok, "clicked", G_CALLBACK(on_ok), d);
    g_signal_connect(d->window, "delete-event", G_CALLBACK(on_delete), d);
    g_signal_connect(d->window, "destroy", G_CALLBACK(on_destroy), d);
    g_signal_connect(d->window, "map", G_CALLBACK(on_map), d);
    if (timeout_s > 0)
        d->timeout_id = g_timeout_add_seconds(timeout_s, on_timeout, d);

    gtk_widget_show_all(d->window);
    /* keyboard focus starts on Deny: a stray Enter denies */
    gtk_widget_grab_focus(deny);
}
