/* Findings: the stable finding codes of SPEC §6 (one table, findings.c) and
 * the list of findings one checked document produced (finding.c). */
#pragma once
#include <glib.h>

typedef enum { SEVERITY_INFO, SEVERITY_WARNING, SEVERITY_ERROR } finding_severity;

const char *finding_severity_name (finding_severity severity); /* "info", "warning", "error" */

typedef struct {
  const char *code;        /* "SMU301": stable, never renumbered */
  const char *name;        /* "host-smmu-mixed": stable */
  finding_severity severity; /* default severity */
  const char *summary;     /* one line: when it fires */
  const char *explanation; /* what fails at run time, why, how to fix, XML before/after */
} finding_code_info;

/* NULL when the code is unknown; case-insensitive ("smu301" works). */
const finding_code_info *finding_code_lookup (const char *code);
const finding_code_info *finding_code_table (gsize *n);
/* The explanation with its {{feature.key}} references replaced by releases
 * from the version table (versions.h), ready to print. */
char *finding_code_explanation (const finding_code_info *info);

typedef struct {
  const finding_code_info *info;
  finding_severity severity; /* may differ from info->severity (SMU106, SMU402) */
  char *file;
  int line;                  /* 0 when no line applies */
  char *path;                /* element path like /domain/devices/hostdev[2], or NULL */
  char *message;
  char *hint;                /* NULL when there is nothing to suggest */
  char *argument;            /* QEMU command lines: the option at argv index `line` as written */
  gboolean by_argument;      /* located in a QEMU command line: line is an argv index */
} finding;

typedef struct finding_list finding_list;

finding_list *finding_list_new (const char *file);
void finding_list_free (finding_list *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (finding_list, finding_list_free)

/* code must be in the table (a programming error otherwise). */
void finding_add (finding_list *list, const char *code, finding_severity severity, int line,
                  const char *path, const char *hint, const char *fmt, ...) G_GNUC_PRINTF (7, 8);

const char *finding_list_file (const finding_list *list);
/* The domain <name>, when the document had one (for reports). */
void finding_list_set_domain (finding_list *list, const char *name);
const char *finding_list_domain (const finding_list *list);

/* QEMU command lines: findings are located by argv index ("arg N") where
 * XML has lines, and carry the option written there (text_of, NULL when
 * none); XML element paths do not apply and are dropped.  Call once the
 * rules have run. */
void finding_list_locate_arguments (finding_list *list, char *(*text_of) (int arg, gconstpointer data),
                                    gconstpointer data);
gboolean finding_list_by_argument (const finding_list *list);

guint finding_list_len (const finding_list *list);
const finding *finding_list_get (const finding_list *list, guint i);
guint finding_list_count (const finding_list *list, finding_severity severity);
/* Whether a finding with this code is in the list. */
gboolean finding_list_has (const finding_list *list, const char *code);
/* Order by line, then code, keeping insertion order otherwise: output reads
 * like a compiler's, top to bottom, and is stable for golden files. */
void finding_list_sort (finding_list *list);
