/* What the domains tray does to a qube. The menu items and the
 * --activate test hook both go through tray_action_run, which runs the
 * matching qvm-* command (so the tray does exactly what a user typing it
 * would, with its checks and messages) without waiting for it. */
#ifndef BULKHEAD_DOM0_TRAY_ACTIONS_H
#define BULKHEAD_DOM0_TRAY_ACTIONS_H

#include "dom0/tools/start_daemon_qube.h"

#include <stdbool.h>
#include <sys/types.h>

enum tray_action { TRAY_START, TRAY_SHUTDOWN, TRAY_KILL, TRAY_TERMINAL, TRAY_ACTIONS };

/* "start", "shutdown", "kill", "terminal" -> the action, or -1. */
int tray_action_parse(const char *word);
/* The menu item's label ("_Start", "Shut_down", ...). */
const char *tray_action_label(enum tray_action a);
/* Whether the action makes sense for a qube in that state (the menu greys
 * out the others). */
bool tray_action_possible(enum tray_action a, const char *state);

/* Starts the command for the action on the qube: its pid, or -1 (errno).
 * The caller reaps it (GLib's child watch, or waitpid). */
pid_t tray_action_run(enum tray_action a, const char *qube);

#endif
