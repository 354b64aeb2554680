/* qvm-unpause: see power.c, which it shares with the other lifecycle commands. */
#include "dom0/tools/power.h"

#include <stddef.h>

int main(int argc, char **argv)
{
    static const char *const states[] = {"Paused", NULL};
    static const struct power_cmd cmd = {
        "qvm-unpause", "admin.vm.Unpause", "Resume paused qubes.", "unpaused", states, NULL, NULL};

    return power_main(argc, argv, &cmd);
}
