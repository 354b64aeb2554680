/* qvm-template's work on template files: install one, or show (and
 * verify) one without installing it. Both return a CLI_* exit code after
 * printing what went wrong as one line. */
#ifndef BULKHEAD_DOM0_TEMPLATE_INSTALL_H
#define BULKHEAD_DOM0_TEMPLATE_INSTALL_H

#include <stdbool.h>

struct tinstall_opts {
    const char *file;
    const char *name; /* NULL: template.conf's name */
    const char *pool; /* NULL: the default pools */
    bool quiet;       /* no progress even on a terminal */
};

/* Reads the file once: template.conf, then root.img into the new
 * TemplateVM's root volume, then the kernel into the kernels directory,
 * every member checked against its SHA-256; then the kernel property and
 * the template-* features. On any failure what it made is removed again. */
int tinstall_run(const struct tinstall_opts *o);

/* template.conf of a file, as "key value" lines (raw: the canonical
 * key=value text); with verify, every member is read and its SHA-256
 * checked too. */
int tinstall_info_file(const char *file, bool verify, bool raw);

#endif
