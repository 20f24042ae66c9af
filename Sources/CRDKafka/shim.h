#ifndef CRDKAFKA_SHIM_H
#define CRDKAFKA_SHIM_H

// rdkafka_mock.h needs the types from rdkafka.h, so the order matters.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sys/eventfd.h>

/// A non-blocking, close-on-exec `eventfd` (the consumer poll thread's doorbell); Glibc's Swift
/// module does not carry `<sys/eventfd.h>`. Returns -1 on failure.
static inline int crdkafka_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/// Produces one message through `rd_kafka_produceva` (the variadic `rd_kafka_producev` and its
/// `RD_KAFKA_V_*` macros are not imported into Swift). Key, value and headers are copied by
/// librdkafka (`RD_KAFKA_MSG_F_COPY`); `headers` (may be NULL) is owned by librdkafka only when
/// this returns `RD_KAFKA_RESP_ERR_NO_ERROR`, otherwise the caller must destroy it.
/// `partition` may be `RD_KAFKA_PARTITION_UA`; `timestamp_ms` 0 means "now".
static inline rd_kafka_resp_err_t crdkafka_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                                   const void *key, size_t key_len, const void *value,
                                                   size_t value_len, rd_kafka_headers_t *headers,
                                                   int64_t timestamp_ms, void *opaque) {
    rd_kafka_vu_t vus[8];
    size_t n = 0;
    vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
    vus[n++].u.cstr = topic;
    vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
    vus[n++].u.i32 = partition;
    vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
    vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[n].u.mem.ptr = (void *)value;
    vus[n++].u.mem.size = value_len;
    if (key != NULL) {
        vus[n].vtype = RD_KAFKA_VTYPE_KEY;
        vus[n].u.mem.ptr = (void *)key;
        vus[n++].u.mem.size = key_len;
    }
    if (headers != NULL) {
        vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
        vus[n++].u.headers = headers;
    }
    if (timestamp_ms != 0) {
        vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
        vus[n++].u.i64 = timestamp_ms;
    }
    vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[n++].u.ptr = opaque;
    rd_kafka_error_t *error = rd_kafka_produceva(rk, vus, n);
    if (error == NULL) {
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    rd_kafka_error_destroy(error);
    return code;
}

#endif
