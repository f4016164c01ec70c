/* Shared between the two halves of the QEMU command-line model builder
 * (qemuargv_model.c: the machine, accelerator, memory, NUMA, objects,
 * globals, NICs and drives; qemuargv_devices.c: -device).  Not for other
 * modules: they use qemuargv.h. */
#pragma once
#include "qemuargv.h"

typedef struct {
  char *driver, *property, *value;
  int arg;
} qemu_global;

typedef struct {
  qemu_cmdline *cl;
  guest_domain *dom;
  GHashTable *buses;         /* QEMU bus name → guest_bus*, of the buses created so far */
  GHashTable *device_ids;    /* ids of the -device options so far */
  GHashTable *objects;       /* -object id → its qemu_option (QEMU creates objects before devices) */
  GPtrArray *globals;        /* qemu_global*, in command-line order */
  guest_bus *newest_pxb;     /* where QEMU plugs a PCI device that has no bus= */
  GArray *index_used;        /* gboolean by guest bus index: taken */
  int next_unresolved;       /* indexes for names that resolve to no bus: above any real one */
} model_builder;

/* A device property as QEMU sees it: the option's own value, else the last
 * -global DRIVER.KEY=…; *arg says where it was written.  NULL when neither. */
const char *model_device_prop (const model_builder *mb, const qemu_option *option, const char *driver,
                               const char *key, int *arg);
/* The guest bus a PCI device named by bus= (or NULL: QEMU's choice) plugs
 * into: its index, or an index no bus has when the name resolves to none.
 * Says where it landed in *comment when QEMU chose. */
int model_resolve_bus (model_builder *mb, const char *name, char **ref, char **comment);
/* One -device (or -virtfs) option into the model (qemuargv_devices.c). */
void model_read_device (model_builder *mb, const qemu_option *option, const char *driver);
