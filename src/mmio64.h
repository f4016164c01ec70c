/* The 64-bit PCI MMIO window (QEMU virt's highmem-mmio-size): how much of
 * it a guest's passthrough devices need, and which window holds that.  One
 * computation for the planner (which window to declare) and for SMU402
 * (does the declared window hold the devices). */
#pragma once
#include "hostmodel.h"
#include "topology.h"

/* A PCI-to-PCI bridge's prefetchable window has 1 MiB granularity. */
#define MMIO64_BRIDGE_GRANULE (G_GUINT64_CONSTANT (1) << 20)

/* The 64-bit prefetchable space the guest firmware needs for the hostdevs
 * of dom, with the BAR sizes of host: only 64-bit prefetchable BARs land
 * there (a non-prefetchable one goes to the 32-bit window); the BARs below
 * one root port are placed largest first, each aligned to its size, in a
 * bridge window of 1 MiB granularity; root ports, then root complexes, are
 * placed by decreasing alignment.  Hostdevs the host does not have count
 * nothing (SMU302 says so). */
guint64 mmio64_need (const guest_domain *dom, const host_model *host);

/* The window to declare for need bytes: the smallest power of two that
 * holds it, never below QEMU virt's default (GUEST_DEFAULT_MMIO64_SIZE). */
guint64 mmio64_window_for (guint64 need);
