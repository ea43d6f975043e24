// SPDX-License-Identifier: GPL-2.0
/*
 * kipc's tracepoints (kipc_trace.h), defined here once for every file.
 */
#include <linux/kipc.h>

#define CREATE_TRACE_POINTS
#include "kipc_trace.h"
