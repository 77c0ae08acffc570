"""Word lists for the synthetic PSOD text generator (``texts.py``): names, not layouts.

Everything here is invented for psod-ocr or is a plain identifier (a function, module or world
name of the kind a purple screen prints); no screen text is copied from anywhere. A backtrace
entry is ``"Symbol"`` (a vmkernel frame) or ``"Symbol@module"``.
"""

from __future__ import annotations

from typing import NamedTuple

# --- machines and worlds -------------------------------------------------------------------

VM_NAMES = (
    "web-03", "sql-prod-03", "exch-cas01", "dc02", "app-tier-07", "fileserver-dfs2", "print-02",
    "buildsrv", "jira-app", "ldap-01", "mail02", "cache04-dmz", "citrix07-vda", "k8s-worker-12",
    "vdi-pool-118", "backup-proxy", "erp-db-2", "crm-app1", "rproxy-edge", "log-collector",
    "mon-graf", "git-mirror", "ci-runner-5", "oracle-rac2", "term-srv4", "sap-app", "hpc-node-17",
    "intranet", "ftp01", "lab-vc01",
)  # fmt: skip

USER_WORLDS = (
    "hostd-worker", "vpxa-worker", "rhttpproxy", "smartd", "vsish", "sfcb-vmware_bas",
    "vmsyslogd", "hostd", "net-lacp", "ioFilterVPServ", "python", "sh",
)  # fmt: skip
USER_WORLDS_7 = ("envoy", "vsanmgmtd", "hostd-worker", "rhttpproxy", "vpxa-worker", "settingsd")

DEVICES = (
    "naa.600508b1001c3f9ab2e4d7c10a5e8b63", "naa.624a93705e1b7c3d9f0a4e2100113a7c",
    "naa.60002ac0000000000000004e0001f2a9", "naa.5000c500b3f2a1e7d6c04a1b",
    "mpx.vmhba32:C0:T0:L0", "t10.NVMe____Dell_BOSS2D_N1_____________9f3a2c1d0b8e7f60",
)  # fmt: skip


class Driver(NamedTuple):
    """A third-party driver: its backtrace (top first), its kind and a version string."""

    name: str
    kind: str  # "nic" (crashes in its poll world) or "hba" (crashes in interrupt context)
    symbols: tuple[str, ...]
    version: str


DRIVERS = (
    Driver("i40en", "nic", ("i40en_clean_rx_irq", "i40en_napi_poll"), "1.14.1.0-1OEM.700.1.0.15843807"),
    Driver("ixgben", "nic", ("ixgben_tx_clean", "ixgben_intr_bh"), "1.15.1.0-1OEM.700.1.0.15843807"),
    Driver("bnxtnet", "nic", ("bnxtnet_rx_pkts", "bnxtnet_process_cmpl_ring", "bnxtnet_netpoll"),
           "218.0.286.0-1OEM.700.1.0.15843807"),
    Driver("nenic", "nic", ("vnic_rq_service", "enic_rq_service", "enic_poll"),
           "2.0.10.0-1OEM.800.1.0.20143090"),
    Driver("nmlx5_core", "nic", ("nmlx5_en_rx_cq_poll", "nmlx5_en_napi_poll"),
           "4.23.0.66-1OEM.703.0.0.18434556"),
    Driver("elxnet", "nic", ("elxnet_rxProcessCompl", "elxnet_napiPoll"), "12.0.1250.0-1OEM.670.0.0.8169922"),
    Driver("qfle3", "nic", ("qfle3_rxeq_int", "qfle3_netpoll_rxcb"), "1.4.29.0-1OEM.700.1.0.15525992"),
    Driver("ntg3", "nic", ("ntg3_rx_poll", "ntg3_netpoll"), "4.1.9.0-4vmw.703.0.20.19193900"),
    Driver("icen", "nic", ("icen_clean_rx_ring", "icen_napi_poll"), "1.12.5.0-1OEM.800.1.0.20613240"),
    Driver("lpfc", "hba", ("lpfc_sli4_fcp_cmpl", "lpfc_sli4_process_cq", "lpfc_sli4_intr_handler"),
           "14.0.169.25-5vmw.800.1.0.20613240"),
    Driver("qlnativefc", "hba", ("qlnativefcProcessStatusEntry", "qlnativefc_process_response_queue",
                                 "qlnativefcIntrHandler"), "4.1.35.0-1OEM.700.1.0.15843807"),
    Driver("lsi_mr3", "hba", ("lsimr3_complete_cmd", "lsimr3_process_reply_queue", "lsimr3_isr"),
           "7.716.03.00-1OEM.700.1.0.15843807"),
    Driver("smartpqi", "hba", ("pqisrc_process_io_response_success", "pqisrc_process_response_queue",
                               "smartpqi_intr_handler"), "90.4480.0.111-1OEM.900.0.0.24755229"),
    Driver("nhpsa", "hba", ("nhpsa_complete_cmd", "nhpsa_process_completions", "nhpsa_intr"),
           "70.0051.0.100-1OEM.700.1.0.15843807"),
    Driver("nfnic", "hba", ("nfnic_fcpio_cmpl", "nfnic_cq_service", "nfnic_isr_msix"),
           "5.0.0.37-1OEM.700.1.0.15843807"),
)  # fmt: skip

# --- backtraces ------------------------------------------------------------------------------
# Each path starts with the world it runs in: a kind ("vmm", "helper", "user", "idle") or a
# literal world name. Symbols are top (innermost) first.

VMKERNEL_PATHS = (
    ("vmm", "VmMemCowPShareFreeHint", "VmMemCow_PShareRemoveHint", "VmMemPfUnsharePage",
     "VmMemPf_PageFault", "VMMVMKCall_Call", "VMKVMM_ArchEnterVMKernel"),
    ("vmm", "MemMapFreeLargePage", "MemMap_FreeRange", "Alloc_FreeVMMem", "VMMVMKCall_Call",
     "VMKVMM_ArchEnterVMKernel"),
    ("vmm", "FPUSaveGuestState", "VMMVMKCall_SaveExtState", "VMMVMKCall_Call",
     "VMKVMM_ArchEnterVMKernel"),
    ("helper", "Fil3_ReleaseLockedFD", "Fil3_CloseFile", "FSS_CloseFile", "AsyncCloseCB", "helpFunc",
     "CpuSched_StartWorld"),
    ("user", "DevFSFileClose", "FSS_CloseFile", "UserObj_Release", "UserObj_FDClose",
     "LinuxFileDesc_Close", "User_LinuxSyscallHandler", "gate_entry"),
    ("user", "VSICacheCopyListInfo", "VSI_GetListInfo", "UWVMKSyscallUnpackVSI_GetList",
     "User_UWVMKSyscallHandler", "User_UWVMK64SyscallHandler", "gate_entry"),
    ("memSched", "MemSchedComputeShares", "MemSchedReallocate", "MemSched_Update",
     "MemSchedTimerCallback", "Timer_BHHandler", "BH_Check", "CpuSched_StartWorld"),
    ("helper", "VSCSI_FSSGenericCmdDone", "FDS_AsyncIOCompletion", "AsyncPopCallbackFrameInt",
     "FS3_IOCompletion@vmfs3", "SCSIDeviceCmdCompleteCB", "SCSICompletionBHHandler", "BH_Check",
     "CpuSched_StartWorld"),
    ("idle", "Net_PortCloneFrame", "EtherswitchPortDispatch", "Portset_DeliverFrames",
     "NetWorldletPerVMCB", "WorldletProcessQueue", "WorldletBHHandler", "BH_Check",
     "CpuSched_StartWorld"),
    ("user", "UserMem_MapPages", "UserMemMapObjInt", "UserMem_Map", "LinuxMem_Mmap",
     "User_LinuxSyscallHandler", "gate_entry"),
    ("devTreeWorld", "VmkDevUnregisterAlias", "VmkDev_UnregisterDevice", "vmk_DeviceUnregister",
     "DeviceTreeWorldFunc", "CpuSched_StartWorld"),
    ("vmotionStreamHelper0", "VmMemMigrateFreeSrcPages", "VmMemMigrate_CopyPages",
     "Migrate_PrecopyWorld", "CpuSched_StartWorld"),
    ("helper", "ScsiPathStateChangeInt", "ScsiPath_SetState", "nmp_DeviceUpdatePathStates@nmp",
     "nmp_DeviceProbe@nmp", "HelperQueueFunc", "CpuSched_StartWorld"),
    ("idle", "CpuSchedVcpuWakeupCheck", "CpuSched_WakeupWorld", "VmkEvent_WakeupWorlds",
     "Timer_BHHandler", "BH_Check", "CpuSched_StartWorld"),
    ("user", "MemSchedComputeTargetPct", "MemSchedUpdateTargets", "MemSched_VsiGetStats",
     "VSI_GetInfo", "UW64VMKSyscallUnpackVSI_Get", "User_UWVMK64SyscallHandler", "SyscallUWVMK64"),
    ("user", "DLM_free", "Heap_Free", "UserObj_Release", "UserObj_FDClose", "LinuxFileDesc_Close",
     "User_LinuxSyscallHandler", "gate_entry"),
    ("nfs41RpcWorld", "NFS41_GetAttrCompletion@nfs41client", "NFS41AsyncCallback@nfs41client",
     "SunRPCReplyDispatch", "SunRPC_RecvWorld", "CpuSched_StartWorld"),
    ("user", "Vol3_ReleaseLock@vmfs3", "FS3_CloseFileHandle@vmfs3", "FSS_CloseFile",
     "UserObj_FDClose", "LinuxFileDesc_Close", "User_LinuxSyscallHandler", "gate_entry"),
    ("user", "Res6MemUnlockTxn@esx", "Res6_FreeClusters@esx", "Fil6FreeBlocks@esx",
     "Fil6_TruncateFile@esx", "FSS2_SetFileAttributes", "UserFile_Truncate",
     "User_LinuxSyscallHandler", "gate_entry"),
)  # fmt: skip

# ESX 3.x/4.x backtraces (no modules, the older world kinds)
CLASSIC_PATHS = (
    ("vmm", "MemMapFreeLargePage", "MemMap_FreeRange", "Alloc_FreeVMMem", "VMMVMKCall_Call",
     "VMKCall_Dispatch", "gate_entry"),
    ("helper", "Net_PortCloneFrame", "EtherswitchPortDispatch", "Portset_DeliverFrames",
     "NetWorldletPerVMCB", "WorldletProcessQueue", "helpFunc", "CpuSched_StartWorld"),
    ("helper", "Fil3_ReleaseLockedFD", "Fil3_CloseFile", "FSS_CloseFile", "AsyncCloseCB",
     "helpFunc", "CpuSched_StartWorld"),
    ("memSched", "MemSchedComputeShares", "MemSchedReallocate", "MemSched_Update",
     "MemSchedTimerCallback", "Timer_BHHandler", "BH_Check", "CpuSched_StartWorld"),
    ("console", "SCSIResvHandleConflict", "SCSICompleteCommand", "SCSI_BHCompletion", "BH_Check",
     "IDT_HandleInterrupt", "gate_entry"),
    ("vmware-vm", "UserRPC_Send", "RPC_Send", "User_LinuxSyscallHandler", "gate_entry"),
)  # fmt: skip

IDLE_TAIL = ("CpuSchedIdleLoopInt", "CpuSchedDispatch", "CpuSchedWait", "CpuSched_StartWorld")
INTERRUPT_PATH = ("IntrCookieBH", "BH_DrainAndDisableInterrupts", "IntrCookie_VmkernelInterrupt",
                  "IDT_IntrHandler", "gate_entry")  # fmt: skip
NIC_POLL_TAIL = ("NetPollWorldCallback", "vmkWorldFunc", "CpuSched_StartWorld")

LOCKS = (
    "rpcLock", "SCSIPathLock", "memSchedLock", "portsetLock", "heapLock-vmk", "fs3LockTbl",
    "vmkStatsLock", "timerLock", "pshareLock", "devTreeLock",
)  # fmt: skip

SOURCE_FILES = (
    "main/vmkstats.c", "sched/cpusched.c", "main/pframe_int.h", "storage/scsi/scsi_path.c",
    "hardware/pci/pciPassthru.c", "device/vmkdev.c", "net/portset.c", "mem/memmap.c",
    "main/heap.c", "user/userMem.c", "vmm/vmmvmkcall.c", "main/timer.c", "storage/vscsi/vscsi.c",
)  # fmt: skip

ASSERT_CONDITIONS = (
    "refCount > 0", "list != NULL", "world->state == WORLD_RUNNING", "!CpuSched_IsPreemptible()",
    "numElems <= MAX_SG_ELEMS", "IsPowerOf2(align)", "dev->openCount == 0", "pcpu < numPCPUs",
)  # fmt: skip

HEAPS = (
    "dvfilter-slowpath", "netPktHeap", "nfsclient", "vsanDomHeap", "lsom-heap", "tcpip4-heap",
    "vmkibft", "iofilter-cache", "scsiPathHeap",
)  # fmt: skip

# Module panics: a free-text condition printed by a module that then calls panic().
MODULE_PANICS = (
    ("tcpip4", "sbflush_internal: ccc {small} mb {addr} mbcnt {big}",
     ("sbflush_internal", "sorflush", "soshutdown"), ("vmk_SocketShutdown", "UserSocketInet_Shutdown",
     "LinuxSocket_Shutdown", "User_LinuxSyscallHandler", "gate_entry")),
    ("tcpip4", "tcp_output: invalid length {big} in state {small}",
     ("tcp_output", "tcp_timer_rexmt", "softclock_call_cc"), ("TimerBHHandler", "BH_Check",
     "CpuSched_StartWorld")),
)  # fmt: skip

VMKERNEL_PANICS = (
    "PANIC bora/vmkernel/main/dlmalloc.c:{line} - Corruption in dlmalloc",
    "PANIC bora/vmkernel/main/heap.c:{line} - heap {heap} inconsistent",
    "CRITICAL: Lost access to boot device",
)  # fmt: skip

# --- hardware --------------------------------------------------------------------------------

CPU_FEATURES = (
    ("Intel hybrid core type", 0x20, 0x40),
    ("Deterministic cache parameters (leaf 4, subleaf 2)", 0x1C03C163, 0x1C03C143),
    ("Architectural LBR depth", 0x8, 0x20),
    ("Max physical address bits", 0x27, 0x2E),
    ("Supports AVX-512", 0x0, 0x1),
)  # fmt: skip

SERVERS = (
    "Supermicro SYS-E300-9D-8CN8TP", "HPE ProLiant DL360 Gen9", "Dell Inc. PowerEdge R650xs",
    "Intel(R) Client Systems NUC11TNHi5", "Lenovo ThinkSystem SR630 V2", "Cisco Systems Inc UCSC-C220-M5SX",
)  # fmt: skip

CPUS = (
    "Intel(R) Xeon(R) D-2146NT CPU @ 2.30GHz", "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz",
    "Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz", "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz",
    "AMD EPYC 7313 16-Core Processor", "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
)  # fmt: skip

BOOT_VIBS = ("vdfs", "esxio-combiner", "esx-update", "crx", "native-misc-drivers", "vsan")
