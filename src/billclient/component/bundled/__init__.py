"""The billing component version shipped inside the client (the updater's fallback).

This package is also the source of published versions: its files, with a manifest,
make a component archive (``billclient.component.archive.build_archive``). It must
import only ``billclient.rating``, ``billclient.protocol`` and itself (relatively),
so that an archive of it loads under any module name.
"""
