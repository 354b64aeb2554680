/* qvmd's data model as pure tables and rules: the qube classes, every
 * property (type, which classes have it, where its default comes from), the
 * global properties, the eight labels and the per-class volume rules; and
 * the validation rules, which take what they need as arguments so they can
 * be unit-tested without a database. (dom0, trusted.) */
#ifndef BULKHEAD_QVMD_PROPS_H
#define BULKHEAD_QVMD_PROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vm_class { VC_ADMIN, VC_TEMPLATE, VC_APP, VC_DISP, VC_STANDALONE, VC_COUNT };
#define VC_BIT(c)   (1u << (c))
#define VC_ALL      0x1fu
#define VC_NONADMIN (VC_ALL & ~VC_BIT(VC_ADMIN))

/* "AppVM" etc., or NULL. */
const char *vm_class_name(enum vm_class c);
/* The class named s; -1 if none. */
int vm_class_parse(const char *s);

enum prop_type { PT_STR, PT_INT, PT_BOOL, PT_VM, PT_LABEL, PT_UUID };
const char *prop_type_name(enum prop_type t);

/* Where a value comes from when a qube has not set it, in order: the
 * template's value (for qubes that have a template), then the named global,
 * then the constant. Some have a computed default (see store.c). */
struct prop_def {
    const char *name;
    enum prop_type type;
    unsigned classes;      /* VC_BIT mask of classes that have it */
    bool readonly;         /* name, qid, uuid, xid: set by qvmd only */
    unsigned tmpl_classes; /* classes that take the template's value */
    const char *global;    /* global property giving the default, or NULL */
    const char *dflt;      /* constant default ("" for None / empty) */
    int64_t min, max;      /* PT_INT range */
    const char *help;
};

/* The qube properties, in listing order; NULL-terminated lookups. */
extern const struct prop_def vm_props[];
extern const size_t vm_props_count;
extern const struct prop_def global_props[];
extern const size_t global_props_count;
const struct prop_def *prop_find(const struct prop_def *tab, size_t n, const char *name);

struct label_def {
    int index;
    uint32_t color;
    const char *name;
};
extern const struct label_def labels[8];
const struct label_def *label_find(const char *name);

/* Volume rules per class: what each of root, private, volatile, kernel is.
 * Storage arrives with issue 6; these say how it will be built. */
enum vol_source { VS_NONE, VS_TEMPLATE, VS_KERNEL };
struct vol_rule {
    const char *volume;
    bool present;
    bool rw;
    bool snap_on_start; /* a fresh snapshot of source at each start */
    bool save_on_stop;  /* changes kept when the qube stops */
    enum vol_source source;
    int64_t size; /* bytes, default */
};
/* The four rules of class c (root, private, volatile, kernel). */
const struct vol_rule *vol_rules(enum vm_class c);
#define VOL_COUNT 4

/* --- validation: pure, errors are one line in err ---------------------- */

/* A new qube's name: qrexec's rules (qrexec_valid_vm_name) and not "dom0". */
bool rule_vm_name(const char *name, char *err, size_t errsz);
/* Checks and canonicalises a value of def's type: ints in range (decimal),
 * bools to True/False (accepting true/false/1/0/yes/no/on/off), labels by
 * name, vm names by the naming rules ("" = None), strings per property
 * (virt_mode, kernel, default_user, kernelopts). out gets the stored form. */
bool rule_value(const struct prop_def *def, const char *raw, char *out, size_t outsz, char *err,
                size_t errsz);
/* template of a qube of class self: an AppVM's is a TemplateVM, a DispVM's
 * an AppVM with template_for_dispvms. */
bool rule_template(enum vm_class self, enum vm_class tmpl, bool tmpl_for_dispvms,
                   const char *tmpl_name, char *err, size_t errsz);
/* default_dispvm (of a qube or global): an AppVM with template_for_dispvms. */
bool rule_dispvm_base(enum vm_class c, bool for_dispvms, const char *name, char *err, size_t errsz);
/* netvm: must provide network. next(ctx, name) gives a qube's effective
 * netvm ("" if none, NULL if unknown); following the chain from the new
 * netvm must never reach self. */
typedef const char *(*netvm_next_fn)(void *ctx, const char *name, char *buf, size_t bufsz);
bool rule_netvm(const char *self, const char *netvm, bool provides_network, netvm_next_fn next,
                void *ctx, char *err, size_t errsz);
/* memory/maxmem pair: maxmem 0 (no balancing) or at least memory. */
bool rule_memory(int64_t memory, int64_t maxmem, char *err, size_t errsz);

#endif
