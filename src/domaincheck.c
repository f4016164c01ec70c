/* Document → guest model → rules → findings (see domaincheck.h). */
#include "domaincheck.h"

#include "domainxml.h"

finding_list *
domaincheck_document (const char *source, const char *data, gsize len, const rule_options *opts)
{
  finding_list *list = finding_list_new (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_domain) dom = domainxml_read_memory (data, len, source, &error);
  if (dom == NULL)
    {
      const char *message = NULL;
      int line = domainxml_error_line (error, &message);
      finding_add (list, "SMU001", SEVERITY_ERROR, line, NULL, domainxml_error_hint (error), "%s", message);
      return list;
    }
  finding_list_set_domain (list, dom->name);
  rules_check_domain (dom, opts, list);
  if (opts->host != NULL)
    {
      rules_check_host (dom, opts->host, opts, list);
      finding_list_sort (list);
    }
  return list;
}
