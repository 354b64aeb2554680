/* qvm-prefs: see prefs.c, which it shares with qubes-prefs. */
#include "dom0/tools/prefs.h"

int main(int argc, char **argv)
{
    return prefs_main(argc, argv, false);
}
