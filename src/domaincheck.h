/* One domain XML document against every rule (host-independent and, with
 * opts->host, host-aware): the one path `validate` takes for each input and
 * `plan` takes for its own result, so that both judge alike. */
#pragma once
#include "findings.h"
#include "rules.h"

/* The findings of a document named source (for messages); a document that
 * does not parse is one SMU001 finding.  Safe to call from several threads
 * once domainxml_init has run. */
finding_list *domaincheck_document (const char *source, const char *data, gsize len, const rule_options *opts);
