/* qubes-get-appmenus (VM): the body of qubes.GetAppmenus. dom0 asks a qube
 * which applications it has, to build its menu. For every desktop file in
 * the XDG application directories it prints one line per key:
 *
 *   ID.desktop:Key=Value
 *
 * for the keys Name, GenericName, Comment, Categories and Exec (the raw
 * value, escapes as in the file), skipping entries that are not
 * Type=Application or are NoDisplay or Hidden. Directories, first one wins
 * for a desktop file ID (as XDG says): $XDG_DATA_HOME/applications
 * (default ~/.local/share/applications) only in an AppVM or DispVM (QubesDB
 * /qubes-vm-type) or with --user; then each of $XDG_DATA_DIRS (default
 * /usr/local/share:/usr/share) + /applications. Files in subdirectories
 * are not listed.
 *
 * Bounded: files over 256 KiB are skipped and output stops (at an entry's
 * end) before --max-bytes (default 4 MiB). dom0 parses the output as
 * hostile anyway (its parser is dom0's). */
#include "qubesdb/client/qdb_client.h"
#include "vm-agent/services/validate.h"

#include <dirent.h>
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE_SIZE     (256 << 10)
#define DEFAULT_MAX_BYTES (4UL << 20)
#define SUFFIX            ".desktop"
#define GROUP             "Desktop Entry"

static const char *const keys[] = {"Name", "GenericName", "Comment", "Categories", "Exec"};

static bool in_appvm(void)
{
    const char *sock = getenv("QUBESDB_SOCKET");
    struct qdb_client *c = qdb_open(sock && *sock ? sock : QDB_VM_RO_SOCKET);
    char *v = NULL;
    size_t len;
    bool yes = false;

    if (!c)
        return false;
    if (qdb_read(c, "/qubes-vm-type", &v, &len) == 0)
        yes = !strcmp(v, "AppVM") || !strcmp(v, "DispVM");
    free(v);
    qdb_close(c);
    return yes;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* The lines for one desktop file into out, or nothing if it is skipped. */
static void describe(const char *path, const char *id, GString *out)
{
    GKeyFile *kf = g_key_file_new();
    struct stat st;

    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE_SIZE ||
        !g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
        goto out;
    gchar *type = g_key_file_get_string(kf, GROUP, "Type", NULL);
    bool app = type && !strcmp(type, "Application");
    g_free(type);
    if (!app || g_key_file_get_boolean(kf, GROUP, "NoDisplay", NULL) ||
        g_key_file_get_boolean(kf, GROUP, "Hidden", NULL))
        goto out;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        gchar *v = g_key_file_get_value(kf, GROUP, keys[i], NULL);
        if (v && printable(v) && svc_utf8_ok(v, strlen(v)))
            g_string_append_printf(out, "%s:%s=%s\n", id, keys[i], v);
        g_free(v);
    }
out:
    g_key_file_unref(kf);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Lists one directory; false once the output limit is reached. */
static bool list_dir(const char *dir, GHashTable *seen, size_t *written, size_t max)
{
    struct dirent **ents;
    bool more = true;
    int n = scandir(dir, &ents, NULL, by_name);

    for (int i = 0; i < n; i++) {
        const char *id = ents[i]->d_name;
        size_t len = strlen(id), sl = strlen(SUFFIX);
        if (more && len > sl && !strcmp(id + len - sl, SUFFIX) &&
            svc_check_app_name(id, len - sl) == 0 && !g_hash_table_contains(seen, id)) {
            /* the first directory decides, even to hide an entry */
            g_hash_table_add(seen, g_strdup(id));
            char *path = g_build_filename(dir, id, NULL);
            GString *lines = g_string_new(NULL);
            describe(path, id, lines);
            if (*written + lines->len > max) {
                fprintf(stderr, "qubes-get-appmenus: output limit (%zu bytes) reached\n", max);
                more = false;
            } else {
                fwrite(lines->str, 1, lines->len, stdout);
                *written += lines->len;
            }
            g_string_free(lines, TRUE);
            g_free(path);
        }
        free(ents[i]);
    }
    if (n >= 0)
        free(ents);
    return more;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"user", no_argument, NULL, 'u'},
                                         {"max-bytes", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    bool user = false;
    size_t max = DEFAULT_MAX_BYTES, written = 0;
    char *end;
    int o;

    while ((o = getopt_long(argc, argv, "um:h", opts, NULL)) != -1) {
        switch (o) {
        case 'u':
            user = true;
            break;
        case 'm':
            max = strtoul(optarg, &end, 10);
            if (end == optarg || *end || optarg[0] == '-') {
                fprintf(stderr, "qubes-get-appmenus: bad --max-bytes\n");
                return 2;
            }
            break;
        case 'h':
            printf("usage: qubes-get-appmenus [--user] [--max-bytes N]\n"
                   "Lists this qube's applications as ID.desktop:Key=Value lines.\n");
            return 0;
        default:
            return 2;
        }
    }
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
    if (user || in_appvm())
        g_ptr_array_add(dirs, g_build_filename(g_get_user_data_dir(), "applications", NULL));
    const char *env = getenv("XDG_DATA_DIRS");
    gchar **sys = g_strsplit(env && *env ? env : "/usr/local/share:/usr/share", ":", -1);
    for (gchar **d = sys; *d; d++)
        if (**d == '/')
            g_ptr_array_add(dirs, g_build_filename(*d, "applications", NULL));
    g_strfreev(sys);
    for (guint i = 0; i < dirs->len; i++)
        if (!list_dir(g_ptr_array_index(dirs, i), seen, &written, max))
            break;
    g_ptr_array_unref(dirs);
    g_hash_table_unref(seen);
    return fflush(stdout) == 0 ? 0 : 1;
}
