/* SMMUv3 hardware information (IOMMU_GET_HW_INFO): read live through
 * iommufd, or from a recording (`--hwinfo-json FILE`), and decoded with the
 * IDR table of idr.h. */
#pragma once
#include <json-c/json.h>
#include "hostmodel.h"
#include "idr.h"
#include "jsonread.h"

/* iommu_hw_info.out_capabilities (uapi IOMMU_HW_CAP_*). */
typedef enum {
  HWINFO_CAP_DIRTY_TRACKING = 1u << 0,
  HWINFO_CAP_PASID_EXEC = 1u << 1,
  HWINFO_CAP_PASID_PRIV = 1u << 2,
  HWINFO_CAP_PCI_ATS_NOT_SUPPORTED = 1u << 3, /* the device, not the SMMU, lacks ATS */
} hwinfo_capability;

/* The only data type smmuctl reads (uapi IOMMU_HW_INFO_TYPE_ARM_SMMUV3). */
#define HWINFO_TYPE_ARM_SMMUV3 2
#define HWINFO_TYPE_ARM_SMMUV3_NAME "arm-smmuv3"

/* One IDR field: its raw value, -1 when the registers are unknown. */
gint64 hwinfo_field (const host_hwinfo *hw, idr_field field);
/* A one-bit IDR field (s1p, ats, ril, …) as a fact; UNKNOWN without registers. */
tristate hwinfo_flag (const host_hwinfo *hw, idr_field field);
/* IDR5.OAS in bits (48, 52, …); 0 when unknown or a reserved encoding. */
guint hwinfo_oas_bits (const host_hwinfo *hw);
/* An out_capabilities bit; UNKNOWN without registers. */
tristate hwinfo_capability_flag (const host_hwinfo *hw, hwinfo_capability cap);
/* hwinfo_flag of an SMMU. */
tristate host_smmu_cap (const host_smmu *smmu, idr_field field);

/* What a device can use behind its SMMU, for the planner and the rules
 * alike.  ATS: NO when the kernel's hw_info for it says
 * PCI_ATS_NOT_SUPPORTED or its config space has no ATS capability, else
 * the config space's answer (YES from hw_info alone when config space was
 * not read).  PASID: the kernel's out_max_pasid_log2 when it reports one
 * (it already takes the SMMU's SSIDSIZE into account), else the width of
 * the PASID capability (a VF's is its PF's); 0 none, -1 unknown.  `source`
 * says where the answer came from ("IOMMU_GET_HW_INFO", "config space"). */
tristate host_device_ats (const host_pci_device *dev, const char **source);
int host_device_pasid_bits (const host_pci_device *dev, const char **source);

/* Decoded capabilities ({"s1p":true,…,"oas":5,"oas_bits":48,…}) from
 * idr.h's table plus out_capabilities; json null when unknown. */
json_object *hwinfo_caps_to_json (const host_hwinfo *hw);

/* The raw registers as one recording entry without "smmu" ({"type",
 * "source", "flags", "idr":["0x…"×6], "iidr", "aidr", "out_capabilities",
 * "out_max_pasid_log2"}); json null when unknown. */
json_object *hwinfo_registers_to_json (const host_hwinfo *hw);
/* The inverse, reading obj at the reader's current path; sets hw->known. */
void hwinfo_registers_from_json (json_reader *r, json_object *obj, host_hwinfo *hw);

/* Read a recording ({"smmus":[{"smmu":"smmu3.0x…","type":"arm-smmuv3",
 * "flags":0,"idr":["0x…"×6],"iidr":"0x…","aidr":"0x…",
 * "out_capabilities":"0x…","out_max_pasid_log2":20}]}) into the SMMUs of
 * host with those names.  Unknown names become a note in host->notes;
 * a malformed recording is SMMUCTL_ERROR_INPUT naming the JSON path, and
 * then host is left unchanged. */
gboolean hwinfo_load_json (host_model *host, const char *path, GError **error);
gboolean hwinfo_load_json_data (host_model *host, const char *data, gsize len,
                                const char *source_name, GError **error);

/* Live: for each SMMU pick a vfio-pci device behind it with a vfio cdev,
 * bind /dev/vfio/devices/vfioN to /dev/iommu and ask IOMMU_GET_HW_INFO.
 * Only for the live root "/", and only when called (--hwinfo).  Each
 * failure adds one line to host->notes saying why; never an error. */
void hwinfo_read_live (host_model *host);
