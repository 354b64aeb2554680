/* Which reply belongs to which command: the state machine a client (the
 * library, the VM daemon) runs over the messages it receives, so that a
 * daemon answering out of turn or with the wrong kind of message is seen as
 * broken instead of being believed; and which watch a change fires (both
 * daemons). Pure. */
#include "qubesdb/proto/qdb_proto.h"

#include <errno.h>
#include <string.h>

int qdb_reply_step(uint8_t cmd, const char *cmd_path, const struct qdb_msg *resp)
{
    size_t plen;

    /* watch events come at any time, between or inside replies */
    if (resp->type == QDB_RESP_WATCH)
        return QDB_REPLY_EVENT;
    if (cmd >= QDB_RESP_OK)
        return -EBADMSG; /* nothing was asked */
    plen = strlen(cmd_path);
    switch (resp->type) {
    case QDB_RESP_ERROR:
        return QDB_REPLY_DONE; /* any command may be refused */
    case QDB_RESP_ERROR_NOENT:
        return cmd == QDB_CMD_READ || cmd == QDB_CMD_RM || cmd == QDB_CMD_UNWATCH ? QDB_REPLY_DONE
                                                                                  : -EBADMSG;
    case QDB_RESP_OK:
        return cmd == QDB_CMD_WRITE || cmd == QDB_CMD_RM || cmd == QDB_CMD_WATCH ||
                       cmd == QDB_CMD_UNWATCH
                   ? QDB_REPLY_DONE
                   : -EBADMSG;
    case QDB_RESP_READ:
        /* the value of the key asked for, not of another one */
        return cmd == QDB_CMD_READ && strcmp(resp->path, cmd_path) == 0 ? QDB_REPLY_DONE : -EBADMSG;
    case QDB_RESP_LIST:
    case QDB_RESP_MULTIREAD:
        if (cmd != (resp->type == QDB_RESP_LIST ? QDB_CMD_LIST : QDB_CMD_MULTIREAD))
            return -EBADMSG;
        if (resp->path_len == 0)
            return QDB_REPLY_DONE;
        /* only keys under the prefix asked for */
        return strncmp(resp->path, cmd_path, plen) == 0 ? QDB_REPLY_MORE : -EBADMSG;
    }
    return -EBADMSG;
}

int qdb_watch_matches(const char *watch, const char *path)
{
    size_t l = strlen(watch);
    return strcmp(watch, path) == 0 || (l && watch[l - 1] == '/' && strncmp(path, watch, l) == 0);
}
