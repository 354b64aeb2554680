/* qvm-start: see power.c, which it shares with the other lifecycle commands. */
#include "dom0/tools/power.h"

#include <stddef.h>

int main(int argc, char **argv)
{
    static const struct power_cmd cmd = {"qvm-start",
                                         "admin.vm.Start",
                                         "Start qubes, in order; each is fully started (its qrexec "
                                         "agent connected) when its turn ends.",
                                         "started",
                                         NULL,
                                         NULL,
                                         "QubesVMNotHaltedError"};

    return power_main(argc, argv, &cmd);
}
