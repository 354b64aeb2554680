/* Menu entry files for qubes' applications; see appmenus_files.h. */
#include "dom0/tools/appmenus_files.h"

#include "dom0/tools/lib/cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX   "bulkhead-"
#define VM_KEY   "X-Bulkhead-VM="
#define FILE_MAX (64 << 10) /* our own files are a few hundred bytes */

/* $VAR, else $HOME/fallback, plus sub; false if there is neither. */
static bool xdg_path(char *out, size_t sz, const char *var, const char *fallback, const char *sub)
{
    const char *v = getenv(var), *home = getenv("HOME");
    int r;

    if (v && v[0] == '/')
        r = snprintf(out, sz, "%s/%s", v, sub);
    else if (home && home[0] == '/')
        r = snprintf(out, sz, "%s/%s/%s", home, fallback, sub);
    else
        return false;
    return r > 0 && (size_t)r < sz;
}

/* mkdir -p for a folder under the user's home. */
static int make_dirs(const char *path)
{
    char tmp[PATH_MAX];
    size_t len = strlen(path);

    if (len >= sizeof(tmp))
        return -1;
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static bool apps_dir(char *out, size_t sz)
{
    return xdg_path(out, sz, "XDG_DATA_HOME", ".local/share", "applications");
}

/* A value as a desktop entry's string: '\' doubled (the only escape left
 * to handle: sanitizing removed every control character). */
static void put_value(FILE *f, const char *key, const char *prefix, const char *v)
{
    fprintf(f, "%s=%s", key, prefix);
    for (; *v; v++)
        if (*v == '\\')
            fputs("\\\\", f);
        else
            fputc(*v, f);
    fputc('\n', f);
}

/* Writes path whole through a temporary file: f gets the content. */
typedef void (*writer_fn)(FILE *f, const void *ctx);
static int write_file(const char *path, writer_fn fn, const void *ctx)
{
    char tmp[PATH_MAX];
    FILE *f;
    int fd, bad;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return -1;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fn(f, ctx);
    bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

struct entry_ctx {
    const char *vm;
    const struct appmenus_app *app;
};

static void write_entry(FILE *f, const void *p)
{
    const struct entry_ctx *c = p;
    char prefix[64];

    snprintf(prefix, sizeof(prefix), "%s: ", c->vm);
    fputs("[Desktop Entry]\nVersion=1.0\nType=Application\n", f);
    put_value(f, "Name", prefix, c->app->name);
    if (c->app->generic_name[0])
        put_value(f, "GenericName", prefix, c->app->generic_name);
    if (c->app->comment[0])
        put_value(f, "Comment", "", c->app->comment);
    /* the command is dom0's alone: the qube's name and the checked id */
    fprintf(f, "Exec=qvm-run -q -a --service -- %s qubes.StartApp+%s\n", c->vm, c->app->id);
    fprintf(f, "Categories=X-Bulkhead;X-Bulkhead-%s;\n", c->vm);
    fprintf(f, VM_KEY "%s\nX-Bulkhead-AppId=%s\n", c->vm, c->app->id);
}

static void write_directory(FILE *f, const void *vm)
{
    fprintf(f, "[Desktop Entry]\nVersion=1.0\nType=Directory\nName=%s\n", (const char *)vm);
}

static void write_menu(FILE *f, const void *vm)
{
    fprintf(f,
            "<!DOCTYPE Menu PUBLIC \"-//freedesktop//DTD Menu 1.0//EN\"\n"
            " \"http://www.freedesktop.org/standards/menu-spec/1.0/menu.dtd\">\n"
            "<Menu>\n"
            "  <Name>Applications</Name>\n"
            "  <Menu>\n"
            "    <Name>" PREFIX "%s</Name>\n"
            "    <Directory>" PREFIX "%s.directory</Directory>\n"
            "    <Include><Category>X-Bulkhead-%s</Category></Include>\n"
            "  </Menu>\n"
            "</Menu>\n",
            (const char *)vm, (const char *)vm, (const char *)vm);
}

/* Reads one of our .desktop files (at most FILE_MAX bytes); NULL if it is
 * not a regular file or cannot be read. */
static char *slurp(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    char *buf;
    ssize_t got;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX ||
        !(buf = malloc((size_t)st.st_size + 1))) {
        close(fd);
        return NULL;
    }
    got = read(fd, buf, (size_t)st.st_size);
    close(fd);
    if (got < 0) {
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    return buf;
}

/* The value of "key" on a line of its own in text, copied; false if none. */
static bool line_value(const char *text, const char *key, char *out, size_t outsz)
{
    size_t kl = strlen(key);

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, key, kl) == 0) {
            const char *v = p + kl, *e = strchr(v, '\n');
            size_t n = e ? (size_t)(e - v) : strlen(v);
            if (n >= outsz)
                return false;
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
    return false;
}

/* The qube's .desktop file names (sorted) and, in names_out, their Name
 * values when want_names. Calls fn(dirfd, file, name, ctx) for each. */
typedef void (*each_fn)(int dirfd, const char *file, const char *name, void *ctx);
static int each_entry(const char *vm, each_fn fn, void *ctx)
{
    char dir[PATH_MAX], prefix[64], owner[64], name[1024];
    struct dirent **ents;
    int dfd, n, count = 0;

    if (!apps_dir(dir, sizeof(dir)))
        return 0;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : -1;
    n = scandir(dir, &ents, NULL, alphasort);
    snprintf(prefix, sizeof(prefix), PREFIX "%s-", vm);
    for (int i = 0; i < n; i++) {
        const char *f = ents[i]->d_name;
        size_t fl = strlen(f);
        char *text;
        if (strncmp(f, prefix, strlen(prefix)) == 0 && fl > 8 && !strcmp(f + fl - 8, ".desktop") &&
            (text = slurp(dfd, f))) {
            if (line_value(text, VM_KEY, owner, sizeof(owner)) && strcmp(owner, vm) == 0) {
                if (!line_value(text, "Name=", name, sizeof(name)))
                    name[0] = '\0';
                fn(dfd, f, name, ctx);
                count++;
            }
            free(text);
        }
        free(ents[i]);
    }
    if (n >= 0)
        free(ents);
    close(dfd);
    return count;
}

struct prune_ctx {
    const char *vm;
    const struct appmenus_app *apps;
    size_t n;
    int removed;
};

static void prune_one(int dfd, const char *file, const char *name, void *p)
{
    struct prune_ctx *c = p;
    char want[PATH_MAX];

    (void)name;
    for (size_t i = 0; c->apps && i < c->n; i++) {
        snprintf(want, sizeof(want), PREFIX "%s-%s.desktop", c->vm, c->apps[i].id);
        if (strcmp(want, file) == 0)
            return;
    }
    if (unlinkat(dfd, file, 0) == 0)
        c->removed++;
}

int appmenus_write(const char *vm, const struct appmenus_app *apps, size_t n)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct prune_ctx pc = {vm, apps, n, 0};

    if (!apps_dir(dir, sizeof(dir)) || make_dirs(dir) < 0) {
        cli_err("%s: cannot make the applications folder %s: %s", vm, dir, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct entry_ctx c = {vm, &apps[i]};
        if ((size_t)snprintf(path, sizeof(path), "%s/" PREFIX "%s-%s.desktop", dir, vm,
                             apps[i].id) >= sizeof(path) ||
            write_file(path, write_entry, &c) < 0) {
            cli_err("%s: cannot write %s: %s", vm, path, strerror(errno));
            return -1;
        }
    }
    if (each_entry(vm, prune_one, &pc) < 0) {
        cli_err("%s: cannot read %s: %s", vm, dir, strerror(errno));
        return -1;
    }
    if (!xdg_path(dir, sizeof(dir), "XDG_DATA_HOME", ".local/share", "desktop-directories") ||
        make_dirs(dir) < 0 ||
        (size_t)snprintf(path, sizeof(path), "%s/" PREFIX "%s.directory", dir, vm) >=
            sizeof(path) ||
        write_file(path, write_directory, vm) < 0 ||
        !xdg_path(dir, sizeof(dir), "XDG_CONFIG_HOME", ".config", "menus/applications-merged") ||
        make_dirs(dir) < 0 ||
        (size_t)snprintf(path, sizeof(path), "%s/" PREFIX "%s.menu", dir, vm) >= sizeof(path) ||
        write_file(path, write_menu, vm) < 0) {
        cli_err("%s: cannot write the submenu files (%s): %s", vm, dir, strerror(errno));
        return -1;
    }
    return 0;
}

int appmenus_remove(const char *vm)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct prune_ctx pc = {vm, NULL, 0, 0};

    if (each_entry(vm, prune_one, &pc) < 0) {
        cli_err("%s: cannot read the applications folder: %s", vm, strerror(errno));
        return -1;
    }
    if (xdg_path(dir, sizeof(dir), "XDG_DATA_HOME", ".local/share", "desktop-directories") &&
        (size_t)snprintf(path, sizeof(path), "%s/" PREFIX "%s.directory", dir, vm) < sizeof(path))
        unlink(path);
    if (xdg_path(dir, sizeof(dir), "XDG_CONFIG_HOME", ".config", "menus/applications-merged") &&
        (size_t)snprintf(path, sizeof(path), "%s/" PREFIX "%s.menu", dir, vm) < sizeof(path))
        unlink(path);
    return pc.removed;
}

static void list_one(int dfd, const char *file, const char *name, void *ctx)
{
    char safe[1024];

    (void)dfd;
    (void)file;
    (void)ctx;
    /* our own file, but printed as safely as anything shown on a terminal */
    if (appmenus_sanitize(name, strlen(name), safe, sizeof(safe)) == 0)
        puts(safe);
    else
        cli_put((struct qadmin_str){name, strlen(name)}), putchar('\n');
}

int appmenus_list(const char *vm)
{
    int r = each_entry(vm, list_one, NULL);

    if (r < 0)
        cli_err("%s: cannot read the applications folder: %s", vm, strerror(errno));
    return r;
}
