#ifndef XSC_CCAIRO_SHIM_H
#define XSC_CCAIRO_SHIM_H
// cairo draws PDF pages (fonts embedded as subsets); Pango lays out text in any script the
// installed fonts cover (the Chinese of a printed statement: fonts-noto-cjk).
#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#endif
