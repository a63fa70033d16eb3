/*
 * What every part of the worker reads and only the loop thread writes: the export's
 * configuration (from the broker, once, before the sandbox) and the session's flags (from
 * the last INIT; a new INIT comes only after the frontend drained every request).
 */
#include "config.h"

#include <stdint.h>

#include "msg.h"
#include "worker.h"

struct msg_config	wk_config;
uint32_t		wk_session_flags;
