/* qvm-pause: see power.c, which it shares with the other lifecycle commands. */
#include "dom0/tools/power.h"

#include <stddef.h>

int main(int argc, char **argv)
{
    static const char *const states[] = {"Running", NULL};
    static const struct power_cmd cmd = {
        "qvm-pause",
        "admin.vm.Pause",
        "Pause running qubes: their processors stop, their memory stays.",
        "paused",
        states,
        NULL,
        NULL};

    return power_main(argc, argv, &cmd);
}
