#ifndef CRDKAFKA_SHIM_H
#define CRDKAFKA_SHIM_H

// rdkafka_mock.h needs the types from rdkafka.h, so the order matters.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#endif
