/* qubes-start-app NAME (VM): the body of qubes.StartApp+NAME. Starts the
 * application whose desktop file is NAME.desktop in the XDG application
 * directories ($XDG_DATA_HOME/applications, default ~/.local/share/...;
 * then $XDG_DATA_DIRS, default /usr/local/share:/usr/share) with GIO,
 * detached from the call (own session, stdio on /dev/null), and returns
 * once it is started.
 *
 * NAME comes from the caller (dom0's menu, or another qube if policy lets
 * it): it is checked by svc_check_app_name() before GIO sees it, so it can
 * only ever name a file directly inside those directories.
 *
 * Exit: 0 started; 2 bad name or usage; 3 no such application; 4 the
 * application is hidden (NoDisplay/Hidden); 5 it could not be started. */
#include "vm-agent/services/validate.h"

#include <fcntl.h>
#include <gio/gdesktopappinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SUFFIX ".desktop"

/* in the launched program, before exec: a session of its own, so that it
 * outlives the qrexec call and gets none of its signals */
static void child_setup(gpointer data)
{
    (void)data;
    setsid();
}

int main(int argc, char **argv)
{
    char name[SVC_APP_NAME_MAX + sizeof(SUFFIX)];
    GError *err = NULL;

    if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc == 2 ? stdout : stderr, "usage: qubes-start-app NAME\n"
                                             "Starts the application of NAME.desktop.\n");
        return argc == 2 ? 0 : 2;
    }
    const char *untrusted_name = argv[1];
    size_t len = strlen(untrusted_name);
    /* sanitize start: an optional ".desktop", then a plain desktop file ID */
    if (len > strlen(SUFFIX) && !strcmp(untrusted_name + len - strlen(SUFFIX), SUFFIX))
        len -= strlen(SUFFIX);
    if (svc_check_app_name(untrusted_name, len) < 0) {
        fprintf(stderr,
                "qubes-start-app: refused: not an application name (letters, digits, "
                "'.', '_', '-'; not starting with '.' or '-'; at most %d)\n",
                SVC_APP_NAME_MAX);
        return 2;
    }
    memcpy(name, untrusted_name, len);
    memcpy(name + len, SUFFIX, sizeof(SUFFIX));
    /* sanitize end */

    setenv("DISPLAY", getenv("DISPLAY") ? getenv("DISPLAY") : ":0", 0);
    GDesktopAppInfo *app = g_desktop_app_info_new(name);
    if (!app) {
        fprintf(stderr, "qubes-start-app: no application %s (or not a launchable one)\n", name);
        return 3;
    }
    if (g_desktop_app_info_get_nodisplay(app) || g_desktop_app_info_get_is_hidden(app)) {
        fprintf(stderr, "qubes-start-app: %s is not shown in menus (NoDisplay or Hidden)\n", name);
        g_object_unref(app);
        return 4;
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) {
        perror("qubes-start-app: /dev/null");
        return 5;
    }
    GAppLaunchContext *ctx = g_app_launch_context_new();
    gboolean ok = g_desktop_app_info_launch_uris_as_manager_with_fds(
        app, NULL, ctx, G_SPAWN_SEARCH_PATH, child_setup, NULL, NULL, NULL, null, null, null, &err);
    if (!ok) {
        fprintf(stderr, "qubes-start-app: cannot start %s: %s\n", name,
                err ? err->message : "unknown error");
        g_clear_error(&err);
    }
    g_object_unref(ctx);
    g_object_unref(app);
    close(null);
    return ok ? 0 : 5;
}
