/* Which QEMU and libvirt features a guest uses: one table (feature_use.c)
 * that SMU501, the planner's target check and the launch script's "Needs
 * QEMU X" line all read, so that a new feature is added in one place. */
#pragma once
#include "topology.h"
#include "versions.h"

typedef struct {
  guint count;        /* elements that use it; 0 = not used */
  int line;           /* of the first one, 0 when planned */
  const char *path;   /* its element path (borrowed from the domain), NULL when planned */
} feature_use;

/* uses[id] for every feature_id. */
void guest_feature_uses (const guest_domain *dom, feature_use uses[FEAT_N]);

/* The oldest release of kind that has every feature of that kind the
 * domain uses, by the version table ({0,0,0} when it uses none). */
sw_version guest_features_required (const guest_domain *dom, sw_kind kind);
