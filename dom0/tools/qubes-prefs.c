/* qubes-prefs: see prefs.c, which it shares with qvm-prefs. */
#include "dom0/tools/prefs.h"

int main(int argc, char **argv)
{
    return prefs_main(argc, argv, true);
}
