/* Desktop notifications for policy.Notify; see notify.h. (dom0.)
 *
 * The org.freedesktop.Notifications call is made with GDBus, asynchronously:
 * libnotify's show call blocks until the notification daemon answers (up to
 * D-Bus's 25 s timeout), which would freeze every open ask dialog behind a
 * hung daemon. The Notify method is one call with a fixed signature. */
#include "qrexec/policy/agent/notify.h"
#include "lib/log.h"

#include <gio/gio.h>
#include <stdio.h>

#define NOTIFY_TIMEOUT_MS 5000 /* waiting for the daemon's answer */
#define SHOW_MS           -1   /* how long it stays: the daemon's default */

void agent_notify_text(const struct agent_request *req, char *out, size_t outsz)
{
    static const char *const verb[] = {
        [AGENT_RES_ALLOW] = "Allowed",
        [AGENT_RES_DENY] = "Denied",
        [AGENT_RES_FAIL] = "Failed",
    };
    snprintf(out, outsz, "%s: %s -> %s: %s%s", verb[req->resolution], req->source, req->target,
             req->service, req->argument[1] ? req->argument : "");
}

static void on_reply(GObject *src, GAsyncResult *res, gpointer p)
{
    GError *e = NULL;
    GVariant *v = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &e);
    (void)p;

    if (v) {
        log_debug("notification shown");
        g_variant_unref(v);
    } else {
        log_warnx("no notification shown: %s", e->message);
        g_error_free(e);
    }
}

void agent_notify_send(const struct agent_request *req)
{
    GError *e = NULL;
    GDBusConnection *bus;
    char body[512];
    const char *icon = req->resolution == AGENT_RES_ALLOW ? "dialog-information" : "dialog-error";

    agent_notify_text(req, body, sizeof(body));
    log_info("%s", body);
    bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &e);
    if (!bus) {
        log_warnx("no notification shown (no session bus): %s", e->message);
        g_error_free(e);
        return;
    }
    /* (app_name, replaces_id, app_icon, summary, body, actions, hints, expire) */
    g_dbus_connection_call(
        bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
        "org.freedesktop.Notifications", "Notify",
        g_variant_new("(susss@as@a{sv}i)", "qrexec-policy-agent", 0u, icon, "qrexec policy", body,
                      g_variant_new_strv(NULL, 0),
                      g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0), SHOW_MS),
        G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, NOTIFY_TIMEOUT_MS, NULL, on_reply, NULL);
    g_object_unref(bus);
}
