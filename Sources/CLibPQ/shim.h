#ifndef MEETINGLEDGER_CLIBPQ_SHIM_H
#define MEETINGLEDGER_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
