#include "CXSCProto.h"
