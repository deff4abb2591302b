"""Processing pipelines: which rows a Sigma log source reads and how its fields are named.

A :class:`Pipeline` maps a rule's ``logsource`` to one or more :class:`Route` objects. A
route is a row condition on the table (channels and event codes) plus a field map from
Sigma field names to column names. A rule with several routes matches when any route's
rows match the rule's detection with that route's field names (``process_creation`` reads
Sysmon event 1 and Security event 4688, whose fields have other names).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from watchkeeper.errors import UnsupportedRuleError
from watchkeeper.schema.windows import sigma_field_column

if TYPE_CHECKING:
    from sigma.rule import SigmaLogSource

SYSMON = "Microsoft-Windows-Sysmon/Operational"
POWERSHELL = ("Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational")
POWERSHELL_CLASSIC = ("Windows PowerShell",)

#: Sysmon event ids of each Sigma category (as in pySigma-pipeline-sysmon).
SYSMON_CATEGORIES: dict[str, tuple[int, ...]] = {
    "process_creation": (1,),
    "file_change": (2,),
    "network_connection": (3,),
    "sysmon_status": (4, 16),
    "process_termination": (5,),
    "driver_load": (6,),
    "image_load": (7,),
    "create_remote_thread": (8,),
    "raw_access_thread": (9,),
    "process_access": (10,),
    "file_event": (11,),
    "registry_add": (12,),
    "registry_delete": (12,),
    "registry_set": (13,),
    "registry_rename": (14,),
    "registry_event": (12, 13, 14),
    "create_stream_hash": (15,),
    "pipe_created": (17, 18),
    "wmi_event": (19, 20, 21),
    "dns_query": (22,),
    "file_delete": (23, 26),
    "clipboard_capture": (24,),
    "process_tampering": (25,),
    "file_delete_detected": (26,),
    "file_block_executable": (27,),
    "file_block_shredding": (28,),
    "file_executable_detected": (29,),
    "sysmon_error": (255,),
}

#: Sigma Windows services and the event log channels they read: pySigma's
#: ``sigma.pipelines.common.windows_logsource_mapping`` (pySigma 2.0.1), copied so that a
#: rule set served by the rule cache never imports pySigma (0.2 s);
#: ``tests/detect/test_pipeline_services.py`` checks the copy against pySigma's.
WINDOWS_SERVICES: dict[str, str | tuple[str, ...]] = {
    'security': 'Security',
    'application': 'Application',
    'system': 'System',
    'sysmon': 'Microsoft-Windows-Sysmon/Operational',
    'powershell':
        ('Microsoft-Windows-PowerShell/Operational', 'PowerShellCore/Operational',),
    'powershell-classic': 'Windows PowerShell',
    'taskscheduler': 'Microsoft-Windows-TaskScheduler/Operational',
    'wmi': 'Microsoft-Windows-WMI-Activity/Operational',
    'dns-server': 'DNS Server',
    'dns-server-audit': 'Microsoft-Windows-DNS-Server/Audit',
    'dns-server-analytic': 'Microsoft-Windows-DNS-Server/Analytical',
    'driver-framework': 'Microsoft-Windows-DriverFrameworks-UserMode/Operational',
    'ntlm': 'Microsoft-Windows-NTLM/Operational',
    'dhcp': 'Microsoft-Windows-DHCP-Server/Operational',
    'msexchange-management': 'MSExchange Management',
    'applocker': ('Microsoft-Windows-AppLocker/MSI and Script',
         'Microsoft-Windows-AppLocker/EXE and DLL',
         'Microsoft-Windows-AppLocker/Packaged app-Deployment',
         'Microsoft-Windows-AppLocker/Packaged app-Execution'),
    'printservice-admin': 'Microsoft-Windows-PrintService/Admin',
    'printservice-operational': 'Microsoft-Windows-PrintService/Operational',
    'codeintegrity-operational': 'Microsoft-Windows-CodeIntegrity/Operational',
    'smbclient-security': 'Microsoft-Windows-SmbClient/Security',
    'firewall-as': 'Microsoft-Windows-Windows Firewall With Advanced Security/Firewall',
    'bits-client': 'Microsoft-Windows-Bits-Client/Operational',
    'windefend': 'Microsoft-Windows-Windows Defender/Operational',
    'terminalservices-localsessionmanager':
        'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational',
    'servicebus-client':
        ('Microsoft-ServiceBus-Client/Operational', 'Microsoft-ServiceBus-Client/Admin',),
    'microsoft-servicebus-client':
        ('Microsoft-ServiceBus-Client/Operational', 'Microsoft-ServiceBus-Client/Admin',),
    'ldap': 'Microsoft-Windows-LDAP-Client/Debug',
    'ldap_debug': 'Microsoft-Windows-LDAP-Client/Debug',
    'security-mitigations': ('Microsoft-Windows-Security-Mitigations/Kernel Mode',
         'Microsoft-Windows-Security-Mitigations/User Mode'),
    'diagnosis-scripted': 'Microsoft-Windows-Diagnosis-Scripted/Operational',
    'shell-core': 'Microsoft-Windows-Shell-Core/Operational',
    'openssh': 'OpenSSH/Operational',
    'bitlocker': 'Microsoft-Windows-BitLocker/BitLocker Management',
    'vhdmp': 'Microsoft-Windows-VHDMP/Operational',
    'appxdeployment-server': 'Microsoft-Windows-AppXDeploymentServer/Operational',
    'lsa-server': 'Microsoft-Windows-LSA/Operational',
    'appxpackaging-om': 'Microsoft-Windows-AppxPackaging/Operational',
    'dns-client': 'Microsoft-Windows-DNS Client Events/Operational',
    'appmodel-runtime': 'Microsoft-Windows-AppModel-Runtime/Admin',
    'capi2': 'Microsoft-Windows-CAPI2/Operational',
    'certificateservicesclient-lifecycle-system':
        'Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational',
    'application-experience': ('Microsoft-Windows-Application-Experience/Program-Telemetry',
         'Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant'),
    'hyper-v-worker': 'Microsoft-Windows-Hyper-V-Worker',
    'iis-configuration': 'Microsoft-IIS-Configuration/Operational',
    'kernel-event-tracing': 'Microsoft-Windows-Kernel-EventTracing',
    'kernel-shimengine': ('Microsoft-Windows-Kernel-ShimEngine/Operational',
         'Microsoft-Windows-Kernel-ShimEngine/Diagnostic'),
    'ntfs': 'Microsoft-Windows-Ntfs/Operational',
    'sense': 'Microsoft-Windows-SENSE/Operational',
}

#: Security 4688 names of the Sysmon process-creation fields (pySigma windows-audit mapping).
SECURITY_4688_FIELDS: dict[str, str] = {
    "Image": "NewProcessName",
    "ParentImage": "ParentProcessName",
    "ProcessId": "NewProcessId",
    "ParentProcessId": "ProcessId",
    "LogonId": "SubjectLogonId",
    "User": "SubjectUserName",
    # 4688 logs the integrity level as a SID (S-1-16-12288 = High); SigmaHQ rules list
    # both spellings, as pySigma-pipeline-windows' windows_audit_pipeline expects
    "IntegrityLevel": "MandatoryLabel",
}


@dataclass(frozen=True)
class Route:
    """Rows of one log source on the table, and the field names they use."""

    name: str
    channels: tuple[str, ...] = ()
    event_codes: tuple[int, ...] = ()
    field_map: Mapping[str, str] = field(default_factory=dict)
    system_fields: bool = True

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """Rules with the same key read the same rows and can share one scan."""
        return self.channels, self.event_codes

    def column(self, sigma_field: str) -> str:
        mapped = self.field_map.get(sigma_field, sigma_field)
        return sigma_field_column(mapped) if self.system_fields else mapped


@dataclass(frozen=True)
class Pipeline:
    """Maps log sources to routes; ``placeholders`` resolve Sigma ``|expand`` values."""

    name: str
    categories: Mapping[str, tuple[Route, ...]]
    services: Mapping[str, tuple[Route, ...]]
    products: frozenset[str]
    placeholders: Mapping[str, Sequence[str]] = field(default_factory=dict)
    catch_all: bool = False

    def routes(self, logsource: SigmaLogSource) -> tuple[Route, ...]:
        product, category, service = logsource.product, logsource.category, logsource.service
        if not self.catch_all and product not in self.products:
            raise UnsupportedRuleError(f"log source product {product!r} is not mapped by "
                                       f"the {self.name} pipeline")
        if category is not None and category in self.categories:
            return self.categories[category]
        if category is None and service is not None and service in self.services:
            return self.services[service]
        if (category is None and service is None) or self.catch_all:
            return (Route(f"{product}/*", system_fields=not self.catch_all),)
        what = f"category {category!r}" if category else f"service {service!r}"
        raise UnsupportedRuleError(f"log source {what} has no table mapping")


def _windows_categories() -> dict[str, tuple[Route, ...]]:
    routes: dict[str, tuple[Route, ...]] = {name: (Route(f"sysmon/{name}", (SYSMON,), codes),)
              for name, codes in SYSMON_CATEGORIES.items()}
    routes["process_creation"] += (
        Route("security/4688", ("Security",), (4688,), SECURITY_4688_FIELDS),)
    routes["ps_module"] = (Route("powershell/4103", POWERSHELL, (4103,)),)
    routes["ps_script"] = (Route("powershell/4104", POWERSHELL, (4104,)),)
    routes["ps_classic_start"] = (Route("powershell-classic/400", POWERSHELL_CLASSIC, (400,)),)
    routes["ps_classic_provider_start"] = (
        Route("powershell-classic/600", POWERSHELL_CLASSIC, (600,)),)
    routes["ps_classic_script"] = (Route("powershell-classic/800", POWERSHELL_CLASSIC, (800,)),)
    return routes


def _windows_services() -> dict[str, tuple[Route, ...]]:
    services: dict[str, tuple[Route, ...]] = {}
    for service, channels in WINDOWS_SERVICES.items():
        names = (channels,) if isinstance(channels, str) else tuple(channels)
        services[service] = (Route(f"service/{service}", names),)
    return services


def windows_pipeline(placeholders: Mapping[str, Sequence[str]] | None = None) -> Pipeline:
    """Windows log sources on the raw Windows-event table (see ``schema.windows``)."""
    return Pipeline("windows", _windows_categories(), _windows_services(),
                    frozenset({"windows"}), placeholders or {})


def generic_pipeline(placeholders: Mapping[str, Sequence[str]] | None = None) -> Pipeline:
    """Any log source on a table whose columns carry the Sigma field names themselves."""
    return Pipeline("generic", {}, {}, frozenset(), placeholders or {}, catch_all=True)


WINDOWS = windows_pipeline()
GENERIC = generic_pipeline()
