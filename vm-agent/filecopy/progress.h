/* qfile-agent's progress report, by PROGRESS_TYPE: "console" (a bar on
 * stderr, drawn only when stderr is a terminal), "gui" (notify-send at the
 * start and the end, when it is installed), anything else: nothing. */
#ifndef BULKHEAD_FILECOPY_PROGRESS_H
#define BULKHEAD_FILECOPY_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

enum fc_progress_type { FC_PROGRESS_NONE, FC_PROGRESS_CONSOLE, FC_PROGRESS_GUI };

struct fc_progress {
    enum fc_progress_type type;
    uint64_t total; /* 0: unknown */
    uint64_t done;
    uint64_t last_draw_ms;
};

/* total_env: FILECOPY_TOTAL_SIZE, bytes (may be NULL). */
void fc_progress_start(struct fc_progress *p, const char *type_env, const char *total_env);
void fc_progress_add(struct fc_progress *p, uint64_t bytes);
void fc_progress_end(struct fc_progress *p, bool ok);

#endif
