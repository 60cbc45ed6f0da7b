/*
 * deadletter: the dead-letter producer (see deadletter.h). Owns an
 * rd_kafka_t producer, its wake-up pipe and the uv_poll_t serving delivery
 * reports on the loop thread.
 */
#define _GNU_SOURCE /* pipe2 */
#include "consumer/deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kgw_kafka.h"
#include "common/kgw_log.h"

struct deadletter {
    uv_loop_t *loop;
    const consumer_config_t *cfg;
    deadletter_done_cb *done_cb;
    void *opaque;
    rd_kafka_t *rk;
    rd_kafka_queue_t *rkqu;
    int pipefd[2];
    uv_poll_t *poll; /* its own allocation, freed by its close callback */
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    deadletter_t *dl = opaque;
    dl->done_cb(rkm->_private, rkm->err, dl->opaque);
}

static void pipe_cb(uv_poll_t *handle, int status, int events);

deadletter_t *deadletter_new(uv_loop_t *loop, const consumer_config_t *cfg,
                             deadletter_done_cb *done_cb, void *opaque, char *errstr,
                             size_t errstr_size)
{
    deadletter_t *dl = calloc(1, sizeof(*dl));
    rd_kafka_conf_t *conf = NULL;
    if (!dl) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    dl->loop = loop;
    dl->cfg = cfg;
    dl->done_cb = done_cb;
    dl->opaque = opaque;
    dl->pipefd[0] = dl->pipefd[1] = -1;
    static const char *const defaults[] = {
        "client.id", "kgw-consumer-dlq", "acks", "all", "enable.idempotence",
        "true",      "linger.ms",        "5",    NULL,
    };
    /* -X applies to the consumer only (consumer-only keys would make the
     * producer warn); the dead-letter producer takes kgw's defaults, the
     * brokers and the --kafka-* security flags, which the cluster needs
     * from both. */
    conf = kgw_kafka_conf_new(cfg->brokers, defaults, NULL, errstr, errstr_size);
    if (!conf || kgw_security_apply(&cfg->security, conf, errstr, errstr_size))
        goto fail;
    rd_kafka_conf_set_opaque(conf, dl);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    dl->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!dl->rk)
        goto fail;
    conf = NULL;
    dl->rkqu = rd_kafka_queue_get_main(dl->rk);
    if (pipe2(dl->pipefd, O_NONBLOCK | O_CLOEXEC) || !(dl->poll = calloc(1, sizeof(*dl->poll))) ||
        uv_poll_init(loop, dl->poll, dl->pipefd[0])) {
        free(dl->poll);
        dl->poll = NULL;
        snprintf(errstr, errstr_size, "cannot watch the dead-letter queue");
        goto fail;
    }
    dl->poll->data = dl;
    /* Served from the start, not from the first send: the producer's error
     * and log events queue up on the main queue until someone polls it. */
    rd_kafka_queue_io_event_enable(dl->rkqu, dl->pipefd[1], "1", 1);
    /* An event queued between rd_kafka_new() and here wrote no byte, and a
     * non-empty queue writes none for later ones either: one byte of our own
     * has the first pipe_cb serve what is already there (0210 missed the
     * first connection errors that way, now and then, under load). */
    if (write(dl->pipefd[1], "1", 1) < 0 && errno != EAGAIN)
        KGW_DEBUG("dead-letter queue wake-up not written errno=%d", errno);
    uv_poll_start(dl->poll, UV_READABLE, pipe_cb);
    return dl;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    deadletter_destroy(dl);
    return NULL;
}

static void pipe_cb(uv_poll_t *handle, int status, int events)
{
    (void)status;
    (void)events;
    deadletter_t *dl = handle->data;
    char buf[64];
    while (read(dl->pipefd[0], buf, sizeof(buf)) > 0)
        ;
    rd_kafka_poll(dl->rk, 0);
}

static void add_header(rd_kafka_headers_t *hdrs, const char *name, const char *value)
{
    rd_kafka_header_add(hdrs, name, -1, value, -1);
}

int deadletter_send(deadletter_t *dl, const rd_kafka_message_t *rkm, const deadletter_reason_t *why,
                    void *msg_opaque, char *errstr, size_t errstr_size)
{
    char num[64];
    rd_kafka_headers_t *orig = NULL;
    rd_kafka_headers_t *hdrs;

    if (rd_kafka_message_headers(rkm, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR && orig)
        hdrs = rd_kafka_headers_copy(orig);
    else
        hdrs = rd_kafka_headers_new(12);
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    add_header(hdrs, "__connect.errors.topic", topic);
    snprintf(num, sizeof(num), "%" PRId32, rkm->partition);
    add_header(hdrs, "__connect.errors.partition", num);
    snprintf(num, sizeof(num), "%" PRId64, rkm->offset);
    add_header(hdrs, "__connect.errors.offset", num);
    add_header(hdrs, "__connect.errors.connector.name", dl->cfg->group);
    add_header(hdrs, "__connect.errors.task.id", "0");
    add_header(hdrs, "__connect.errors.stage", "TASK_PUT");
    add_header(hdrs, "__connect.errors.class.name", "kgw-consumer");
    add_header(hdrs, "__connect.errors.exception.class.name",
               why->http_status ? "kgw.HttpStatusError" : "kgw.HttpTransportError");
    add_header(hdrs, "__connect.errors.exception.message", why->message);
    snprintf(num, sizeof(num), "%ld", why->http_status);
    add_header(hdrs, "kgw.errors.http.status", num);
    snprintf(num, sizeof(num), "%d", why->attempts);
    add_header(hdrs, "kgw.errors.attempts", num);
    add_header(hdrs, "kgw.errors.webhook.id", why->webhook_id);

    /* F_COPY: the original message goes back to librdkafka when the record is
     * finished, before this report may arrive. */
    rd_kafka_resp_err_t err = rd_kafka_producev(
        dl->rk, RD_KAFKA_V_TOPIC(dl->cfg->dlq_topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(rkm->key, rkm->key_len), RD_KAFKA_V_VALUE(rkm->payload, rkm->len),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
    if (err) {
        rd_kafka_headers_destroy(hdrs); /* not taken on failure */
        snprintf(errstr, errstr_size, "%s (dlq_topic=%s)", rd_kafka_err2str(err),
                 dl->cfg->dlq_topic);
        return -1;
    }
    return 0;
}

static void free_handle_cb(uv_handle_t *handle)
{
    free(handle);
}

static void close_poll(deadletter_t *dl)
{
    if (!dl->poll)
        return;
    rd_kafka_queue_io_event_enable(dl->rkqu, -1, NULL, 0);
    uv_close((uv_handle_t *)dl->poll, free_handle_cb);
    dl->poll = NULL;
}

int deadletter_outstanding(const deadletter_t *dl)
{
    return rd_kafka_outq_len(dl->rk);
}

void deadletter_stop(deadletter_t *dl, int timeout_ms)
{
    if (!dl)
        return;
    if (dl->rk) {
        /* Reports are served by rd_kafka_flush() itself from here on. */
        rd_kafka_queue_io_event_enable(dl->rkqu, -1, NULL, 0);
        if (rd_kafka_flush(dl->rk, timeout_ms))
            KGW_WARN("dead-letter records unacknowledged at exit count=%d",
                     rd_kafka_outq_len(dl->rk));
    }
    close_poll(dl);
}

void deadletter_destroy(deadletter_t *dl)
{
    if (!dl)
        return;
    close_poll(dl); /* when deadletter_stop() was not called */
    if (dl->rkqu)
        rd_kafka_queue_destroy(dl->rkqu);
    if (dl->rk)
        rd_kafka_destroy(dl->rk);
    if (dl->pipefd[0] >= 0)
        close(dl->pipefd[0]);
    if (dl->pipefd[1] >= 0)
        close(dl->pipefd[1]);
    free(dl);
}
