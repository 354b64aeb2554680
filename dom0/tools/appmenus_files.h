/* dom0's menu entries for a qube's applications, as files in the user's
 * XDG folders (docs/session.md):
 *
 *   $XDG_DATA_HOME/applications/bulkhead-QUBE-APPID.desktop   one per app
 *   $XDG_DATA_HOME/desktop-directories/bulkhead-QUBE.directory the submenu
 *   $XDG_CONFIG_HOME/menus/applications-merged/bulkhead-QUBE.menu
 *
 * Every byte of them is dom0's: the qube's text appears only as a value
 * that appmenus_parse sanitized, and the command (Exec) is built here from
 * the qube's name and the checked desktop-file id. Each .desktop file says
 * whose it is (X-Bulkhead-VM=QUBE), since "bulkhead-work-" is also the
 * start of qube work-web's files. */
#ifndef BULKHEAD_DOM0_APPMENUS_FILES_H
#define BULKHEAD_DOM0_APPMENUS_FILES_H

#include "dom0/tools/appmenus_parse.h"

#include <stddef.h>

/* Writes the qube's entries (each file written whole, then renamed into
 * place), then removes its entries that apps no longer has. 0, or -1 once
 * the reason is printed. */
int appmenus_write(const char *vm, const struct appmenus_app *apps, size_t n);

/* Removes every entry of the qube and its submenu files. The number of
 * applications removed, or -1 once the reason is printed. */
int appmenus_remove(const char *vm);

/* Prints "QUBE: Application Name" for each of the qube's entries, sorted.
 * The number printed, or -1 once the reason is printed. */
int appmenus_list(const char *vm);

#endif
