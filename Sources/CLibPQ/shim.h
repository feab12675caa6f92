#ifndef XSC_CLIBPQ_SHIM_H
#define XSC_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
