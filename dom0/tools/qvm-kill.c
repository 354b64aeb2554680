/* qvm-kill: see power.c, which it shares with the other lifecycle commands. */
#include "dom0/tools/power.h"

#include <stddef.h>

int main(int argc, char **argv)
{
    static const struct power_cmd cmd = {
        "qvm-kill",
        "admin.vm.Kill",
        "Kill qubes at once, without a clean shutdown; a qube not running is left as it is.",
        "killed",
        NULL,
        "QubesVMNotStartedError",
        NULL};

    return power_main(argc, argv, &cmd);
}
