/* qfile-agent's progress report (see progress.h). */
#include "vm-agent/filecopy/progress.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* notify-send, if there is one, with no access to our stdin and stdout
 * (the copy stream). */
static void notify(const char *summary, const char *body)
{
    char *argv[] = {"notify-send", "--", (char *)summary, (char *)body, NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;

    if (posix_spawn_file_actions_init(&fa) != 0)
        return;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, "notify-send", &fa, NULL, argv, environ) == 0)
        waitpid(pid, NULL, 0);
    posix_spawn_file_actions_destroy(&fa);
}

static void draw(struct fc_progress *p, bool last)
{
    char bar[31];
    unsigned pct;
    size_t fill;

    if (p->total) {
        uint64_t d = p->done > p->total ? p->total : p->done;
        pct = (unsigned)(d * 100 / p->total);
        fill = (size_t)(d * 30 / p->total);
        memset(bar, '#', fill);
        memset(bar + fill, ' ', 30 - fill);
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3u%% %llu/%llu KiB%s", bar, pct,
                (unsigned long long)(p->done >> 10), (unsigned long long)(p->total >> 10),
                last ? "\n" : "");
    } else {
        fprintf(stderr, "\rsent %llu KiB%s", (unsigned long long)(p->done >> 10), last ? "\n" : "");
    }
}

void fc_progress_start(struct fc_progress *p, const char *type_env, const char *total_env)
{
    memset(p, 0, sizeof(*p));
    if (type_env && !strcmp(type_env, "console") && isatty(2))
        p->type = FC_PROGRESS_CONSOLE;
    else if (type_env && !strcmp(type_env, "gui"))
        p->type = FC_PROGRESS_GUI;
    if (total_env)
        p->total = strtoull(total_env, NULL, 10);
    if (p->type == FC_PROGRESS_GUI)
        notify("File copy", "Copying files...");
}

void fc_progress_add(struct fc_progress *p, uint64_t bytes)
{
    uint64_t t;

    p->done += bytes;
    if (p->type != FC_PROGRESS_CONSOLE)
        return;
    t = now_ms();
    if (t - p->last_draw_ms >= 100) {
        p->last_draw_ms = t;
        draw(p, false);
    }
}

void fc_progress_end(struct fc_progress *p, bool ok)
{
    if (p->type == FC_PROGRESS_CONSOLE)
        draw(p, true);
    else if (p->type == FC_PROGRESS_GUI)
        notify("File copy", ok ? "Files copied." : "File copy failed.");
}
