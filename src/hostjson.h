/* The host model as a JSON document (`probe --json`, and the `--host FILE`
 * input of plan and validate), both ways.  The document is the serialized
 * host model: parse(to_string(m)) gives an equal model, and serializing it
 * again gives the same bytes.  Schema: data/schemas/host.schema.json. */
#pragma once
#include <json-c/json.h>
#include <stdio.h>
#include "hostmodel.h"
#include "jsonread.h"

#define HOSTJSON_FORMAT "smmuctl-host"   /* top-level "format" key */
#define HOSTJSON_FORMAT_VERSION 1
/* Real hosts produce well under 1 MiB; anything this big is not a host. */
#define HOSTJSON_MAX_SIZE ((gsize) 64 * 1024 * 1024)

/* checks: nullable, owned: an array of check objects embedded as "checks". */
json_object *hostjson_from_model (const host_model *host, json_object *checks);
/* Pretty (2-space), stable key order, trailing newline. */
char *hostjson_to_string (const host_model *host, json_object *checks);
/* The same text onto file, in pieces, without holding it all (probe --json
 * of a large host); write errors are left in ferror (file). */
void hostjson_write (FILE *file, const host_model *host, json_object *checks);

/* SMMUCTL_ERROR_INPUT with a message naming the JSON path, e.g.
 * "host.json: $.pci_devices[3].iommu_group: expected an integer or null".
 * Unknown keys are ignored; "checks" and derived keys ("caps", "nesting",
 * an SMMU's "devices") are recomputed, not read. */
host_model *hostjson_parse (const char *data, gsize len, const char *source_name, GError **error);
host_model *hostjson_read_file (const char *path, GError **error); /* "-" = stdin */
