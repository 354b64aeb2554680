/* The common body of qvm-prefs (a qube's properties) and qubes-prefs (the
 * global ones): the same options and output over admin.vm.property.* or
 * admin.property.*. */
#ifndef BULKHEAD_DOM0_PREFS_H
#define BULKHEAD_DOM0_PREFS_H

#include <stdbool.h>

int prefs_main(int argc, char **argv, bool global);

#endif
