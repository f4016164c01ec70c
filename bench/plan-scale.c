/* bench/plan-scale HOST.json N FORMAT — how the planner and an emitter scale.
 *
 * One guest PCI segment has 256 bus numbers, so no single VM holds 4,096
 * passthrough functions: `smmuctl plan` refuses that (bench/plan shows it).
 * To time the algorithm itself this harness lifts the segment's limits in the
 * request (bus_max, root_slots), binds every function of the generated host to
 * vfio-pci in the model, and plans the first N endpoints per-smmu, then writes
 * one document (xml, qemu or json) to memory: like the CLI, one plan and one
 * document per process (repeating in one process measures a fragmented heap
 * instead).  Prints CPU milliseconds for the plan, the document and both;
 * bench/plan runs it several times and keeps the best. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emit.h"
#include "hostjson.h"
#include "planner.h"

/* CPU time of this process: the machine may be busy with other work. */
static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

int
main (int argc, char **argv)
{
  if (argc != 4)
    {
      fprintf (stderr, "usage: %s HOST.json N xml|qemu|json\n", argv[0]);
      return 2;
    }
  g_autoptr (GError) error = NULL;
  double t0 = now_ms ();
  g_autoptr (host_model) host = hostjson_read_file (argv[1], &error);
  if (host == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  printf ("load %s: %u devices, %u SMMUs in %.1f ms\n", argv[1], host->devices->len, host->smmus->len,
          now_ms () - t0);
  g_autoptr (GPtrArray) endpoints = g_ptr_array_new ();
  for (guint i = 0; i < host->devices->len; i++)
    {
      host_pci_device *dev = g_ptr_array_index (host->devices, i);
      if (dev->is_bridge)
        continue;
      g_free (dev->driver);
      dev->driver = g_strdup ("vfio-pci");
      g_ptr_array_add (endpoints, dev->bdf);
    }
  guint n = (guint) atoi (argv[2]);
  if (n == 0 || n > endpoints->len)
    {
      fprintf (stderr, "N must be 1..%u\n", endpoints->len);
      return 2;
    }
  g_autofree const char **devices = g_new0 (const char *, n + 1);
  memcpy (devices, endpoints->pdata, n * sizeof (char *));
  plan_request req;
  plan_request_init (&req);
  req.devices = devices;
  req.bus_max = 65535;
  req.root_slots = 256;
  req.check_libvirt = TRUE;
  double t[3];
  t[0] = now_ms ();
  g_autoptr (guest_plan) plan = planner_plan (host, &req, NULL, &error);
  if (plan == NULL)
    {
      fprintf (stderr, "plan %u: %s\n", n, error->message);
      return 1;
    }
  t[1] = now_ms ();
  emit_options opts;
  emit_options_init (&opts);
  const char *format = argv[3];
  g_autofree char *doc = strcmp (format, "xml") == 0    ? emit_xml (plan, &opts, &error)
                         : strcmp (format, "qemu") == 0 ? emit_qemu (plan, &opts, &error)
                                                        : emit_json (plan, host, &opts, &error);
  t[2] = now_ms ();
  if (doc == NULL)
    {
      fprintf (stderr, "emit %u: %s\n", n, error ? error->message : "?");
      return 1;
    }
  printf ("N=%u format=%s vsmmus=%u buses=%u bytes=%zu plan=%.1f emit=%.1f total=%.1f ms\n", n, format,
          plan->domain->iommus->len, plan->domain->buses->len, strlen (doc), t[1] - t[0], t[2] - t[1], t[2] - t[0]);
  return 0;
}
