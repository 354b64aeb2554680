/* Sending and receiving whole qrexec messages over a vchan or a socket,
 * and the HELLO handshake that starts every link. Used on both sides. */
#ifndef BULKHEAD_QREXEC_MSGIO_H
#define BULKHEAD_QREXEC_MSGIO_H

#include "lib/vchan.h"
#include "qrexec/proto/qrexec_proto.h"

#include <stddef.h>
#include <stdint.h>

/* Largest body any message may have (a V3+ trigger). */
#define QREXEC_MAX_BODY (QREXEC_TRIGGER4_FIXED + QREXEC_MAX_SERVICE_NAME_LEN)

/* Sends header and body with blocking writes. 0 or a negative errno. */
int qrexec_vchan_send(struct vchan *v, uint32_t type, const void *body, size_t len);
/* The same, for a body that has QREXEC_HDR_SIZE free bytes in front of it
 * (frame points there): the header is written into them and the message
 * goes out in one write, which for bulk data halves the writes. */
int qrexec_vchan_send_framed(struct vchan *v, uint32_t type, uint8_t *frame, size_t len);
int qrexec_fd_send(int fd, uint32_t type, const void *body, size_t len);

/* Receives one message: the header is checked with qrexec_check_hdr(link,
 * version) before its body is read into body (bodysz bytes, which must
 * hold QREXEC_MAX_BODY for control links, the version's chunk for data).
 * 0, -EPIPE on a closed link, -EPROTO/-EMSGSIZE for a refused header. */
int qrexec_vchan_recv(struct vchan *v, enum qrexec_link link, uint32_t version,
                      struct qrexec_hdr *hdr, void *body, size_t bodysz);
int qrexec_fd_recv(int fd, enum qrexec_link link, uint32_t version, struct qrexec_hdr *hdr,
                   void *body, size_t bodysz);

/* The handshake: the server side sends HELLO first; both then use the
 * lower version, which must be at least min_version. *version receives
 * it. 0, -EPIPE, -EPROTO or -EPROTONOSUPPORT. */
int qrexec_vchan_handshake(struct vchan *v, bool server, uint32_t ours, uint32_t min_version,
                           enum qrexec_link link, uint32_t *version);
int qrexec_fd_handshake(int fd, bool server, uint32_t ours, uint32_t min_version,
                        enum qrexec_link link, uint32_t *version);

/* A data-link server waits for its client: 0 once connected, -ETIMEDOUT
 * after timeout_ms, -EPIPE if the channel closed instead. */
int qrexec_wait_connected(struct vchan *v, int timeout_ms);

#endif
