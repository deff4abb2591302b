"""The Windows service → channel table the pipeline carries is pySigma's, copied (so that a
cached rule set never imports pySigma): checked against the installed pySigma."""

from __future__ import annotations

from sigma.pipelines.common import windows_logsource_mapping

from watchkeeper.detect.sigma.pipeline import WINDOWS, WINDOWS_SERVICES


def test_the_copy_equals_pysigmas_mapping() -> None:
    theirs = {k: (v,) if isinstance(v, str) else tuple(v)
              for k, v in windows_logsource_mapping.items()}
    ours = {k: (v,) if isinstance(v, str) else v for k, v in WINDOWS_SERVICES.items()}
    assert ours == theirs


def test_every_service_reads_its_channels() -> None:
    for service, channels in WINDOWS_SERVICES.items():
        (route,) = WINDOWS.services[service]
        assert route.channels == ((channels,) if isinstance(channels, str) else channels)
