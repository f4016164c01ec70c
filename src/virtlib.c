#include "virtlib.h"

#include <gmodule.h>
#include <stddef.h>
#include <string.h>

#include "errors.h"

/* Symbol name → slot in virtlib: one table, so adding a call is one line. */
static const struct {
  const char *symbol;
  size_t offset;
} entry_points[] = {
  { "virGetVersion", offsetof (virtlib, GetVersion) },
  { "virSetErrorFunc", offsetof (virtlib, SetErrorFunc) },
  { "virGetLastErrorMessage", offsetof (virtlib, GetLastErrorMessage) },
  { "virConnectOpenReadOnly", offsetof (virtlib, ConnectOpenReadOnly) },
  { "virConnectOpen", offsetof (virtlib, ConnectOpen) },
  { "virConnectClose", offsetof (virtlib, ConnectClose) },
  { "virConnectGetLibVersion", offsetof (virtlib, ConnectGetLibVersion) },
  { "virConnectGetDomainCapabilities", offsetof (virtlib, ConnectGetDomainCapabilities) },
  { "virDomainLookupByName", offsetof (virtlib, DomainLookupByName) },
  { "virDomainGetXMLDesc", offsetof (virtlib, DomainGetXMLDesc) },
  { "virDomainFree", offsetof (virtlib, DomainFree) },
};

const virtlib *
virtlib_get (GError **error)
{
  static virtlib lib;
  static char *failure; /* why loading failed, kept so every caller hears it */
  static gboolean tried;
  if (!tried)
    {
      tried = TRUE;
      /* Never unloaded: libvirt registers atexit handlers and threads. */
      GModule *module = g_module_open (VIRTLIB_SONAME, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
      if (module == NULL)
        failure = g_strdup (g_module_error ());
      for (gsize i = 0; module != NULL && i < G_N_ELEMENTS (entry_points); i++)
        {
          gpointer address = NULL;
          if (!g_module_symbol (module, entry_points[i].symbol, &address) || address == NULL)
            {
              failure = g_strdup_printf ("%s has no %s (older than libvirt 9.0?)", VIRTLIB_SONAME,
                                         entry_points[i].symbol);
              break;
            }
          /* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
          memcpy ((char *) &lib + entry_points[i].offset, &address, sizeof address);
        }
      if (module != NULL && failure == NULL)
        g_module_make_resident (module);
      else if (module != NULL)
        g_module_close (module);
    }
  if (failure != NULL)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_HOST,
                   "the libvirt client library is not usable: %s (Debian: apt-get install libvirt0)", failure);
      return NULL;
    }
  return &lib;
}
