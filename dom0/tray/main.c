/* bulkhead-domains: the dom0 tray widget listing the qubes.
 *
 *   bulkhead-domains [--dump] [--activate QUBE ACTION]
 *
 * A GtkStatusIcon (XEmbed: any system tray of an X session shows it; see
 * docs/session.md for why not StatusNotifierItem). A click opens a menu of
 * every qube but dom0, each with a swatch of its label colour and its
 * state, and a submenu: Start, Shutdown, Kill, Open terminal. The list is
 * kept current from qvmd's admin.Events (the events client of
 * dom0/tools/lib/events.c, as qvm-start-daemon uses it); if qvmd goes away
 * the tray reconnects, backing off.
 *
 * Test hooks: --dump prints the menu's model ("NAME STATE 0xRRGGBB LABEL"
 * lines) and exits; SIGUSR1 makes a running tray print its current model
 * to stdout, then a line "--"; --activate QUBE ACTION runs the handler a menu item runs
 * and exits with the command's status. */
#include "dom0/tools/lib/cli.h"
#include "dom0/tools/lib/events.h"
#include "dom0/tray/tray_actions.h"
#include "dom0/tray/tray_model.h"
#include "qrexec/proto/qrexec_names.h"

#include <errno.h>
#include <glib-unix.h>
#include <gtk/gtk.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ICON_SIZE   22
#define SWATCH_SIZE 14

static struct tray_model model;
static struct qadmin_events events;
static bool events_open;
static guint backoff_ms = 250;

/* LeakSanitizer (SANITIZE=1): GTK, GLib and fontconfig keep caches for the
 * process's life by design; only our own leaks are of interest. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libgtk-3\nleak:libgdk-3\nleak:libglib-2.0\nleak:libgobject-2.0\n"
           "leak:libgio-2.0\nleak:libfontconfig\nleak:libpango\nleak:libcairo\n"
           "leak:libX11\nleak:libgdk_pixbuf\n";
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bulkhead-domains [--dump | --activate QUBE ACTION]\n"
               "The tray widget listing the qubes: a click opens a menu of every qube\n"
               "with its label colour and state, and Start, Shutdown, Kill, Open terminal.\n"
               "  --dump                   print the menu's model (NAME STATE 0xRRGGBB LABEL)\n"
               "                           and exit\n"
               "  --activate QUBE ACTION   do what the menu item does (ACTION: start,\n"
               "                           shutdown, kill, terminal) and exit with the\n"
               "                           command's status\n"
               "  -h, --help               this text\n"
               "SIGUSR1 makes a running tray print its model to stdout, then \"--\".\n");
}

/* A square of one colour, with a dark edge so that black and white show. */
static GdkPixbuf *swatch(unsigned color, int size)
{
    GdkPixbuf *p = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, size, size);

    gdk_pixbuf_fill(p, 0x202020ffu);
    GdkPixbuf *inner = gdk_pixbuf_new_subpixbuf(p, 1, 1, size - 2, size - 2);
    gdk_pixbuf_fill(inner, ((guint32)color << 8) | 0xffu);
    g_object_unref(inner);
    return p;
}

/* ---- actions */

static void on_action_done(GPid pid, gint status, gpointer name)
{
    if (!g_spawn_check_wait_status(status, NULL))
        fprintf(stderr, "bulkhead-domains: %s: the command failed (status %d)\n",
                (const char *)name, status);
    g_spawn_close_pid(pid);
    g_free(name);
}

/* What a menu item calls; --activate calls it too. */
static pid_t activate(const char *qube, enum tray_action a)
{
    pid_t pid = tray_action_run(a, qube);

    if (pid < 0)
        fprintf(stderr, "bulkhead-domains: %s: %s\n", qube, strerror(errno));
    return pid;
}

static void on_item(GtkMenuItem *item, gpointer data)
{
    const char *qube = g_object_get_data(G_OBJECT(item), "qube");
    pid_t pid = activate(qube, (enum tray_action)GPOINTER_TO_INT(data));

    if (pid > 0)
        g_child_watch_add(pid, on_action_done, g_strdup(qube));
}

/* ---- the menu */

static GtkWidget *qube_item(const struct sd_qube *q)
{
    GtkWidget *item = gtk_menu_item_new(), *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    GdkPixbuf *sw = swatch(q->color, SWATCH_SIZE);
    GtkWidget *img = gtk_image_new_from_pixbuf(sw), *sub = gtk_menu_new();
    gchar *text = g_strdup_printf("%s (%s)", q->name, q->state);

    g_object_unref(sw);
    gtk_box_pack_start(GTK_BOX(box), img, FALSE, FALSE, 0);
    gtk_box_pack_start(GTK_BOX(box), gtk_label_new(text), FALSE, FALSE, 0);
    g_free(text);
    gtk_container_add(GTK_CONTAINER(item), box);
    for (int a = 0; a < TRAY_ACTIONS; a++) {
        GtkWidget *ai = gtk_menu_item_new_with_mnemonic(tray_action_label((enum tray_action)a));
        g_object_set_data_full(G_OBJECT(ai), "qube", g_strdup(q->name), g_free);
        gtk_widget_set_sensitive(ai, tray_action_possible((enum tray_action)a, q->state));
        g_signal_connect(ai, "activate", G_CALLBACK(on_item), GINT_TO_POINTER(a));
        gtk_menu_shell_append(GTK_MENU_SHELL(sub), ai);
    }
    gtk_menu_item_set_submenu(GTK_MENU_ITEM(item), sub);
    return item;
}

static GtkWidget *menu;

static void popup(GtkStatusIcon *icon, guint button, guint32 time)
{
    if (menu)
        gtk_widget_destroy(menu);
    menu = gtk_menu_new();
    if (!events_open) {
        GtkWidget *w = gtk_menu_item_new_with_label("qvmd is not reachable: reconnecting");
        gtk_widget_set_sensitive(w, FALSE);
        gtk_menu_shell_append(GTK_MENU_SHELL(menu), w);
    }
    for (size_t i = 0; i < model.n; i++)
        gtk_menu_shell_append(GTK_MENU_SHELL(menu), qube_item(&model.q[i]));
    if (model.n == 0) {
        GtkWidget *w = gtk_menu_item_new_with_label("no qubes");
        gtk_widget_set_sensitive(w, FALSE);
        gtk_menu_shell_append(GTK_MENU_SHELL(menu), w);
    }
    gtk_widget_show_all(menu);
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    gtk_menu_popup(GTK_MENU(menu), NULL, NULL, gtk_status_icon_position_menu, icon, button, time);
    G_GNUC_END_IGNORE_DEPRECATIONS
}

static void on_activate(GtkStatusIcon *icon, gpointer data)
{
    (void)data;
    popup(icon, 1, gtk_get_current_event_time());
}

static void on_popup_menu(GtkStatusIcon *icon, guint button, guint32 time, gpointer data)
{
    (void)data;
    popup(icon, button, time);
}

static GtkStatusIcon *status_icon;

static void update_tooltip(void)
{
    size_t running = 0;

    for (size_t i = 0; i < model.n; i++)
        running += sd_state_runs(model.q[i].state);
    gchar *tip = g_strdup_printf("Qubes: %zu running of %zu", running, model.n);
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    gtk_status_icon_set_tooltip_text(status_icon, tip);
    G_GNUC_END_IGNORE_DEPRECATIONS
    g_free(tip);
}

/* ---- events */

static gboolean connect_events(gpointer data);

static void lost_events(const char *why)
{
    fprintf(stderr, "bulkhead-domains: qvmd's event stream ended (%s): reconnecting\n", why);
    qadmin_events_close(&events);
    events_open = false;
    g_timeout_add(backoff_ms, connect_events, NULL);
    backoff_ms = backoff_ms * 2 > 5000 ? 5000 : backoff_ms * 2;
}

static gboolean on_events(gint fd, GIOCondition cond, gpointer data)
{
    struct qadmin_event ev;
    bool changed = false;
    int r;

    (void)fd;
    (void)cond;
    (void)data;
    while ((r = qadmin_events_next(&events, 0, &ev)) == 1)
        changed |= tray_model_apply(&model, &ev);
    if (changed && status_icon)
        update_tooltip();
    if (r < 0) {
        lost_events(r == -ECONNRESET ? "closed" : strerror(-r));
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean connect_events(gpointer data)
{
    char msg[512];

    (void)data;
    if (qadmin_events_open(&events, "dom0", msg, sizeof(msg)) < 0) {
        g_timeout_add(backoff_ms, connect_events, NULL);
        backoff_ms = backoff_ms * 2 > 5000 ? 5000 : backoff_ms * 2;
        return G_SOURCE_REMOVE;
    }
    events_open = true;
    backoff_ms = 250;
    /* what changed while we were not listening */
    if (tray_model_refresh(&model, msg, sizeof(msg)) < 0)
        fprintf(stderr, "bulkhead-domains: %s\n", msg);
    if (status_icon)
        update_tooltip();
    g_unix_fd_add(events.fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_events, NULL);
    return G_SOURCE_REMOVE;
}

static gboolean on_usr1(gpointer data)
{
    (void)data;
    tray_model_dump(&model, stdout);
    fputs("--\n", stdout); /* the end of one dump, for whoever reads them */
    fflush(stdout);
    return G_SOURCE_CONTINUE;
}

/* ---- main */

static int do_activate(const char *qube, const char *word)
{
    int a = tray_action_parse(word), status;
    pid_t pid;

    if (!qrexec_valid_vm_name(qube))
        cli_usage("invalid qube name '%s'", qube);
    if (a < 0)
        cli_usage("unknown action '%s' (start, shutdown, kill, terminal)", word);
    pid = activate(qube, (enum tray_action)a);
    if (pid < 0)
        return CLI_FAIL;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : CLI_FAIL;
}

int main(int argc, char **argv)
{
    char msg[512];
    GdkPixbuf *icon;

    cli_prog = "bulkhead-domains";
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return CLI_OK;
    }
    if (argc == 2 && !strcmp(argv[1], "--dump")) {
        if (tray_model_refresh(&model, msg, sizeof(msg)) < 0) {
            cli_err("%s", msg);
            return CLI_FAIL;
        }
        tray_model_dump(&model, stdout);
        tray_model_free(&model);
        return CLI_OK;
    }
    if (argc == 4 && !strcmp(argv[1], "--activate"))
        return do_activate(argv[2], argv[3]);
    if (argc != 1)
        cli_usage("unknown arguments (see bulkhead-domains --help)");

    signal(SIGPIPE, SIG_IGN);
    if (!gtk_init_check(&argc, &argv)) {
        cli_err("cannot open the display (DISPLAY=%s)", getenv("DISPLAY") ? getenv("DISPLAY") : "");
        return CLI_FAIL;
    }
    connect_events(NULL);
    if (!events_open)
        cli_err("qvmd is not reachable at %s yet: retrying", qadmin_socket());
    icon = swatch(0x3465a4, ICON_SIZE);
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    status_icon = gtk_status_icon_new_from_pixbuf(icon);
    gtk_status_icon_set_title(status_icon, "Qubes");
    gtk_status_icon_set_name(status_icon, "bulkhead-domains");
    G_GNUC_END_IGNORE_DEPRECATIONS
    g_object_unref(icon);
    update_tooltip();
    g_signal_connect(status_icon, "activate", G_CALLBACK(on_activate), NULL);
    g_signal_connect(status_icon, "popup-menu", G_CALLBACK(on_popup_menu), NULL);
    g_unix_signal_add(SIGUSR1, on_usr1, NULL);
    gtk_main();
    return CLI_OK;
}
