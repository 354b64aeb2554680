/* File helpers the OpenInVM service and its client share. */
#ifndef BULKHEAD_VM_SERVICES_FILEUTIL_H
#define BULKHEAD_VM_SERVICES_FILEUTIL_H

#include <stdbool.h>

/* Whether the contents of two open files differ (read from the start with
 * pread; a read error counts as a difference). */
bool files_differ(int a, int b);
/* Copies everything from in (from its current offset) to out. 0, or a
 * negative errno. */
int copy_fd(int in, int out);

#endif
