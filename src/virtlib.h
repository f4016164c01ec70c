/* The libvirt client library, loaded when a command first needs it.
 *
 * Only `validate --connect`, `--target-libvirt installed` and the tools
 * section of probe (and plan on a live host, for its default targets) talk
 * to libvirt.  Linked at build time, libvirt.so.0
 * would load its 50-odd dependencies (~30 ms) into every run, and make the
 * libvirt0 package a must on hosts that start QEMU without libvirt. */
#pragma once
#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

/* The soname Debian's libvirt0 (and every distribution) installs. */
#define VIRTLIB_SONAME "libvirt.so.0"

/* The entry points smmuctl calls, typed from libvirt's own prototypes. */
typedef struct {
  __typeof__ (virGetVersion) *GetVersion;
  __typeof__ (virSetErrorFunc) *SetErrorFunc;
  __typeof__ (virGetLastErrorMessage) *GetLastErrorMessage;
  __typeof__ (virConnectOpenReadOnly) *ConnectOpenReadOnly;
  __typeof__ (virConnectOpen) *ConnectOpen;
  __typeof__ (virConnectClose) *ConnectClose;
  __typeof__ (virConnectGetLibVersion) *ConnectGetLibVersion;
  __typeof__ (virConnectGetDomainCapabilities) *ConnectGetDomainCapabilities;
  __typeof__ (virDomainLookupByName) *DomainLookupByName;
  __typeof__ (virDomainGetXMLDesc) *DomainGetXMLDesc;
  __typeof__ (virDomainFree) *DomainFree;
} virtlib;

/* The loaded library (loaded once, kept for the process), or NULL with an
 * error naming the soname and the package that provides it. */
const virtlib *virtlib_get (GError **error);
